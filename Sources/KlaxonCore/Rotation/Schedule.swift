import Foundation

/// A schedule: layers of rotations (later layers win where they have someone) plus overrides.
public struct Schedule: Sendable, Hashable {
    public var id: String
    /// The team's zone: override local times, lint messages and renderings use it.
    public var timeZone: TimeZone
    public var layers: [Layer]
    public var overrides: [Override]

    public init(id: String, timeZone: TimeZone, layers: [Layer], overrides: [Override] = []) {
        self.id = id; self.timeZone = timeZone; self.layers = layers; self.overrides = overrides
    }

    /// How far ahead `oncall(at:)` looks for the end of the current cover.
    public static let untilHorizon: TimeInterval = 400 * 86_400

    /// Everyone who is a member of some layer.
    public var layerMembers: Set<String> { Set(layers.flatMap(\.members)) }

    /// The final on-call at `t` (SPEC 3.2): the last listed override covering `t` (with `replaces`,
    /// only while that member would be on call from the layers); else the last layer with someone; else nobody.
    public func oncall(at t: Date) -> OnCall {
        let u = t.unixSeconds
        var sweep = ScheduleSweep(self, layers: Array(layers.indices), overrides: true, from: u, to: u + Int(Self.untilHorizon) + 1)
        let members = sweep.value.map { [$0] } ?? []
        let until = sweep.nextChange().map { Date(unixSeconds: $0.at) }
        return OnCall(members: members, until: until)
    }

    /// Who the layers alone (no overrides) have on call at `t`.
    public func layeredMember(at t: Date) -> String? {
        let u = t.unixSeconds
        for l in layers.reversed() { if let m = l.state(at: u).member { return m } }
        return nil
    }

    /// The final on-call as maximal intervals (back-to-back shifts of one member merged), gaps left
    /// out, clipped to [from, to).
    public func intervals(from: Date, to: Date) -> [OnCallInterval] {
        Self.segments(sweepOver: self, layers: Array(layers.indices), overrides: true, from: from, to: to)
            .compactMap { s in s.member.map { OnCallInterval(member: $0, start: s.start, end: s.end) } }
    }

    /// The stretches of [from, to) when nobody is on call.
    public func gaps(from: Date, to: Date) -> [DateInterval] {
        Self.segments(sweepOver: self, layers: Array(layers.indices), overrides: true, from: from, to: to)
            .compactMap { s in s.member == nil ? DateInterval(start: s.start, end: s.end) : nil }
    }

    /// One layer's own on-call (no overrides, no other layers) as maximal intervals in [from, to).
    public func layerIntervals(layerIndex: Int, from: Date, to: Date) -> [OnCallInterval] {
        guard layers.indices.contains(layerIndex) else { return [] }
        return Self.segments(sweepOver: self, layers: [layerIndex], overrides: false, from: from, to: to)
            .compactMap { s in s.member.map { OnCallInterval(member: $0, start: s.start, end: s.end) } }
    }

    /// Every maximal stretch of [from, to) with one value (a member, or nil for nobody).
    static func segments(sweepOver s: Schedule, layers: [Int], overrides: Bool, from: Date, to: Date) -> [(member: String?, start: Date, end: Date)] {
        guard from < to else { return [] }
        let uFrom = from.unixSeconds, uTo = Int(to.timeIntervalSince1970.rounded(.up))
        var sweep = ScheduleSweep(s, layers: layers, overrides: overrides, from: uFrom, to: uTo)
        var out: [(String?, Date, Date)] = []
        var segStart = uFrom
        var value = sweep.value
        func emit(_ a: Int, _ b: Int) {
            let st = max(Date(unixSeconds: a), from), en = min(Date(unixSeconds: b), to)
            if st < en { out.append((value, st, en)) }
        }
        while let change = sweep.nextChange() {
            emit(segStart, change.at)
            segStart = change.at
            value = change.value
        }
        emit(segStart, uTo)
        return out
    }
}

/// Walks a schedule from change to change: each layer's state is recomputed only at its own next
/// boundary (handoff, restriction edge or offset change), overrides only at their ends.
struct ScheduleSweep {
    private let layers: [Layer]
    private var layerMembers: [String?]
    private var layerNext: [Int?]
    private let overrides: [(from: Int, to: Int, member: String, replaces: String?)]
    private let overrideEdges: [Int]
    private var edgeIndex = 0
    private let limit: Int
    private(set) var time: Int
    private(set) var value: String?

    /// Starts at `from`; changes are looked for before `limit`.
    init(_ s: Schedule, layers idx: [Int], overrides useOverrides: Bool, from: Int, to limit: Int) {
        layers = idx.map { s.layers[$0] }
        self.limit = limit
        time = from
        var ms: [String?] = [], ns: [Int?] = []
        for l in layers { let st = l.state(at: from); ms.append(st.member); ns.append(st.next) }
        layerMembers = ms
        layerNext = ns
        var ovs: [(Int, Int, String, String?)] = []
        var edges: [Int] = []
        if useOverrides {
            for o in s.overrides {
                let a = o.from.unixSeconds, b = o.to.unixSeconds
                guard a < b, b > from, a < limit else { continue }
                ovs.append((a, b, o.member, o.replaces))
                if a > from { edges.append(a) }
                edges.append(b)
            }
            edges.sort()
        }
        overrides = ovs
        overrideEdges = edges
        value = nil
        value = resolve(at: from)
    }

    private func resolve(at u: Int) -> String? {
        var layered: String? = nil
        for m in layerMembers.reversed() where m != nil { layered = m; break }
        for o in overrides.reversed() where o.from <= u && u < o.to {
            guard let r = o.replaces else { return o.member }
            if r == layered { return o.member }
        }
        return layered
    }

    /// Advances to the next instant before the limit at which the value changes.
    mutating func nextChange() -> (at: Int, value: String?)? {
        while true {
            var b = Int.max
            for n in layerNext { if let n, n < b { b = n } }
            while edgeIndex < overrideEdges.count, overrideEdges[edgeIndex] <= time { edgeIndex += 1 }
            if edgeIndex < overrideEdges.count, overrideEdges[edgeIndex] < b { b = overrideEdges[edgeIndex] }
            guard b < limit else { return nil }
            for i in layerNext.indices where layerNext[i] == b {
                let st = layers[i].state(at: b)
                layerMembers[i] = st.member
                layerNext[i] = st.next
            }
            time = b
            let v = resolve(at: b)
            if v != value { value = v; return (b, v) }
        }
    }
}
