import Foundation

/// A window of local wall time, `[Day ]HH:MM-[Day ]HH:MM`, end exclusive. Without days it holds every
/// day; with only a start day it holds on that day; it may wrap past midnight or past the week's end.
public struct RestrictionWindow: Sendable, Hashable, CustomStringConvertible {
    public var startDay: Weekday?
    public var start: WallTime
    public var endDay: Weekday?
    public var end: WallTime

    public init(startDay: Weekday? = nil, start: WallTime, endDay: Weekday? = nil, end: WallTime) {
        self.startDay = startDay; self.start = start; self.endDay = endDay; self.end = end
    }

    /// "Sat 00:00-Mon 00:00", "22:00-06:00"
    public var description: String {
        let s = startDay.map { "\($0.shortName) \(start)" } ?? start.description
        let e = endDay.map { "\($0.shortName) \(end)" } ?? end.description
        return "\(s)-\(e)"
    }

    /// Reads "[Day ]HH:MM-[Day ]HH:MM" ("Sat 00:00-Mon 00:00", "22:00-06:00", "Fri 18:00-24:00").
    public static func parse(_ text: String) throws -> RestrictionWindow {
        var c = TimeTextCursor(text)
        c.skipSpaces()
        let w = try scan(&c)
        try c.expectEnd(after: w.description)
        return w
    }

    static func scan(_ c: inout TimeTextCursor) throws -> RestrictionWindow {
        var startDay: Weekday? = nil
        if let ch = c.peek, ch.isLetter {
            startDay = try Weekday.scan(&c)
            if c.peek == "-", let n = c.peek(1), n.isLetter {
                throw c.fail(c.i, "a day range such as Mon-Fri belongs in working_hours; a restriction window is [Day ]HH:MM-[Day ]HH:MM, e.g. \"Sat 00:00-Mon 00:00\"")
            }
            try spaceAfterDay(&c, startDay!)
        }
        let start = try WallTime.scan(&c, allowEndOfDay: false)
        c.skipSpaces()
        guard c.peek == "-" else {
            throw c.fail(c.i, "expected \"-\" and the end of the window after \(start), got \(c.shown(from: c.i, stopAtDash: false))")
        }
        c.i += 1
        c.skipSpaces()
        var endDay: Weekday? = nil
        if let ch = c.peek, ch.isLetter {
            let at = c.i
            endDay = try Weekday.scan(&c)
            if startDay == nil {
                throw c.fail(at, "a window that ends on a weekday must start on one too, e.g. \"Sat 00:00-Mon 00:00\"")
            }
            try spaceAfterDay(&c, endDay!)
        }
        let end = try WallTime.scan(&c, allowEndOfDay: true)
        return RestrictionWindow(startDay: startDay, start: start, endDay: endDay, end: end)
    }

    private static func spaceAfterDay(_ c: inout TimeTextCursor, _ day: Weekday) throws {
        let gap = c.i
        c.skipSpaces()
        if c.i == gap { throw c.fail(gap, "expected a space and HH:MM after \(day.shortName), got \(c.shown(from: gap))") }
    }

    /// The window as (start second of the week from Monday 00:00, length in seconds); a daily window
    /// yields seven. Zero-length windows (start == end) yield nothing.
    var weekSpans: [(start: Int, length: Int)] {
        let s = start.secondsOfDay, e = end.secondsOfDay
        let day = Civil.secondsPerDay, week = Civil.secondsPerWeek
        guard let sd = startDay else {
            var len = e - s
            if len < 0 { len += day }
            return len == 0 ? [] : (0..<7).map { ($0 * day + s, min(len, day)) }
        }
        let from = (sd.rawValue - 1) * day + s
        if let ed = endDay {
            var len = (ed.rawValue - 1) * day + e - from
            if len < 0 { len += week }
            return len == 0 ? [] : [(from, len)]
        }
        var len = e - s
        if len < 0 { len += day }
        return len == 0 ? [] : [(from, len)]
    }
}
