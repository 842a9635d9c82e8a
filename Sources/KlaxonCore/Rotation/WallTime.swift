import Foundation

/// A local wall-clock time of day, "09:00". `24:00` exists only as the end of a window.
public struct WallTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var hour: Int
    public var minute: Int

    public init(hour: Int, minute: Int) { self.hour = hour; self.minute = minute }

    /// 00:00, and 24:00 (only as the end of a window).
    public static let midnight = WallTime(hour: 0, minute: 0)
    public static let endOfDay = WallTime(hour: 24, minute: 0)

    /// Seconds after midnight (86 400 for 24:00).
    public var secondsOfDay: Int { hour * 3600 + minute * 60 }

    public static func < (a: WallTime, b: WallTime) -> Bool { (a.hour, a.minute) < (b.hour, b.minute) }

    /// "09:00"
    public var description: String { "\(zeroPadded(hour, 2)):\(zeroPadded(minute, 2))" }

    /// Reads "HH:MM" (00:00 to 23:59; with `allowEndOfDay`, also 24:00).
    public static func parse(_ text: String, allowEndOfDay: Bool = false) throws -> WallTime {
        var c = TimeTextCursor(text)
        c.skipSpaces()
        let t = try scan(&c, allowEndOfDay: allowEndOfDay)
        try c.expectEnd(after: t.description)
        return t
    }

    static func scan(_ c: inout TimeTextCursor, allowEndOfDay: Bool) throws -> WallTime {
        let start = c.i
        let shown = c.token(from: start)
        let got = shown.isEmpty ? (c.atEnd ? "nothing" : "\"\(c.chars[start])\"") : shown
        let hs = c.digits(max: 2)
        guard !hs.isEmpty, c.peek == ":" else { throw c.fail(start, "expected HH:MM, got \(got)") }
        c.i += 1
        let mStart = c.i
        let ms = c.digits(max: 2)
        guard ms.count == 2 else { throw c.fail(start, "expected HH:MM, got \(got)") }
        if let next = c.peek, next.isASCII, next.isNumber { throw c.fail(start, "expected HH:MM, got \(got)") }
        let h = Int(hs)!, m = Int(ms)!
        if h == 24 && m == 0 {
            if allowEndOfDay { return .endOfDay }
            throw c.fail(start, "24:00 is only allowed as the end of a window; write 00:00")
        }
        guard h <= 23 else { throw c.fail(start, "expected HH:MM, got \(got): hours go from 00 to 23") }
        guard m <= 59 else { throw c.fail(mStart, "expected HH:MM, got \(got): minutes go from 00 to 59") }
        return WallTime(hour: h, minute: m)
    }
}
