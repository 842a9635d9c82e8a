import Foundation

/// How often a rotation hands off: every N hours (elapsed), days or weeks (on the wall clock).
public enum RotationPeriod: Hashable, Sendable, CustomStringConvertible {
    case hours(Int), days(Int), weeks(Int)

    /// "12h", "1d", "2w"
    public var description: String {
        switch self {
        case .hours(let n): return "\(n)h"
        case .days(let n): return "\(n)d"
        case .weeks(let n): return "\(n)w"
        }
    }

    /// Reads "Nh", "Nd" or "Nw" with N >= 1.
    public static func parse(_ text: String) throws -> RotationPeriod {
        var c = TimeTextCursor(text)
        c.skipSpaces()
        let start = c.i
        let ds = c.digits()
        guard !ds.isEmpty else {
            throw c.fail(start, "expected a rotation period such as 12h, 1d or 2w, got \(c.shown(from: start, stopAtDash: false))")
        }
        guard let n = Int(ds), n <= 100_000 else { throw c.fail(start, "rotation period \(ds) is too long") }
        guard n >= 1 else { throw c.fail(start, "a rotation period must be at least 1, got \(ds)") }
        let unitAt = c.i
        guard let u = c.peek else {
            throw c.fail(unitAt, "expected a unit after \(ds): h (hours), d (days) or w (weeks)")
        }
        let period: RotationPeriod
        switch u {
        case "h", "H": period = .hours(n)
        case "d", "D": period = .days(n)
        case "w", "W": period = .weeks(n)
        default:
            throw c.fail(unitAt, "unknown unit \"\(u)\" in \(c.shown(from: start, stopAtDash: false)); expected h (hours), d (days) or w (weeks)")
        }
        c.i += 1
        try c.expectEnd(after: period.description)
        return period
    }
}
