import Foundation

/// One layer's rotation: hand off `every` period at the local wall time `handoff` (on `handoffWeekday`
/// for week rotations), the first handoff on `start` (weeks: the first such weekday on or after it).
public struct Rotation: Sendable, Hashable {
    public var every: RotationPeriod
    public var handoff: WallTime
    /// For week rotations; nil means the weekday of `start`. Ignored by hour and day rotations.
    public var handoffWeekday: Weekday?
    public var start: LocalDate

    public init(every: RotationPeriod, handoff: WallTime, handoffWeekday: Weekday? = nil, start: LocalDate) {
        self.every = every; self.handoff = handoff; self.handoffWeekday = handoffWeekday; self.start = start
    }

    /// The local date of the first handoff.
    public var firstHandoffDate: LocalDate {
        guard case .weeks = every, let wd = handoffWeekday else { return start }
        return start.adding(days: Civil.floorMod(wd.rawValue - start.weekday.rawValue, 7))
    }

    /// Reads a handoff, "Mon 09:00" or "09:00".
    public static func parseHandoff(_ text: String) throws -> (Weekday?, WallTime) {
        var c = TimeTextCursor(text)
        c.skipSpaces()
        var day: Weekday? = nil
        if let ch = c.peek, ch.isLetter {
            day = try Weekday.scan(&c)
            let gap = c.i
            c.skipSpaces()
            if c.i == gap { throw c.fail(gap, "expected a space and HH:MM after \(day!.shortName), got \(c.shown(from: gap))") }
        }
        let t = try WallTime.scan(&c, allowEndOfDay: false)
        try c.expectEnd(after: day.map { "\($0.shortName) \(t)" } ?? t.description)
        return (day, t)
    }
}
