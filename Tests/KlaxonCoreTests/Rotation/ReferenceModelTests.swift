import Foundation
import KlaxonTestSupport
import Testing
@testable import KlaxonCore

/// Property test: random teams (seeded, deterministic) against a deliberately simple reference that
/// walks minute by minute over three weeks around each DST change and computes every minute's
/// on-call from first principles, reading wall clocks with Calendar. The JSON intervals must match exactly.
struct ReferenceModelTests {
    struct Window: CustomStringConvertible, Sendable {
        var zone: String
        var other: String
        /// A change of the primary zone; the table runs from 9 days before it for 20 days.
        var change: String
        var seed: UInt64
        var description: String { "\(zone) around \(change)" }
    }

    static let windows: [Window] = [
        Window(zone: "America/New_York", other: "America/St_Johns", change: "2026-03-08T07:00Z", seed: 1),
        Window(zone: "America/New_York", other: "America/St_Johns", change: "2026-11-01T06:00Z", seed: 2),
        Window(zone: "Europe/Berlin", other: "America/New_York", change: "2026-03-29T01:00Z", seed: 3),
        Window(zone: "Europe/Berlin", other: "America/New_York", change: "2026-10-25T01:00Z", seed: 4),
        Window(zone: "Australia/Sydney", other: "Pacific/Chatham", change: "2026-04-04T16:00Z", seed: 5),
        Window(zone: "Australia/Sydney", other: "Pacific/Chatham", change: "2026-10-03T16:00Z", seed: 6),
        Window(zone: "Pacific/Chatham", other: "Australia/Sydney", change: "2026-04-04T14:00Z", seed: 7),
        Window(zone: "Pacific/Chatham", other: "Australia/Sydney", change: "2026-09-26T14:00Z", seed: 8),
        Window(zone: "America/St_Johns", other: "Asia/Kolkata", change: "2026-03-08T05:30Z", seed: 9),
        Window(zone: "America/St_Johns", other: "Asia/Kolkata", change: "2026-11-01T04:30Z", seed: 10),
        Window(zone: "Asia/Kolkata", other: "Europe/Berlin", change: "2026-03-29T01:00Z", seed: 11),
    ]

    static let teamsPerWindow = 16

    @Test(arguments: windows)
    func randomTeamsMatchTheReference(w: Window) {
        let tableStart = RT.utc(w.change).addingTimeInterval(-9 * 86_400)
        let minutes = 20 * 1440
        let clocks = [w.zone: RefClock(zone: RT.zone(w.zone), start: tableStart, minutes: minutes),
                      w.other: RefClock(zone: RT.zone(w.other), start: tableStart, minutes: minutes)]
        var rng = SplitMix64(seed: w.seed)
        for team in 0..<Self.teamsPerWindow {
            let schedule = RefTeams.random(&rng, zone: w.zone, other: w.other, tableStart: tableStart, minutes: minutes)
            let ref = RefSchedule(schedule: schedule, clocks: clocks)
            // Compare over the table after its first two days (layers start on day 2 or later).
            let fromMinute = 2 * 1440 + Int.random(in: 0..<60, using: &rng)
            let toMinute = minutes - Int.random(in: 0..<60, using: &rng)
            let from = tableStart.addingTimeInterval(Double(fromMinute * 60)), to = tableStart.addingTimeInterval(Double(toMinute * 60))
            let tz = RT.zone(w.zone)
            let expected = ScheduleRendering.json(intervals: ref.intervals(fromMinute, toMinute, ref.finalCodes), scheduleId: "s", timeZone: tz)
            let got = ScheduleRendering.json(intervals: schedule.intervals(from: from, to: to), scheduleId: "s", timeZone: tz)
            #expect(got == expected, "team \(team): \(RefTeams.describe(schedule))")
            if got != expected { return }
            for (i, _) in schedule.layers.enumerated() {
                let e = ScheduleRendering.json(intervals: ref.intervals(fromMinute, toMinute, ref.layerCodes[i]), scheduleId: "s", timeZone: tz)
                let g = ScheduleRendering.json(intervals: schedule.layerIntervals(layerIndex: i, from: from, to: to), scheduleId: "s", timeZone: tz)
                #expect(g == e, "team \(team) layer \(i): \(RefTeams.describe(schedule))")
            }
            // Point lookups, with `until`.
            for _ in 0..<10 {
                let i = Int.random(in: fromMinute..<toMinute, using: &rng)
                let t = tableStart.addingTimeInterval(Double(i * 60 + Int.random(in: 0..<60, using: &rng)))
                let oc = schedule.oncall(at: t)
                #expect(oc.members == (ref.final(i).map { [$0] } ?? []), "team \(team) at \(t)")
                var j = i + 1
                while j < minutes, ref.finalCodes[j] == ref.finalCodes[i] { j += 1 }
                if j < minutes {
                    #expect(oc.until == tableStart.addingTimeInterval(Double(j * 60)), "team \(team) until at \(t)")
                } else if let u = oc.until {
                    #expect(u >= tableStart.addingTimeInterval(Double(minutes * 60)))
                }
            }
        }
    }
}

/// One zone's wall clock minute by minute, read with Calendar.
final class RefClock: Sendable {
    let start: Int
    let minutes: Int
    /// yyyymmddhhmm as a number (order-preserving), weekday 1 = Monday, UTC offset.
    let wall: [Int]
    let weekday: [Int]
    /// Minutes since local Monday 00:00 on the wall clock.
    let minuteOfWeek: [Int]
    let offset: [Int]
    let first: [Int: Int]

    init(zone: TimeZone, start: Date, minutes: Int) {
        self.start = Int(start.timeIntervalSince1970)
        self.minutes = minutes
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        var wall: [Int] = [], weekday: [Int] = [], offset: [Int] = [], first: [Int: Int] = [:]
        for i in 0..<minutes {
            let d = start.addingTimeInterval(Double(i * 60))
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: d)
            let key = RefClock.key(c.year!, c.month!, c.day!, c.hour!, c.minute!)
            wall.append(key)
            weekday.append(c.weekday! == 1 ? 7 : c.weekday! - 1)
            offset.append(zone.secondsFromGMT(for: d))
            if first[key] == nil { first[key] = i }
        }
        self.wall = wall; self.weekday = weekday; self.offset = offset; self.first = first
        minuteOfWeek = (0..<minutes).map { (weekday[$0] - 1) * 1440 + (wall[$0] / 100 % 100) * 60 + wall[$0] % 100 }
    }

    static func key(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int) -> Int { (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi }

    /// The minute index at which a wall time takes effect under RFC 5545: its first occurrence; for a
    /// wall time the clocks jumped over, that wall time read with the offset in force before the jump.
    func resolve(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int) -> Int? {
        let k = RefClock.key(y, mo, d, h, mi)
        if let i = first[k] { return i }
        for i in 0..<(minutes - 1) where wall[i] < k && wall[i + 1] > k {
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            let asUTC = Int(utc.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi))!.timeIntervalSince1970)
            return (asUTC - offset[i] - start) / 60
        }
        return nil
    }
}

/// The reference: every minute's layer members and final on-call, from first principles.
struct RefSchedule {
    /// Members by minute as indices into `names` (-1: nobody), per layer and final.
    var layerCodes: [[Int]] = []
    var finalCodes: [Int] = []
    var names: [String] = []
    private var startSeconds = 0

    /// Who is on call at minute `i` (nil: nobody).
    func final(_ i: Int) -> String? { finalCodes[i] < 0 ? nil : names[finalCodes[i]] }

    init(schedule: Schedule, clocks: [String: RefClock]) {
        let n = clocks.values.first!.minutes
        let start = clocks.values.first!.start
        startSeconds = start
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        // People as small integers so that the minute loops stay cheap in debug builds.
        var names: [String] = []
        func code(_ s: String) -> Int {
            if let i = names.firstIndex(of: s) { return i }
            names.append(s); return names.count - 1
        }
        var layerCodes: [[Int]] = []
        for layer in schedule.layers {
            let clock = clocks[layer.timeZone.identifier]!
            let r = layer.rotation
            let h = r.handoff.hour, mi = r.handoff.minute
            // Handoff minutes.
            var handoffs: [Int] = []
            var day = utc.date(from: DateComponents(year: r.start.year, month: r.start.month, day: r.start.day))!
            switch r.every {
            case .hours(let hours):
                let c = utc.dateComponents([.year, .month, .day], from: day)
                var m = clock.resolve(c.year!, c.month!, c.day!, h, mi)!
                while m < n { handoffs.append(m); m += hours * 60 }
            case .days, .weeks:
                var step = 1
                if case .days(let d) = r.every { step = d }
                if case .weeks(let wks) = r.every {
                    step = 7 * wks
                    let want = r.handoffWeekday ?? Weekday(rawValue: (utc.component(.weekday, from: day) + 5) % 7 + 1)!
                    while (utc.component(.weekday, from: day) + 5) % 7 + 1 != want.rawValue { day = utc.date(byAdding: .day, value: 1, to: day)! }
                }
                while true {
                    let c = utc.dateComponents([.year, .month, .day], from: day)
                    guard let m = clock.resolve(c.year!, c.month!, c.day!, h, mi) else { break }
                    handoffs.append(m)
                    day = utc.date(byAdding: .day, value: step, to: day)!
                }
            }
            // Which minutes of the week (Monday 00:00 = 0) are inside the restrictions.
            var weekInside = [Bool](repeating: layer.restrictions.isEmpty, count: 7 * 1440)
            for wm in 0..<(7 * 1440) where !weekInside[wm] {
                weekInside[wm] = layer.restrictions.contains { RefSchedule.inside($0, weekday: wm / 1440 + 1, minuteOfDay: wm % 1440) }
            }
            let memberCodes = layer.members.map(code)
            var codes = [Int](repeating: -1, count: n)
            // Plain loops over buffers: this runs for every minute of every random team in debug builds.
            codes.withUnsafeMutableBufferPointer { out in
                clock.minuteOfWeek.withUnsafeBufferPointer { mow in
                    weekInside.withUnsafeBufferPointer { inside in
                        var next = 0
                        for i in 0..<n {
                            while next < handoffs.count, handoffs[next] <= i { next += 1 }
                            let k = next - 1
                            if k >= 0, !memberCodes.isEmpty, inside[mow[i]] { out[i] = memberCodes[k % memberCodes.count] }
                        }
                    }
                }
            }
            layerCodes.append(codes)
        }
        let ovs = schedule.overrides.map { o in
            ((Int(o.from.timeIntervalSince1970) - start) / 60, (Int(o.to.timeIntervalSince1970) - start) / 60, code(o.member), o.replaces.map(code))
        }
        var finalCodes = [Int](repeating: -1, count: n)
        // Layered: the last layer with someone.
        for l in layerCodes {
            for i in 0..<n where l[i] >= 0 { finalCodes[i] = l[i] }
        }
        // Overrides: the last listed one that covers the minute (with replaces: only while the replaced is on call).
        let layered = finalCodes
        var decided = [Bool](repeating: false, count: n)
        for (a, b, m, r) in ovs.reversed() {
            for i in max(a, 0)..<min(b, n) where !decided[i] && (r == nil || r == layered[i]) {
                finalCodes[i] = m
                decided[i] = true
            }
        }
        self.layerCodes = layerCodes
        self.finalCodes = finalCodes
        self.names = names
    }

    /// Whether a wall time (ISO weekday, minute of the day) is inside window `w`.
    static func inside(_ w: RestrictionWindow, weekday wd: Int, minuteOfDay md: Int) -> Bool {
        let s = w.start.hour * 60 + w.start.minute, e = w.end.hour * 60 + w.end.minute
        guard let sd = w.startDay?.rawValue else {
            if s < e { return s <= md && md < e }
            if s > e { return md >= s || md < e }
            return false
        }
        guard let ed = w.endDay?.rawValue else {
            if s < e { return wd == sd && s <= md && md < e }
            if s > e { return (wd == sd && md >= s) || (wd == sd % 7 + 1 && md < e) }
            return false
        }
        let mw = (wd - 1) * 1440 + md
        let ws = (sd - 1) * 1440 + s, we = (ed - 1) * 1440 + e
        if ws < we { return ws <= mw && mw < we }
        if ws > we { return mw >= ws || mw < we }
        return false
    }

    /// Maximal runs of one member in minutes [from, to) of `who` (a row of codes).
    func intervals(_ from: Int, _ to: Int, _ who: [Int]) -> [OnCallInterval] {
        var out: [OnCallInterval] = []
        who.withUnsafeBufferPointer { w in
            var i = from
            while i < to {
                var j = i
                while j < to, w[j] == w[i] { j += 1 }
                if w[i] >= 0 { out.append(OnCallInterval(member: names[w[i]], start: base(i), end: base(j))) }
                i = j
            }
        }
        return out
    }

    private func base(_ i: Int) -> Date { Date(timeIntervalSince1970: Double(startSeconds + i * 60)) }
}

/// Random teams around a DST change.
enum RefTeams {
    static let times = ["00:00", "00:30", "01:00", "01:30", "02:00", "02:15", "02:30", "02:45", "03:00", "03:15", "03:30", "03:45", "04:00",
                        "09:00", "12:00", "17:45", "18:00", "23:30"]
    static let people = ["ann", "ben", "cat", "dan", "eve", "fay"]
    static let periods: [RotationPeriod] = [.hours(1), .hours(3), .hours(8), .hours(12), .hours(24), .hours(25), .hours(36),
                                            .days(1), .days(1), .days(2), .days(3), .weeks(1), .weeks(1), .weeks(2)]

    static func time<G: RandomNumberGenerator>(_ g: inout G, allowEnd: Bool = false) -> WallTime {
        if allowEnd, Int.random(in: 0..<8, using: &g) == 0 { return .endOfDay }
        if Bool.random(using: &g) { return try! WallTime.parse(times.randomElement(using: &g)!) }
        return WallTime(hour: Int.random(in: 0..<24, using: &g), minute: [0, 15, 30, 45, Int.random(in: 0..<60, using: &g)].randomElement(using: &g)!)
    }

    static func random<G: RandomNumberGenerator>(_ g: inout G, zone: String, other: String, tableStart: Date, minutes: Int) -> Schedule {
        var layers: [Layer] = []
        for i in 0..<Int.random(in: 1...3, using: &g) {
            let z = Int.random(in: 0..<10, using: &g) < 7 ? zone : other
            let every = periods.randomElement(using: &g)!
            var weekday: Weekday? = nil
            if case .weeks = every, Int.random(in: 0..<5, using: &g) > 0 { weekday = Weekday.allCases.randomElement(using: &g)! }
            let start = LocalDate(daysSinceEpoch: Int(tableStart.timeIntervalSince1970) / 86_400 + Int.random(in: 2...9, using: &g))
            var members = (0..<Int.random(in: 1...4, using: &g)).map { _ in people.randomElement(using: &g)! }
            if Int.random(in: 0..<6, using: &g) == 0 { members = [members[0], members[0]] + members }
            var restrictions: [RestrictionWindow] = []
            if Bool.random(using: &g) {
                for _ in 0..<Int.random(in: 1...2, using: &g) {
                    let kind = Int.random(in: 0..<3, using: &g)
                    let sd: Weekday? = kind == 0 ? nil : Weekday.allCases.randomElement(using: &g)!
                    let ed: Weekday? = kind == 2 ? Weekday.allCases.randomElement(using: &g)! : nil
                    restrictions.append(RestrictionWindow(startDay: sd, start: time(&g), endDay: ed, end: time(&g, allowEnd: true)))
                }
            }
            layers.append(Layer(name: "l\(i)", timeZone: RT.zone(z), rotation: Rotation(every: every, handoff: time(&g), handoffWeekday: weekday, start: start),
                                members: members, restrictions: restrictions))
        }
        var overrides: [Override] = []
        for _ in 0..<Int.random(in: 0...3, using: &g) {
            let a = Int.random(in: 1440..<minutes, using: &g)
            let b = min(minutes, a + Int.random(in: 30...(3 * 1440), using: &g))
            let replaces: String? = Bool.random(using: &g) ? people.randomElement(using: &g)! : nil
            overrides.append(Override(member: people.randomElement(using: &g)!, from: tableStart.addingTimeInterval(Double(a * 60)),
                                      to: tableStart.addingTimeInterval(Double(b * 60)), replaces: replaces))
        }
        return Schedule(id: "s", timeZone: RT.zone(zone), layers: layers, overrides: overrides)
    }

    static func describe(_ s: Schedule) -> String {
        let ls = s.layers.map { l in
            "[\(l.timeZone.identifier) \(l.rotation.every) \(l.rotation.handoffWeekday?.shortName ?? "") \(l.rotation.handoff) from \(l.rotation.start) \(l.members) restrict \(l.restrictions.map(\.description))]"
        }
        let os = s.overrides.map { "{\($0.member) \($0.from)-\($0.to) replaces \($0.replaces ?? "-")}" }
        return ls.joined(separator: " ") + " overrides " + os.joined(separator: " ")
    }
}
