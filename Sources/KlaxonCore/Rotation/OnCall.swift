import Foundation

/// Who a schedule has on call at an instant, and until when.
public struct OnCall: Sendable, Equatable, Hashable {
    /// [] in a gap, else one member id.
    public var members: [String]
    /// When that cover ends: the next instant the final on-call changes; nil if it does not change
    /// within `Schedule.untilHorizon`.
    public var until: Date?

    public init(members: [String], until: Date?) { self.members = members; self.until = until }
}

/// A stretch of time during which one member is on call.
public struct OnCallInterval: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var member: String
    public var start: Date
    public var end: Date

    public init(member: String, start: Date, end: Date) { self.member = member; self.start = start; self.end = end }

    public var duration: TimeInterval { end.timeIntervalSince(start) }
    public var description: String { "\(member) [\(start), \(end))" }
}
