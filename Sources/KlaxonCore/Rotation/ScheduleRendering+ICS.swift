import Foundation

/// One on-call shift as a calendar event.
public struct CalendarShift: Sendable, Hashable {
    public var team: String
    public var scheduleId: String
    public var member: String
    public var start: Date
    public var end: Date

    public init(team: String, scheduleId: String, member: String, start: Date, end: Date) {
        self.team = team; self.scheduleId = scheduleId; self.member = member; self.start = start; self.end = end
    }
}

extension ScheduleRendering {
    /// An RFC 5545 calendar of one schedule's intervals (SUMMARY "On call: <member> (<team>/<schedule>)").
    public static func ics(intervals: [OnCallInterval], team: String, scheduleId: String, now: Date) -> String {
        ics(shifts: intervals.map { CalendarShift(team: team, scheduleId: scheduleId, member: $0.member, start: $0.start, end: $0.end) },
            now: now, calendarName: "On call: \(team)/\(scheduleId)")
    }

    /// An RFC 5545 VCALENDAR: CRLF line endings, lines folded at 75 octets, one VEVENT per shift with a
    /// stable UID, DTSTAMP `now`, DTSTART/DTEND in UTC, text escaped.
    public static func ics(shifts: [CalendarShift], now: Date, calendarName: String) -> String {
        var lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//Klaxon//On-call schedules//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:" + icsText(calendarName),
            "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
            "X-PUBLISHED-TTL:PT1H",
        ]
        let stamp = icsUTC(now)
        for s in shifts.sorted(by: { ($0.start, $0.team, $0.scheduleId, $0.member) < ($1.start, $1.team, $1.scheduleId, $1.member) }) {
            lines += [
                "BEGIN:VEVENT",
                "UID:" + icsText("\(icsUTC(s.start))-\(uidPart(s.member))-\(uidPart(s.team))-\(uidPart(s.scheduleId))@klaxon"),
                "DTSTAMP:" + stamp,
                "DTSTART:" + icsUTC(s.start),
                "DTEND:" + icsUTC(s.end),
                "SUMMARY:" + icsText("On call: \(s.member) (\(s.team)/\(s.scheduleId))"),
                "TRANSP:TRANSPARENT",
                "END:VEVENT",
            ]
        }
        lines.append("END:VCALENDAR")
        return lines.map(fold).joined(separator: "\r\n") + "\r\n"
    }

    /// "20260329T010000Z"
    static func icsUTC(_ d: Date) -> String {
        let u = d.unixSeconds
        let days = Civil.floorDiv(u, Civil.secondsPerDay)
        let sod = u - days * Civil.secondsPerDay
        let c = Civil.date(days: days)
        return "\(zeroPadded(c.year, 4))\(zeroPadded(c.month, 2))\(zeroPadded(c.day, 2))T\(zeroPadded(sod / 3600, 2))\(zeroPadded(sod % 3600 / 60, 2))\(zeroPadded(sod % 60, 2))Z"
    }

    /// RFC 5545 TEXT escaping: backslash, semicolon, comma and newlines.
    static func icsText(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case ";": out += "\\;"
            case ",": out += "\\,"
            case "\n": out += "\\n"
            case "\r": break
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// An id made safe for a UID: letters, digits, '.', '_' and '-' kept, other bytes as %XX.
    private static func uidPart(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(UnicodeScalar(b))
            if b < 0x80, c.isLetter || c.isNumber || c == "." || c == "_" || c == "-" { out.append(c) }
            else { out += String(format: "%%%02X", b) }
        }
        return out
    }

    /// Folds a content line at 75 octets (continuations start with a space), never inside a UTF-8 sequence.
    static func fold(_ line: String) -> String {
        guard line.utf8.count > 75 else { return line }
        var out = ""
        var used = 0
        var limit = 75
        for scalar in line.unicodeScalars {
            let n = String(scalar).utf8.count
            if used + n > limit {
                out += "\r\n "
                used = 1
                limit = 75
            }
            out.unicodeScalars.append(scalar)
            used += n
        }
        return out
    }
}
