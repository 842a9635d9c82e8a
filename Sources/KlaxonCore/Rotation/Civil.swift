import Foundation

/// Proleptic Gregorian calendar arithmetic on days since 1970-01-01 (Howard Hinnant's algorithms),
/// used instead of `Calendar` in hot paths (the rotation math, the HTTP `Date` header).
public enum Civil {
    static let secondsPerDay = 86_400
    static let secondsPerWeek = 604_800

    @inline(__always) public static func floorDiv(_ a: Int, _ b: Int) -> Int {
        let q = a / b
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
    }

    @inline(__always) public static func floorMod(_ a: Int, _ b: Int) -> Int { a - floorDiv(a, b) * b }

    /// Days since 1970-01-01 of a (valid) civil date.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date `days` after 1970-01-01.
    public static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }

    /// ISO weekday (Monday = 1) of the day `days` after 1970-01-01 (a Thursday).
    @inline(__always) static func weekdayNumber(days: Int) -> Int { floorMod(days + 3, 7) + 1 }

    /// Seconds since local Monday 00:00 of the wall-clock second `local` (local seconds since the epoch).
    @inline(__always) static func secondOfWeek(local: Int) -> Int { floorMod(local + 3 * secondsPerDay, secondsPerWeek) }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July",
                             "August", "September", "October", "November", "December"]
}

extension Date {
    /// Whole Unix seconds, rounded down.
    @inline(__always) var unixSeconds: Int { Int(timeIntervalSince1970.rounded(.down)) }
    @inline(__always) init(unixSeconds: Int) { self.init(timeIntervalSince1970: TimeInterval(unixSeconds)) }
}
