import Foundation

/// A calendar date without a zone, as written in rotation files ("2026-01-05").
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) { self.year = year; self.month = month; self.day = day }

    /// The date `daysSinceEpoch` days after 1970-01-01.
    public init(daysSinceEpoch: Int) {
        let d = Civil.date(days: daysSinceEpoch)
        self.init(year: d.year, month: d.month, day: d.day)
    }

    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int { Civil.days(year: year, month: month, day: day) }
    public var weekday: Weekday { Weekday(rawValue: Civil.weekdayNumber(days: daysSinceEpoch))! }
    /// The date `n` days later (earlier if negative).
    public func adding(days n: Int) -> LocalDate { LocalDate(daysSinceEpoch: daysSinceEpoch + n) }

    /// Whether the date exists in the Gregorian calendar.
    public static func isValid(year: Int, month: Int, day: Int) -> Bool {
        (1...12).contains(month) && day >= 1 && day <= Civil.daysInMonth(year: year, month: month)
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// "2026-01-05"
    public var description: String {
        let y = year < 0 ? "-" + zeroPadded(-year, 4) : zeroPadded(year, 4)
        return "\(y)-\(zeroPadded(month, 2))-\(zeroPadded(day, 2))"
    }

    /// Reads "YYYY-MM-DD".
    public static func parse(_ text: String) throws -> LocalDate {
        var c = TimeTextCursor(text)
        c.skipSpaces()
        let d = try scan(&c)
        try c.expectEnd(after: "the date \(d)")
        return d
    }

    static func scan(_ c: inout TimeTextCursor) throws -> LocalDate {
        let start = c.i
        func bad() -> TimeParseError { c.fail(start, "expected a date as YYYY-MM-DD, got \(c.shown(from: start, stopAtDash: false))") }
        let ys = c.digits(max: 4)
        guard ys.count == 4, c.peek == "-" else { throw bad() }
        c.i += 1
        let mStart = c.i
        let ms = c.digits(max: 2)
        guard ms.count == 2, c.peek == "-" else { throw bad() }
        c.i += 1
        let dStart = c.i
        let ds = c.digits(max: 2)
        guard ds.count == 2 else { throw bad() }
        if let next = c.peek, next.isASCII, next.isNumber { throw bad() }
        let y = Int(ys)!, m = Int(ms)!, d = Int(ds)!
        guard (1...12).contains(m) else { throw c.fail(mStart, "expected a month from 01 to 12, got \(ms)") }
        guard d >= 1, d <= Civil.daysInMonth(year: y, month: m) else {
            throw c.fail(dStart, "\(ys)-\(ms)-\(ds) does not exist: \(Civil.monthNames[m - 1]) \(ys) has \(Civil.daysInMonth(year: y, month: m)) days")
        }
        return LocalDate(year: y, month: m, day: d)
    }
}

@inline(__always) func zeroPadded(_ n: Int, _ width: Int) -> String {
    let s = String(n)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
