import Foundation

/// One layer of a schedule: a rotation of members in the layer's zone, optionally restricted to
/// weekly windows of that zone's wall time (outside them the layer is empty).
public struct Layer: Sendable, Hashable {
    public var name: String
    public var timeZone: TimeZone { didSet { rules = ZoneRules.of(timeZone) } }
    public var rotation: Rotation
    public var members: [String] { didSet { uniform = Self.isUniform(members) } }
    /// Empty means always.
    public var restrictions: [RestrictionWindow] { didSet { windows = WeeklyWindows(restrictions) } }

    var rules: ZoneRules
    var windows: WeeklyWindows
    /// All members are the same person (handoffs never change who is on call).
    private var uniform: Bool

    /// `restrictions` are windows of the layer zone's wall time; none means always.
    public init(name: String, timeZone: TimeZone, rotation: Rotation, members: [String], restrictions: [RestrictionWindow] = []) {
        self.name = name; self.timeZone = timeZone; self.rotation = rotation
        self.members = members; self.restrictions = restrictions
        rules = ZoneRules.of(timeZone)
        windows = WeeklyWindows(restrictions)
        uniform = Self.isUniform(members)
    }

    private static func isUniform(_ m: [String]) -> Bool { m.allSatisfy { $0 == m.first } }

    public static func == (a: Layer, b: Layer) -> Bool {
        a.name == b.name && a.timeZone == b.timeZone && a.rotation == b.rotation && a.members == b.members && a.restrictions == b.restrictions
    }

    public func hash(into h: inout Hasher) {
        h.combine(name); h.combine(timeZone); h.combine(rotation); h.combine(members); h.combine(restrictions)
    }

    /// Who this layer has on call at `t` (nil before the first handoff and outside the restrictions).
    public func member(at t: Date) -> String? { state(at: t.unixSeconds).member }

    /// The rotation shift containing `t`, ignoring restrictions: its 0-based number and bounds.
    public func shift(at t: Date) -> (index: Int, start: Date, end: Date)? {
        let u = t.unixSeconds
        let p = shiftPosition(at: u)
        guard let k = p.index, let s = p.start, let e = p.next else { return nil }
        return (k, Date(unixSeconds: s), Date(unixSeconds: e))
    }

    /// Whether the restrictions leave this layer with no time at all.
    public var restrictionsAreEmpty: Bool { !restrictions.isEmpty && windows.isNever }

    // MARK: Unix seconds

    /// The member on call at `u` and an instant after `u`, no later than the next change (nil: none).
    func state(at u: Int) -> (member: String?, next: Int?) {
        guard !members.isEmpty else { return (nil, nil) }
        let p = shiftPosition(at: u)
        var next = (p.index != nil && uniform) ? nil : p.next
        var inside = true
        if !restrictions.isEmpty {
            if windows.isNever { return (nil, nil) }
            inside = windows.contains(u, rules)
            if let e = windows.nextEdge(after: u, rules) { next = next.map { min($0, e) } ?? e }
        }
        guard let k = p.index, inside else { return (nil, next) }
        return (members[k % members.count], next)
    }

    /// The shift number at `u` (nil before the first handoff), the shift's start and the next handoff.
    func shiftPosition(at u: Int) -> (index: Int?, start: Int?, next: Int?) {
        let h = rotation.handoff.secondsOfDay
        let first = rotation.firstHandoffDate.daysSinceEpoch
        let stepDays: Int
        switch rotation.every {
        case .hours(let n):
            guard n > 0 else { return (nil, nil, nil) }
            let h0 = rules.instant(ofLocal: first * Civil.secondsPerDay + h)
            if u < h0 { return (nil, nil, h0) }
            let len = n * 3600
            let k = (u - h0) / len
            return (k, h0 + k * len, h0 + (k + 1) * len)
        case .days(let n): stepDays = n
        case .weeks(let n): stepDays = 7 * n
        }
        guard stepDays > 0 else { return (nil, nil, nil) }
        // Handoff j is at the wall time h on date first + j * stepDays, resolved by RFC 5545.
        @inline(__always) func handoff(_ j: Int) -> Int { rules.instant(ofLocal: (first + j * stepDays) * Civil.secondsPerDay + h) }
        let localDay = Civil.floorDiv(rules.localSeconds(at: u), Civil.secondsPerDay)
        var j = Civil.floorDiv(localDay - first, stepDays)
        var start = handoff(j)
        if start > u {
            repeat { j -= 1; start = handoff(j) } while start > u && j >= 0
        } else {
            var next = handoff(j + 1)
            while next <= u { j += 1; start = next; next = handoff(j + 1) }
            if j >= 0 { return (j, start, next) }
        }
        if j < 0 { return (nil, nil, handoff(0)) }
        return (j, start, handoff(j + 1))
    }
}
