import Foundation

/// RFC 3339 formatting without Foundation formatters (which are neither fast nor Sendable).
public enum ISOTime {
    /// `2026-03-29T02:30:00Z` (whole seconds, UTC).
    public static func utc(_ date: Date) -> String { format(date, offsetSeconds: 0) }

    /// `2026-03-29T04:30:00+02:00`: the wall time at `offsetSeconds` from UTC.
    public static func format(_ date: Date, offsetSeconds: Int) -> String {
        let t = Int(date.timeIntervalSince1970.rounded(.down)) + offsetSeconds
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secs = t - days * 86_400
        let (y, m, d) = civil(days)
        var s = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
        if offsetSeconds == 0 { s += "Z" } else {
            let a = abs(offsetSeconds)
            s += String(format: "%@%02d:%02d", offsetSeconds < 0 ? "-" : "+", a / 3600, a % 3600 / 60)
        }
        return s
    }

    /// The wall time of `date` in `zone`, with that zone's offset at that instant.
    public static func format(_ date: Date, in zone: TimeZone) -> String {
        format(date, offsetSeconds: zone.secondsFromGMT(for: date))
    }

    /// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
    static func civil(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
