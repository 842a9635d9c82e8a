import Foundation
import Testing
@testable import KlaxonCore

struct TimeParsingTests {
    @Test(arguments: [
        ("Mon", Weekday.monday), ("mon", .monday), ("MONDAY", .monday), ("Tue", .tuesday), ("tues", .tuesday),
        ("Wednesday", .wednesday), ("thu", .thursday), ("Thurs", .thursday), ("fri", .friday), ("Sat", .saturday), ("sunday", .sunday),
    ])
    func weekdays(text: String, expected: Weekday) throws {
        #expect(try Weekday.parse(text) == expected)
    }

    @Test func localDatesAndTimes() throws {
        #expect(try LocalDate.parse("2026-01-05") == LocalDate(year: 2026, month: 1, day: 5))
        #expect(try LocalDate.parse("2028-02-29") == LocalDate(year: 2028, month: 2, day: 29))
        #expect(try WallTime.parse("09:00") == WallTime(hour: 9, minute: 0))
        #expect(try WallTime.parse("9:05") == WallTime(hour: 9, minute: 5))
        #expect(try WallTime.parse("23:59") == WallTime(hour: 23, minute: 59))
        #expect(try WallTime.parse("24:00", allowEndOfDay: true) == .endOfDay)
        #expect(try LocalDateTime.parse("2026-12-24T18:00") == RT.local("2026-12-24T18:00"))
        #expect(LocalDate(year: 2026, month: 3, day: 29).weekday == .sunday)
        #expect(LocalDate(year: 2026, month: 1, day: 5).adding(days: 77) == LocalDate(year: 2026, month: 3, day: 23))
        #expect(LocalDate(daysSinceEpoch: 0) == LocalDate(year: 1970, month: 1, day: 1))
        #expect(LocalDate(year: 1969, month: 12, day: 31).daysSinceEpoch == -1)
        #expect(LocalDate.isValid(year: 2026, month: 2, day: 29) == false)
        #expect(LocalDate(year: 2026, month: 1, day: 5).description == "2026-01-05")
    }

    @Test(arguments: [
        ("12h", RotationPeriod.hours(12)), ("1d", .days(1)), ("2w", .weeks(2)), ("36h", .hours(36)), (" 1W ", .weeks(1)),
    ])
    func periods(text: String, expected: RotationPeriod) throws {
        #expect(try RotationPeriod.parse(text) == expected)
    }

    @Test func handoffs() throws {
        let a = try Rotation.parseHandoff("Mon 09:00")
        #expect(a.0 == .monday && a.1 == WallTime(hour: 9, minute: 0))
        let b = try Rotation.parseHandoff("21:30")
        #expect(b.0 == nil && b.1 == WallTime(hour: 21, minute: 30))
    }

    @Test(arguments: [
        ("Sat 00:00-Mon 00:00", RestrictionWindow(startDay: .saturday, start: .midnight, endDay: .monday, end: .midnight)),
        ("22:00-06:00", RestrictionWindow(start: WallTime(hour: 22, minute: 0), end: WallTime(hour: 6, minute: 0))),
        ("Fri 18:00 - Sun 24:00", RestrictionWindow(startDay: .friday, start: WallTime(hour: 18, minute: 0), endDay: .sunday, end: .endOfDay)),
        ("Sat 22:00-02:00", RestrictionWindow(startDay: .saturday, start: WallTime(hour: 22, minute: 0), end: WallTime(hour: 2, minute: 0))),
    ])
    func restrictionWindows(text: String, expected: RestrictionWindow) throws {
        #expect(try RestrictionWindow.parse(text) == expected)
    }

    @Test func workingHours() throws {
        let wh = try WeeklyWindows.parseWorkingHours("Mon-Fri 09:00-18:00")
        #expect(wh == WeeklyWindows.defaultWorkingHours)
        #expect(wh.secondsPerWeek == 5 * 9 * 3600)
        let list = try WeeklyWindows.parseWorkingHours("Mon-Thu 08:00-16:00, Fri 08:00-12:00; Sat 22:00-Sun 02:00")
        #expect(list.windows.count == 6)
        #expect(list.secondsPerWeek == 4 * 8 * 3600 + 4 * 3600 + 4 * 3600)
        let wrap = try WeeklyWindows.parseWorkingHours("Fri-Mon 22:00-06:00")
        #expect(wrap.windows.map(\.startDay) == [.friday, .saturday, .sunday, .monday])
        #expect(try WeeklyWindows.parseWorkingHours("always").isAlways)
        #expect(try WeeklyWindows.parseWorkingHours("24/7").isAlways)
        #expect(try WeeklyWindows.parseWorkingHours("never").isNever)
        #expect(try WeeklyWindows.parseWorkingHours("09:00-17:00").secondsPerWeek == 7 * 8 * 3600)
    }

    /// Each bad text: where the parser points (0-based character offset) and what it says.
    @Test(arguments: [
        ("time", "25:00", 0, "expected HH:MM, got 25:00: hours go from 00 to 23"),
        ("time", "09:75", 3, "expected HH:MM, got 09:75: minutes go from 00 to 59"),
        ("time", "9am", 0, "expected HH:MM, got 9am"),
        ("time", "24:00", 0, "24:00 is only allowed as the end of a window; write 00:00"),
        ("time", "09:00x", 5, "unexpected \"x\" after 09:00"),
        ("date", "2026-13-01", 5, "expected a month from 01 to 12, got 13"),
        ("date", "2026-02-30", 8, "2026-02-30 does not exist: February 2026 has 28 days"),
        ("date", "2026/01/05", 0, "expected a date as YYYY-MM-DD, got \"2026/01/05\""),
        ("date", "", 0, "expected a date as YYYY-MM-DD, got nothing"),
        ("weekday", "Mox", 0, "expected a weekday (Mon, Tue, Wed, Thu, Fri, Sat or Sun), got \"Mox\""),
        ("period", "12m", 2, "unknown unit \"m\" in \"12m\"; expected h (hours), d (days) or w (weeks)"),
        ("period", "0d", 0, "a rotation period must be at least 1, got 0"),
        ("period", "w", 0, "expected a rotation period such as 12h, 1d or 2w, got \"w\""),
        ("period", "12", 2, "expected a unit after 12: h (hours), d (days) or w (weeks)"),
        ("handoff", "Mon 9", 4, "expected HH:MM, got 9"),
        ("handoff", "Mon09:00", 3, "expected a space and HH:MM after Mon, got \"09:00\""),
        ("handoff", "Funday 09:00", 0, "expected a weekday (Mon, Tue, Wed, Thu, Fri, Sat or Sun), got \"Funday\""),
        ("window", "Sat 00:00-Mon 25:00", 14, "expected HH:MM, got 25:00: hours go from 00 to 23"),
        ("window", "Sat 00:00 Mon 00:00", 10, "expected \"-\" and the end of the window after 00:00, got \"Mon\""),
        ("window", "00:00-Mon 00:00", 6, "a window that ends on a weekday must start on one too, e.g. \"Sat 00:00-Mon 00:00\""),
        ("window", "Mon-Fri 09:00-18:00", 3, "a day range such as Mon-Fri belongs in working_hours; a restriction window is [Day ]HH:MM-[Day ]HH:MM, e.g. \"Sat 00:00-Mon 00:00\""),
        ("window", "Sat 24:00-Mon 00:00", 4, "24:00 is only allowed as the end of a window; write 00:00"),
        ("hours", "Mon-Fri 09:00-18:00, Sat 10:00-1400", 31, "expected HH:MM, got 1400"),
        ("hours", "Mon-Fro 09:00-18:00", 4, "expected a weekday (Mon, Tue, Wed, Thu, Fri, Sat or Sun), got \"Fro\""),
        ("hours", "Mon-Fri 09:00-18:00 Sat", 20, "unexpected \"Sat\" in working hours; separate windows with commas"),
        ("hours", "", 0, "expected working hours such as Mon-Fri 09:00-18:00, got nothing"),
        ("hours", "Mon-Fri 09:00-Fri 18:00", 14, "after a day range such as Mon-Fri give only times, e.g. \"Mon-Fri 09:00-18:00\""),
    ])
    func errorOffsets(kind: String, text: String, offset: Int, message: String) {
        let error: TimeParseError? = {
            do {
                switch kind {
                case "time": _ = try WallTime.parse(text)
                case "date": _ = try LocalDate.parse(text)
                case "weekday": _ = try Weekday.parse(text)
                case "period": _ = try RotationPeriod.parse(text)
                case "handoff": _ = try Rotation.parseHandoff(text)
                case "window": _ = try RestrictionWindow.parse(text)
                default: _ = try WeeklyWindows.parseWorkingHours(text)
                }
                return nil
            } catch let e as TimeParseError { return e } catch { return nil }
        }()
        #expect(error?.offset == offset, "\(text)")
        #expect(error?.message == message, "\(text)")
    }
}
