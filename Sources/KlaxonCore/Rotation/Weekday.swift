import Foundation

/// An ISO weekday, Monday = 1 ... Sunday = 7.
public enum Weekday: Int, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case monday = 1, tuesday, wednesday, thursday, friday, saturday, sunday

    public static func < (a: Weekday, b: Weekday) -> Bool { a.rawValue < b.rawValue }

    /// "Mon", "Tue", ...
    public var shortName: String { ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][rawValue - 1] }
    /// "Monday", "Tuesday", ...
    public var name: String { ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][rawValue - 1] }
    public var description: String { shortName }

    /// The following day (Sunday is followed by Monday).
    public var next: Weekday { Weekday(rawValue: rawValue % 7 + 1)! }

    /// Reads "Mon" ... "Sun" or the full names, case-insensitively.
    public static func parse(_ text: String) throws -> Weekday {
        var c = TimeTextCursor(text)
        c.skipSpaces()
        let d = try scan(&c)
        try c.expectEnd(after: d.shortName)
        return d
    }

    static let spellings: [String: Weekday] = [
        "mon": .monday, "monday": .monday,
        "tue": .tuesday, "tues": .tuesday, "tuesday": .tuesday,
        "wed": .wednesday, "wednesday": .wednesday,
        "thu": .thursday, "thur": .thursday, "thurs": .thursday, "thursday": .thursday,
        "fri": .friday, "friday": .friday,
        "sat": .saturday, "saturday": .saturday,
        "sun": .sunday, "sunday": .sunday,
    ]

    static func scan(_ c: inout TimeTextCursor) throws -> Weekday {
        let start = c.i
        let word = c.letters()
        guard let d = spellings[word.lowercased()] else {
            throw c.fail(start, "expected a weekday (Mon, Tue, Wed, Thu, Fri, Sat or Sun), got \(c.shown(from: start))")
        }
        return d
    }
}
