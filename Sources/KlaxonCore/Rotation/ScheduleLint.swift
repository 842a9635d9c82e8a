import Foundation

/// One lint finding about a schedule, with the indices the config loader needs to point at the
/// right file:line:column (the layer, its restriction windows, the overrides involved).
public struct ScheduleFinding: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// What is wrong; the raw value is a stable code for machine-readable output.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Nobody on call during `interval` (within the lint horizon).
        case gap
        /// The overrides at `overrideIndices` overlap each other.
        case overlappingOverrides = "overlapping-overrides"
        /// The override at `overrideIndices[0]` replaces someone who is in no layer of the schedule.
        case unknownReplaces = "unknown-replaces"
        /// The restrictions of layer `layerIndex` leave it always empty.
        case layerAlwaysEmpty = "layer-always-empty"
    }

    public var kind: Kind
    public var message: String
    public var layerIndex: Int?
    /// For `layerAlwaysEmpty`: the windows (indices into `restrictions`) that are empty by themselves.
    public var restrictionIndices: [Int]
    public var overrideIndices: [Int]
    public var interval: DateInterval?

    public init(kind: Kind, message: String, layerIndex: Int? = nil, restrictionIndices: [Int] = [], overrideIndices: [Int] = [], interval: DateInterval? = nil) {
        self.kind = kind; self.message = message; self.layerIndex = layerIndex
        self.restrictionIndices = restrictionIndices; self.overrideIndices = overrideIndices; self.interval = interval
    }

    public var description: String { message }
}

/// Lint findings for a schedule (issue 3 item 5): gaps in [now, now + horizon) with their local start
/// and end, overrides that overlap each other, a `replaces` naming someone who is not a member of any
/// layer of the schedule, and restriction windows that leave a layer always empty.
public func lint(schedule: Schedule, now: Date, horizon: TimeInterval = 28 * 86_400) -> [ScheduleFinding] {
    var out: [ScheduleFinding] = []
    let tz = schedule.timeZone
    let end = now.addingTimeInterval(horizon)
    let days = Int((horizon / 86_400).rounded())
    let local = { (d: Date) in ScheduleRendering.localTime(d, in: tz) }

    // Layers that can never have anyone.
    for (i, layer) in schedule.layers.enumerated() {
        guard !layer.restrictions.isEmpty else { continue }
        let label = "layer \(layer.name)"
        let emptyWindows = layer.restrictions.indices.filter { layer.restrictions[$0].weekSpans.isEmpty }
        if layer.windows.isNever {
            let which = layer.restrictions.map { "\"\($0)\"" }.joined(separator: ", ")
            out.append(ScheduleFinding(kind: .layerAlwaysEmpty,
                message: "\(label) of schedule \(schedule.id) is always empty: its restriction windows (\(which)) cover no time; a window that starts and ends at the same time is empty (write 00:00-24:00 for a whole day)",
                layerIndex: i, restrictionIndices: emptyWindows))
            continue
        }
        // Started (or starting) within the horizon, but nobody at any time in it.
        let first = layer.state(at: now.unixSeconds)
        let startsLate = layer.shiftPosition(at: end.unixSeconds).index == nil
        if !startsLate, first.member == nil,
           schedule.layerIntervals(layerIndex: i, from: now, to: end).isEmpty {
            out.append(ScheduleFinding(kind: .layerAlwaysEmpty,
                message: "\(label) of schedule \(schedule.id) has nobody on call at any time in the next \(days) days: its restriction windows (\(layer.restrictions.map(\.description).joined(separator: ", "))) fall only on wall times that do not occur",
                layerIndex: i, restrictionIndices: emptyWindows))
        }
    }

    // Overrides.
    let members = schedule.layerMembers
    let ovs = schedule.overrides
    for (i, o) in ovs.enumerated() {
        if let r = o.replaces, !members.contains(r) {
            out.append(ScheduleFinding(kind: .unknownReplaces,
                message: "override \(i + 1) of schedule \(schedule.id) (\(o.member) from \(local(o.from)) to \(local(o.to))) replaces \(r), who is not a member of any layer of this schedule, so it never takes effect",
                overrideIndices: [i]))
        }
    }
    for i in ovs.indices {
        for j in ovs.indices where j > i {
            let a = ovs[i], b = ovs[j]
            let s = max(a.from, b.from), e = min(a.to, b.to)
            guard s < e else { continue }
            out.append(ScheduleFinding(kind: .overlappingOverrides,
                message: "overrides \(i + 1) (\(a.member)) and \(j + 1) (\(b.member)) of schedule \(schedule.id) overlap from \(local(s)) to \(local(e)); where both apply the later one (\(b.member)) wins",
                overrideIndices: [i, j], interval: DateInterval(start: s, end: e)))
        }
    }

    // Gaps.
    for g in schedule.gaps(from: now, to: end) {
        let tail = g.end >= end ? " (and possibly beyond the \(days) days checked)" : ""
        out.append(ScheduleFinding(kind: .gap,
            message: "schedule \(schedule.id) has nobody on call from \(local(g.start)) to \(local(g.end))\(tail), \(ScheduleRendering.duration(g.duration)) (\(tz.identifier))",
            interval: g))
    }
    return out
}
