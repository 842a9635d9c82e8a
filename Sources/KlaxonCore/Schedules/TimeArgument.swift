import Foundation

/// The TIME and D arguments of the command line and the API (SPEC 6): RFC 3339 with an offset or
/// `Z` (`2026-03-29T02:30:00Z`, `2026-03-29T04:30:00+02:00`, seconds and fractions optional), a
/// local date and time without an offset (`2026-03-29T04:30`, read in `zone`), or a bare date
/// (`2026-03-29`: local midnight in `zone`). Local times follow RFC 5545: a time in a
/// spring-forward gap uses the offset before the gap; a repeated time means its first occurrence.
public enum TimeArgument {
    public static let examples = "2026-03-29T02:30:00Z, 2026-03-29T04:30:00+02:00 or a date such as 2026-03-29"

    public static func parse(_ text: String, zone: TimeZone) throws(TimeParseError) -> Date {
        do { return try scan(text, zone: zone) } catch let e as TimeParseError {
            throw TimeParseError(offset: e.offset, message: "expected a time such as \(examples), got \"\(text.prefix(60))\": \(e.message)")
        } catch {
            throw TimeParseError(offset: 0, message: "expected a time such as \(examples), got \"\(text.prefix(60))\"")
        }
    }

    private static func scan(_ text: String, zone: TimeZone) throws -> Date {
        var c = TimeTextCursor(text)
        let date = try LocalDate.scan(&c)
        if c.atEnd { return zone.instant(of: LocalDateTime(date: date, time: .midnight)) }
        guard c.peek == "T" || c.peek == "t" || c.peek == " " else {
            throw c.fail(c.i, "expected T and a time HH:MM:SS after the date \(date), got \(c.shown(from: c.i))")
        }
        c.i += 1
        let time = try WallTime.scan(&c, allowEndOfDay: false)
        var seconds = 0
        var fraction = 0.0
        if c.peek == ":" {
            c.i += 1
            let start = c.i
            let s = c.digits(max: 2)
            guard s.count == 2, let v = Int(s), v <= 60 else { throw c.fail(start, "expected seconds 00 to 59 after \(date)T\(time):") }
            seconds = min(v, 59)   // a leap second is read as :59
            if c.peek == "." || c.peek == "," {
                c.i += 1
                let digits = c.digits(max: 9)
                guard !digits.isEmpty else { throw c.fail(c.i, "expected digits after the decimal point of the seconds") }
                fraction = Double("0." + digits) ?? 0
                while let ch = c.peek, ch.isASCII, ch.isNumber { c.i += 1 }   // beyond nanoseconds: ignored
            }
        }
        let local = LocalDateTime(date: date, time: time)
        guard let ch = c.peek else {
            return zone.instant(of: local).addingTimeInterval(TimeInterval(seconds) + fraction)
        }
        let offStart = c.i
        var offset = 0
        if ch == "Z" || ch == "z" {
            c.i += 1
        } else if ch == "+" || ch == "-" {
            c.i += 1
            let h = c.digits(max: 2)
            if c.peek == ":" { c.i += 1 }
            let m = c.digits(max: 2)
            guard h.count == 2, m.count == 2, let hv = Int(h), let mv = Int(m), hv <= 23, mv <= 59 else {
                throw c.fail(offStart, "expected a UTC offset such as +02:00 or Z, got \(c.shown(from: offStart, stopAtDash: false))")
            }
            offset = (hv * 3600 + mv * 60) * (ch == "-" ? -1 : 1)
        } else {
            throw c.fail(offStart, "expected a UTC offset such as +02:00 or Z, got \(c.shown(from: offStart, stopAtDash: false))")
        }
        try c.expectEnd(after: "the time")
        return Date(unixSeconds: local.localSeconds + seconds - offset).addingTimeInterval(fraction)
    }
}
