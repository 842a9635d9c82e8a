import Foundation
@testable import KlaxonCore

/// Helpers for the rotation tests (a namespace, so nothing clashes with other test files).
enum RT {
    static func zone(_ id: String) -> TimeZone { TimeZone(identifier: id)! }

    /// "2026-03-08T07:30Z" or "2026-03-08T07:30:00Z" (UTC), read without the code under test.
    static func utc(_ s: String) -> Date {
        let parts = s.dropLast().split(separator: "T")
        let d = parts[0].split(separator: "-").map { Int($0)! }
        let t = parts[1].split(separator: ":").map { Int($0)! }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal.date(from: DateComponents(year: d[0], month: d[1], day: d[2], hour: t[0], minute: t[1], second: t.count > 2 ? t[2] : 0))!
    }

    /// "2026-03-08T02:30" as a LocalDateTime.
    static func local(_ s: String) -> LocalDateTime {
        let parts = s.split(separator: "T")
        let d = parts[0].split(separator: "-").map { Int($0)! }
        let t = parts[1].split(separator: ":").map { Int($0)! }
        return LocalDateTime(date: LocalDate(year: d[0], month: d[1], day: d[2]), time: WallTime(hour: t[0], minute: t[1]))
    }

    static func date(_ s: String) -> LocalDate { local(s + "T00:00").date }

    /// A local time in `zone` resolved by the code under test (for building schedules).
    static func at(_ s: String, _ zone: String) -> Date { RT.zone(zone).instant(of: local(s)) }

    static func layer(_ zone: String, name: String = "l", every: RotationPeriod, handoff: String, start: String,
                      members: [String], restrict: [String] = []) -> Layer {
        let (day, time) = try! Rotation.parseHandoff(handoff)
        return Layer(name: name, timeZone: RT.zone(zone),
                     rotation: Rotation(every: every, handoff: time, handoffWeekday: day, start: date(start)),
                     members: members, restrictions: restrict.map { try! RestrictionWindow.parse($0) })
    }

    /// The example schedule of SPEC 3.2 (Rotations/ml-platform.yaml, schedule primary).
    static func specPrimary() -> Schedule {
        let berlin = "Europe/Berlin"
        return Schedule(id: "primary", timeZone: zone(berlin), layers: [
            layer(berlin, name: "weekly", every: .weeks(1), handoff: "Mon 09:00", start: "2026-01-05", members: ["alice", "bob", "carol"]),
            layer(berlin, name: "weekend-cover", every: .days(1), handoff: "09:00", start: "2026-01-03", members: ["dana", "erin"],
                  restrict: ["Sat 00:00-Mon 00:00"]),
        ], overrides: [
            Override(member: "bob", from: at("2026-12-24T18:00", berlin), to: at("2026-12-27T09:00", berlin)),
            Override(member: "carol", from: utc("2026-04-01T07:00Z"), to: utc("2026-04-02T07:00Z"), replaces: "alice"),
        ])
    }

    static func iv(_ member: String, _ start: String, _ end: String) -> OnCallInterval {
        OnCallInterval(member: member, start: utc(start), end: utc(end))
    }
}

