import Foundation

/// Pure text renderings of schedules: JSON (SPEC 6), a table, RFC 5545 calendars and SVG pictures.
public enum ScheduleRendering {
    // MARK: time text

    /// RFC 3339 with the zone's offset at that instant, whole seconds: "2026-03-29T09:00:00+02:00" ("Z" for offset 0).
    public static func rfc3339(_ date: Date, in tz: TimeZone) -> String {
        let u = date.unixSeconds
        let off = ZoneRules.of(tz).offset(at: u)
        let l = u + off
        let days = Civil.floorDiv(l, Civil.secondsPerDay)
        let sod = l - days * Civil.secondsPerDay
        let d = LocalDate(daysSinceEpoch: days)
        return "\(d)T\(zeroPadded(sod / 3600, 2)):\(zeroPadded(sod % 3600 / 60, 2)):\(zeroPadded(sod % 60, 2))\(offsetText(off, zulu: true))"
    }

    /// "+02:00", "-03:30" (or "Z" for 0 when `zulu`).
    public static func offsetText(_ seconds: Int, zulu: Bool = false) -> String {
        if seconds == 0 && zulu { return "Z" }
        let a = abs(seconds)
        return "\(seconds < 0 ? "-" : "+")\(zeroPadded(a / 3600, 2)):\(zeroPadded(a % 3600 / 60, 2))"
    }

    /// "Sun 2026-03-29 03:00 +02:00": weekday, local date and time, and the offset then.
    public static func localTime(_ date: Date, in tz: TimeZone) -> String {
        let u = date.unixSeconds
        let off = ZoneRules.of(tz).offset(at: u)
        let l = LocalDateTime(localSeconds: u + off)
        return "\(l.date.weekday.shortName) \(l.date) \(l.time) \(offsetText(off))"
    }

    /// "6d 23h", "47h 30m"-style lengths: "2d 1h", "45m", "0m".
    public static func duration(_ t: TimeInterval) -> String {
        let m = Int((t / 60).rounded())
        let d = m / 1440, h = m % 1440 / 60, mi = m % 60
        var parts: [String] = []
        if d > 0 { parts.append("\(d)d") }
        if h > 0 { parts.append("\(h)h") }
        if mi > 0 || parts.isEmpty { parts.append("\(mi)m") }
        return parts.joined(separator: " ")
    }

    // MARK: JSON

    /// SPEC 6: `[{"schedule","member","start","end"}]`, times RFC 3339 with the zone's offset.
    public static func json(intervals: [OnCallInterval], scheduleId: String, timeZone: TimeZone) -> String {
        json(schedules: [(scheduleId, intervals)], timeZone: timeZone)
    }

    /// Several schedules' intervals in one array, schedule by schedule.
    public static func json(schedules: [(id: String, intervals: [OnCallInterval])], timeZone: TimeZone) -> String {
        let rows = schedules.flatMap { s in
            s.intervals.map { i in
                "{\"schedule\":\(jsonString(s.id)),\"member\":\(jsonString(i.member)),\"start\":\"\(rfc3339(i.start, in: timeZone))\",\"end\":\"\(rfc3339(i.end, in: timeZone))\"}"
            }
        }
        return rows.isEmpty ? "[]" : "[\n  " + rows.joined(separator: ",\n  ") + "\n]"
    }

    /// A JSON string literal.
    public static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                // U+2028/2029 too: valid JSON, but they end lines in JavaScript.
                if u.value < 0x20 || u.value == 0x2028 || u.value == 0x2029 { out += String(format: "\\u%04x", u.value) }
                else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    // MARK: table

    /// A readable table of one schedule's final on-call in `timeZone`, gaps included as "(nobody)".
    public static func table(intervals: [OnCallInterval], team: String, scheduleId: String, from: Date, to: Date, timeZone: TimeZone) -> String {
        table(schedules: [(scheduleId, intervals)], team: team, from: from, to: to, timeZone: timeZone)
    }

    /// A readable table of several schedules, one block each, times in `timeZone`.
    public static func table(schedules: [(id: String, intervals: [OnCallInterval])], team: String, from: Date, to: Date, timeZone: TimeZone) -> String {
        var blocks: [String] = []
        for s in schedules {
            var rows: [(String, String, String, String)] = []
            var cursor = from
            func gap(until t: Date) {
                if cursor < t { rows.append((localTime(cursor, in: timeZone), localTime(t, in: timeZone), "(nobody)", duration(t.timeIntervalSince(cursor)))) }
            }
            for i in s.intervals.sorted(by: { $0.start < $1.start }) {
                gap(until: i.start)
                rows.append((localTime(i.start, in: timeZone), localTime(i.end, in: timeZone), i.member, duration(i.duration)))
                cursor = max(cursor, i.end)
            }
            gap(until: to)
            let header = ("FROM", "TO", "ON CALL", "LENGTH")
            let all = [header] + rows
            let w0 = all.map(\.0.count).max()!, w1 = all.map(\.1.count).max()!, w2 = all.map(\.2.count).max()!
            func line(_ r: (String, String, String, String)) -> String {
                "  " + r.0.padding(toLength: w0, withPad: " ", startingAt: 0) + "  " + r.1.padding(toLength: w1, withPad: " ", startingAt: 0)
                    + "  " + r.2.padding(toLength: w2, withPad: " ", startingAt: 0) + "  " + r.3
            }
            var text = "\(team) / \(s.id): on call from \(localTime(from, in: timeZone)) to \(localTime(to, in: timeZone)) (\(timeZone.identifier))\n"
            text += all.map { line($0).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }.joined(separator: "\n")
            blocks.append(text)
        }
        return blocks.joined(separator: "\n\n") + "\n"
    }
}
