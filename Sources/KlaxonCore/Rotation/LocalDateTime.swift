import Foundation

/// A local date and wall time without a zone; `TimeZone.instant(of:)` resolves it.
public struct LocalDateTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var date: LocalDate
    public var time: WallTime

    public init(date: LocalDate, time: WallTime) { self.date = date; self.time = time }

    /// Wall-clock seconds since 1970-01-01 00:00 of this date and time (as if the zone were UTC).
    var localSeconds: Int { date.daysSinceEpoch * Civil.secondsPerDay + time.secondsOfDay }

    /// The wall time `local` seconds after 1970-01-01 00:00 (seconds within the minute dropped).
    init(localSeconds local: Int) {
        let days = Civil.floorDiv(local, Civil.secondsPerDay)
        let sod = local - days * Civil.secondsPerDay
        self.init(date: LocalDate(daysSinceEpoch: days), time: WallTime(hour: sod / 3600, minute: sod % 3600 / 60))
    }

    public static func < (a: LocalDateTime, b: LocalDateTime) -> Bool { (a.date, a.time) < (b.date, b.time) }

    /// "2026-03-29T02:30"
    public var description: String { "\(date)T\(time)" }

    /// Reads "YYYY-MM-DDTHH:MM" (or with a space instead of the T).
    public static func parse(_ text: String) throws -> LocalDateTime {
        var c = TimeTextCursor(text)
        c.skipSpaces()
        let d = try LocalDate.scan(&c)
        guard c.peek == "T" || c.peek == "t" || c.peek == " " else {
            throw c.fail(c.i, "expected T and a time HH:MM after the date \(d), got \(c.shown(from: c.i))")
        }
        c.i += 1
        let t = try WallTime.scan(&c, allowEndOfDay: false)
        try c.expectEnd(after: "\(d)T\(t)")
        return LocalDateTime(date: d, time: t)
    }
}
