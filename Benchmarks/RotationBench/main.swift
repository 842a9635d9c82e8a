// A release benchmark of the rotation math (issue 3): `make bench-rotation`.
//
// 1. A year of final on-call intervals for 100 teams, each with one schedule of 3 layers (a weekly
//    rotation, a daily follow-the-sun layer restricted to nights, a weekend cover) and 20
//    overrides, in zones with and without DST (target: under 1 s in all).
// 2. One on-call lookup, `Schedule.oncall(at:)` with its `until`, at random instants of that year
//    (target: under 20 µs each).
import Foundation
import KlaxonCore

let zones = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Pacific/Chatham", "America/St_Johns",
             "Asia/Kolkata", "Asia/Tokyo", "America/Los_Angeles", "Europe/London", "UTC"]

struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

func schedules(count: Int, year: Int) -> [Schedule] {
    var rng = Rng(state: 42)
    return (0..<count).map { t in
        let zone = TimeZone(identifier: zones[t % zones.count])!
        let other = TimeZone(identifier: zones[(t + 3) % zones.count])!
        let people = (0..<8).map { "p\(t)-\($0)" }
        let start = LocalDate(year: year - 1, month: 12, day: 1 + rng.int(28))
        let weekly = Layer(name: "weekly", timeZone: zone,
                           rotation: Rotation(every: .weeks(1), handoff: WallTime(hour: 9, minute: 0), handoffWeekday: .monday, start: start),
                           members: Array(people[0..<4]))
        let nights = Layer(name: "nights", timeZone: other,
                           rotation: Rotation(every: .days(1), handoff: WallTime(hour: 2, minute: 30), start: start),
                           members: Array(people[3..<6]),
                           restrictions: [try! RestrictionWindow.parse("22:00-06:00")])
        let weekend = Layer(name: "weekend", timeZone: zone,
                            rotation: Rotation(every: .hours(12), handoff: WallTime(hour: 8, minute: 0), start: start),
                            members: Array(people[5..<8]),
                            restrictions: [try! RestrictionWindow.parse("Sat 00:00-Mon 00:00")])
        let yearStart = zone.instant(of: LocalDateTime(date: LocalDate(year: year, month: 1, day: 1), time: .midnight))
        let overrides = (0..<20).map { _ -> Override in
            let from = yearStart.addingTimeInterval(TimeInterval(rng.int(365 * 24)) * 3600)
            let to = from.addingTimeInterval(TimeInterval(1 + rng.int(72)) * 3600)
            let who = people[rng.int(people.count)]
            return Override(member: who, from: from, to: to, replaces: rng.int(3) == 0 ? people[rng.int(4)] : nil)
        }
        return Schedule(id: "primary-\(t)", timeZone: zone, layers: [weekly, nights, weekend], overrides: overrides)
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

let year = 2026
let teams = schedules(count: 100, year: year)
let utc = TimeZone(identifier: "UTC")!
let from = utc.instant(of: LocalDateTime(date: LocalDate(year: year, month: 1, day: 1), time: .midnight))
let to = utc.instant(of: LocalDateTime(date: LocalDate(year: year + 1, month: 1, day: 1), time: .midnight))
let clock = ContinuousClock()

// Warm up: zone tables are read from the system once per zone and cached.
for s in teams { _ = s.oncall(at: from) }

// 1. A year of schedules for 100 teams.
var yearRuns: [Double] = []
var intervalCount = 0
for _ in 0..<5 {
    var n = 0
    let d = clock.measure {
        for s in teams { n += s.intervals(from: from, to: to).count }
    }
    intervalCount = n
    yearRuns.append(seconds(d))
}
yearRuns.sort()

// 2. One on-call lookup, at random instants of the year.
var rng = Rng(state: 7)
let lookups = 200_000
let instants = (0..<lookups).map { _ in from.addingTimeInterval(TimeInterval(rng.int(365 * 86_400))) }
var sink = 0
var lookupRuns: [Double] = []
for _ in 0..<5 {
    let d = clock.measure {
        for (i, t) in instants.enumerated() {
            let o = teams[i % teams.count].oncall(at: t)
            sink &+= o.members.count &+ (o.until == nil ? 0 : 1)
        }
    }
    lookupRuns.append(seconds(d) / Double(lookups))
}
lookupRuns.sort()

let yearMedian = yearRuns[yearRuns.count / 2], lookupMedian = lookupRuns[lookupRuns.count / 2]
print("rotation benchmark (release build, \(ProcessInfo.processInfo.activeProcessorCount) cores)")
print(String(format: "  a year of schedules, 100 teams x 3 layers + 20 overrides: %.1f ms median of 5 (best %.1f ms), %d intervals; target < 1000 ms: %@",
             yearMedian * 1000, yearRuns[0] * 1000, intervalCount, yearMedian < 1 ? "ok" : "MISSED"))
print(String(format: "  one on-call lookup (with until): %.2f µs median of 5 x %d lookups (best %.2f µs); target < 20 µs: %@",
             lookupMedian * 1e6, lookups, lookupRuns[0] * 1e6, lookupMedian < 20e-6 ? "ok" : "MISSED"))
if sink == 42 { print("") }   // keeps the lookups from being optimised away
