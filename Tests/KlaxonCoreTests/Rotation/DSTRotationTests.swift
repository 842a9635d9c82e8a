import Foundation
import Testing
@testable import KlaxonCore

/// Table-driven DST cases for rotations, restrictions and overrides in six zones (hand-computed).
struct DSTRotationTests {
    struct ShiftCase: CustomStringConvertible, Sendable {
        var zone: String, every: RotationPeriod, handoff: String, start: String, members: [String]
        var probe: String, member: String, shiftStart: String, shiftEnd: String, hours: Double
        var description: String { "\(zone) \(every) \(handoff) from \(start) at \(probe)" }
    }

    @Test(arguments: [
        // New York, daily 02:30: the spring-forward handoff falls in the gap -> 03:30 EDT; that shift is 23h.
        ShiftCase(zone: "America/New_York", every: .days(1), handoff: "02:30", start: "2026-03-01", members: ["a", "b", "c"],
                  probe: "2026-03-08T07:29Z", member: "a", shiftStart: "2026-03-07T07:30Z", shiftEnd: "2026-03-08T07:30Z", hours: 24),
        ShiftCase(zone: "America/New_York", every: .days(1), handoff: "02:30", start: "2026-03-01", members: ["a", "b", "c"],
                  probe: "2026-03-08T12:00Z", member: "b", shiftStart: "2026-03-08T07:30Z", shiftEnd: "2026-03-09T06:30Z", hours: 23),
        // New York, daily 09:00 over fall back: 25h.
        ShiftCase(zone: "America/New_York", every: .days(1), handoff: "09:00", start: "2026-10-01", members: ["a", "b"],
                  probe: "2026-11-01T13:59Z", member: "a", shiftStart: "2026-10-31T13:00Z", shiftEnd: "2026-11-01T14:00Z", hours: 25),
        // New York, daily 01:30 over fall back: the repeated 01:30 hands off at its first occurrence; the shift is 25h.
        ShiftCase(zone: "America/New_York", every: .days(1), handoff: "01:30", start: "2026-10-30", members: ["a", "b", "c"],
                  probe: "2026-11-01T06:10Z", member: "c", shiftStart: "2026-11-01T05:30Z", shiftEnd: "2026-11-02T06:30Z", hours: 25),
        // New York, weekly Sun 02:30: a 167h week.
        ShiftCase(zone: "America/New_York", every: .weeks(1), handoff: "Sun 02:30", start: "2026-03-01", members: ["a", "b"],
                  probe: "2026-03-10T00:00Z", member: "b", shiftStart: "2026-03-08T07:30Z", shiftEnd: "2026-03-15T06:30Z", hours: 167),
        // New York, 12h rotation: elapsed hours, so after the change it hands off at 10:00/22:00 EDT.
        ShiftCase(zone: "America/New_York", every: .hours(12), handoff: "09:00", start: "2026-03-07", members: ["a", "b"],
                  probe: "2026-03-08T13:59Z", member: "b", shiftStart: "2026-03-08T02:00Z", shiftEnd: "2026-03-08T14:00Z", hours: 12),
        // Berlin, the SPEC's weekly Mon 09:00 rotation: 167h and 169h weeks, never drifting.
        ShiftCase(zone: "Europe/Berlin", every: .weeks(1), handoff: "Mon 09:00", start: "2026-01-05", members: ["alice", "bob", "carol"],
                  probe: "2026-03-29T12:00Z", member: "carol", shiftStart: "2026-03-23T08:00Z", shiftEnd: "2026-03-30T07:00Z", hours: 167),
        ShiftCase(zone: "Europe/Berlin", every: .weeks(1), handoff: "Mon 09:00", start: "2026-01-05", members: ["alice", "bob", "carol"],
                  probe: "2026-10-25T12:00Z", member: "carol", shiftStart: "2026-10-19T07:00Z", shiftEnd: "2026-10-26T08:00Z", hours: 169),
        // Berlin, weekly with a start that is not the handoff weekday: first handoff Mon 2026-01-12.
        ShiftCase(zone: "Europe/Berlin", every: .weeks(1), handoff: "Mon 09:00", start: "2026-01-07", members: ["a", "b"],
                  probe: "2026-01-12T07:59Z", member: "", shiftStart: "", shiftEnd: "2026-01-12T08:00Z", hours: 0),
        ShiftCase(zone: "Europe/Berlin", every: .days(1), handoff: "02:30", start: "2026-03-28", members: ["a", "b"],
                  probe: "2026-03-29T01:30Z", member: "b", shiftStart: "2026-03-29T01:30Z", shiftEnd: "2026-03-30T00:30Z", hours: 23),
        ShiftCase(zone: "Europe/Berlin", every: .days(1), handoff: "02:30", start: "2026-10-24", members: ["a", "b"],
                  probe: "2026-10-25T01:00Z", member: "b", shiftStart: "2026-10-25T00:30Z", shiftEnd: "2026-10-26T01:30Z", hours: 25),
        // Berlin, 8h rotation whose first handoff is in the gap (02:30 -> 03:30 CEST).
        ShiftCase(zone: "Europe/Berlin", every: .hours(8), handoff: "02:30", start: "2026-03-29", members: ["a", "b", "c"],
                  probe: "2026-03-29T09:30Z", member: "b", shiftStart: "2026-03-29T09:30Z", shiftEnd: "2026-03-29T17:30Z", hours: 8),
        // Sydney: 25h in April, 23h in October; 02:30 handoff in the October gap.
        ShiftCase(zone: "Australia/Sydney", every: .days(1), handoff: "09:00", start: "2026-04-01", members: ["a", "b", "c"],
                  probe: "2026-04-04T12:00Z", member: "a", shiftStart: "2026-04-03T22:00Z", shiftEnd: "2026-04-04T23:00Z", hours: 25),
        ShiftCase(zone: "Australia/Sydney", every: .days(1), handoff: "09:00", start: "2026-10-01", members: ["a", "b"],
                  probe: "2026-10-03T12:00Z", member: "a", shiftStart: "2026-10-02T23:00Z", shiftEnd: "2026-10-03T22:00Z", hours: 23),
        ShiftCase(zone: "Australia/Sydney", every: .days(1), handoff: "02:30", start: "2026-10-03", members: ["a", "b"],
                  probe: "2026-10-04T00:00Z", member: "b", shiftStart: "2026-10-03T16:30Z", shiftEnd: "2026-10-04T15:30Z", hours: 23),
        // Chatham (+12:45/+13:45): 23h and 25h days; 03:00 handoffs in the gap and in the repeat.
        ShiftCase(zone: "Pacific/Chatham", every: .days(1), handoff: "12:00", start: "2026-09-20", members: ["a", "b"],
                  probe: "2026-09-26T12:00Z", member: "a", shiftStart: "2026-09-25T23:15Z", shiftEnd: "2026-09-26T22:15Z", hours: 23),
        ShiftCase(zone: "Pacific/Chatham", every: .days(1), handoff: "03:00", start: "2026-09-26", members: ["a", "b"],
                  probe: "2026-09-26T15:00Z", member: "b", shiftStart: "2026-09-26T14:15Z", shiftEnd: "2026-09-27T13:15Z", hours: 23),
        ShiftCase(zone: "Pacific/Chatham", every: .days(1), handoff: "03:00", start: "2026-04-04", members: ["a", "b"],
                  probe: "2026-04-04T14:30Z", member: "b", shiftStart: "2026-04-04T13:15Z", shiftEnd: "2026-04-05T14:15Z", hours: 25),
        // Chatham 24h rotation: elapsed, so unlike the 1d rotation it ends up handing off at 13:00 CHADT.
        ShiftCase(zone: "Pacific/Chatham", every: .hours(24), handoff: "12:00", start: "2026-09-26", members: ["a", "b"],
                  probe: "2026-09-27T00:00Z", member: "b", shiftStart: "2026-09-26T23:15Z", shiftEnd: "2026-09-27T23:15Z", hours: 24),
        // St John's (-3:30/-2:30).
        ShiftCase(zone: "America/St_Johns", every: .days(1), handoff: "09:00", start: "2026-03-01", members: ["a", "b", "c"],
                  probe: "2026-03-08T00:00Z", member: "a", shiftStart: "2026-03-07T12:30Z", shiftEnd: "2026-03-08T11:30Z", hours: 23),
        ShiftCase(zone: "America/St_Johns", every: .days(1), handoff: "09:00", start: "2026-10-31", members: ["a", "b"],
                  probe: "2026-11-01T12:00Z", member: "a", shiftStart: "2026-10-31T11:30Z", shiftEnd: "2026-11-01T12:30Z", hours: 25),
        ShiftCase(zone: "America/St_Johns", every: .hours(6), handoff: "00:00", start: "2026-10-31", members: ["a", "b"],
                  probe: "2026-11-01T06:00Z", member: "a", shiftStart: "2026-11-01T02:30Z", shiftEnd: "2026-11-01T08:30Z", hours: 6),
        // Kolkata: no DST, every day is 24h.
        ShiftCase(zone: "Asia/Kolkata", every: .days(1), handoff: "09:00", start: "2026-03-01", members: ["a", "b"],
                  probe: "2026-03-08T12:00Z", member: "b", shiftStart: "2026-03-08T03:30Z", shiftEnd: "2026-03-09T03:30Z", hours: 24),
        ShiftCase(zone: "Asia/Kolkata", every: .weeks(2), handoff: "Wed 18:30", start: "2026-03-01", members: ["a", "b"],
                  probe: "2026-03-10T00:00Z", member: "a", shiftStart: "2026-03-04T13:00Z", shiftEnd: "2026-03-18T13:00Z", hours: 336),
    ])
    func shifts(c: ShiftCase) {
        let layer = RT.layer(c.zone, every: c.every, handoff: c.handoff, start: c.start, members: c.members)
        let t = RT.utc(c.probe)
        if c.member.isEmpty {
            #expect(layer.member(at: t) == nil)
            #expect(layer.shift(at: t) == nil)
            #expect(layer.member(at: RT.utc(c.shiftEnd)) == c.members[0])
            return
        }
        #expect(layer.member(at: t) == c.member)
        let s = layer.shift(at: t)
        #expect(s?.start == RT.utc(c.shiftStart))
        #expect(s?.end == RT.utc(c.shiftEnd))
        #expect(s.map { $0.end.timeIntervalSince($0.start) / 3600 } == c.hours)
        // The boundaries themselves: start inclusive, end exclusive.
        #expect(layer.member(at: RT.utc(c.shiftStart)) == c.member)
        #expect(layer.member(at: RT.utc(c.shiftStart).addingTimeInterval(-1)) != c.member || c.members.count == 1)
        #expect(layer.member(at: RT.utc(c.shiftEnd)) != c.member)
    }

    /// Restriction windows follow the local wall time: a window starting inside a gap starts when the
    /// clocks jump; a window inside a repeated hour is open twice; a window wholly inside a gap vanishes that day.
    @Test(arguments: [
        ("America/New_York", "02:30-04:00", "2026-03-08T00:00Z", "2026-03-09T00:00Z", [("2026-03-08T07:00Z", "2026-03-08T08:00Z")]),
        ("America/New_York", "02:30-04:00", "2026-03-07T00:00Z", "2026-03-08T00:00Z", [("2026-03-07T07:30Z", "2026-03-07T09:00Z")]),
        ("America/New_York", "01:00-01:30", "2026-11-01T00:00Z", "2026-11-02T00:00Z",
         [("2026-11-01T05:00Z", "2026-11-01T05:30Z"), ("2026-11-01T06:00Z", "2026-11-01T06:30Z")]),
        ("Europe/Berlin", "Sun 02:00-Sun 04:00", "2026-03-28T00:00Z", "2026-03-30T00:00Z", [("2026-03-29T01:00Z", "2026-03-29T02:00Z")]),
        ("Europe/Berlin", "Sat 00:00-Mon 00:00", "2026-03-27T00:00Z", "2026-03-31T00:00Z", [("2026-03-27T23:00Z", "2026-03-29T22:00Z")]),
        ("Europe/Berlin", "Sat 00:00-Mon 00:00", "2026-10-23T00:00Z", "2026-10-27T00:00Z", [("2026-10-23T22:00Z", "2026-10-25T23:00Z")]),
        ("Europe/Berlin", "22:00-02:30", "2026-10-24T12:00Z", "2026-10-25T12:00Z",
         [("2026-10-24T20:00Z", "2026-10-25T00:30Z"), ("2026-10-25T01:00Z", "2026-10-25T01:30Z")]),
        ("Australia/Sydney", "02:30-03:30", "2026-10-03T00:00Z", "2026-10-04T00:00Z", [("2026-10-03T16:00Z", "2026-10-03T16:30Z")]),
        ("Australia/Sydney", "Sun 02:15-Sun 02:45", "2026-04-04T00:00Z", "2026-04-05T00:00Z",
         [("2026-04-04T15:15Z", "2026-04-04T15:45Z"), ("2026-04-04T16:15Z", "2026-04-04T16:45Z")]),
        ("Pacific/Chatham", "03:00-05:00", "2026-09-26T00:00Z", "2026-09-27T00:00Z", [("2026-09-26T14:00Z", "2026-09-26T15:15Z")]),
        ("America/St_Johns", "02:15-02:45", "2026-03-08T00:00Z", "2026-03-10T00:00Z", [("2026-03-09T04:45Z", "2026-03-09T05:15Z")]),
        ("Asia/Kolkata", "Fri 18:00-Mon 09:00", "2026-03-05T00:00Z", "2026-03-12T00:00Z", [("2026-03-06T12:30Z", "2026-03-09T03:30Z")]),
    ])
    func restrictionWindows(zone: String, window: String, from: String, to: String, expected: [(String, String)]) throws {
        let w = WeeklyWindows([try RestrictionWindow.parse(window)])
        let tz = RT.zone(zone)
        let got = w.intervals(from: RT.utc(from), to: RT.utc(to), in: tz)
        #expect(got == expected.map { DateInterval(start: RT.utc($0.0), end: RT.utc($0.1)) })
        // contains / nextEntry / nextExit agree with the intervals.
        if let first = expected.first {
            #expect(w.nextEntry(atOrAfter: RT.utc(from), in: tz) == RT.utc(first.0))
            #expect(w.contains(RT.utc(first.0), in: tz))
            #expect(!w.contains(RT.utc(first.0).addingTimeInterval(-1), in: tz))
            #expect(w.nextExit(after: RT.utc(first.0), in: tz) == RT.utc(first.1))
            #expect(!w.contains(RT.utc(first.1), in: tz))
        }
    }

    /// A restricted rotation layer across a change: the SPEC's weekend cover (daily 09:00, Sat 00:00-Mon 00:00).
    @Test func weekendCoverAcrossSpringForward() {
        let s = RT.specPrimary()
        let got = s.layerIntervals(layerIndex: 1, from: RT.utc("2026-03-27T00:00Z"), to: RT.utc("2026-03-31T00:00Z"))
        // Handoffs 09:00 daily from 2026-01-03: Sat 2026-03-28 is day 84 -> dana; Sun 03-29 -> erin.
        #expect(got == [
            RT.iv("erin", "2026-03-27T23:00Z", "2026-03-28T08:00Z"),
            RT.iv("dana", "2026-03-28T08:00Z", "2026-03-29T07:00Z"),
            RT.iv("erin", "2026-03-29T07:00Z", "2026-03-29T22:00Z"),
        ])
    }

    /// Overrides with local times across a change keep their real length.
    @Test(arguments: [
        ("Europe/Berlin", "2026-03-28T22:00", "2026-03-29T06:00", "2026-03-28T21:00Z", "2026-03-29T04:00Z", 7.0),
        ("Europe/Berlin", "2026-10-24T22:00", "2026-10-25T06:00", "2026-10-24T20:00Z", "2026-10-25T05:00Z", 9.0),
        ("America/New_York", "2026-03-08T00:00", "2026-03-08T02:30", "2026-03-08T05:00Z", "2026-03-08T07:30Z", 2.5),
        ("America/New_York", "2026-11-01T00:30", "2026-11-01T01:30", "2026-11-01T04:30Z", "2026-11-01T05:30Z", 1.0),
        ("Australia/Sydney", "2026-04-04T18:00", "2026-04-05T06:00", "2026-04-04T07:00Z", "2026-04-04T20:00Z", 13.0),
        ("Pacific/Chatham", "2026-09-26T20:00", "2026-09-27T08:00", "2026-09-26T07:15Z", "2026-09-26T18:15Z", 11.0),
        ("America/St_Johns", "2026-11-01T00:00", "2026-11-01T06:00", "2026-11-01T02:30Z", "2026-11-01T09:30Z", 7.0),
        ("Asia/Kolkata", "2026-03-08T00:00", "2026-03-08T06:00", "2026-03-07T18:30Z", "2026-03-08T00:30Z", 6.0),
    ])
    func overridesAcrossChange(zone: String, from: String, to: String, fromUTC: String, toUTC: String, hours: Double) {
        let layer = RT.layer(zone, every: .days(1), handoff: "09:00", start: "2026-01-01", members: ["a"])
        let o = Override(member: "x", from: RT.at(from, zone), to: RT.at(to, zone))
        let s = Schedule(id: "s", timeZone: RT.zone(zone), layers: [layer], overrides: [o])
        #expect(o.from == RT.utc(fromUTC) && o.to == RT.utc(toUTC))
        #expect(o.to.timeIntervalSince(o.from) / 3600 == hours)
        let window = (RT.utc(fromUTC).addingTimeInterval(-3600), RT.utc(toUTC).addingTimeInterval(3600))
        #expect(s.intervals(from: window.0, to: window.1) == [
            OnCallInterval(member: "a", start: window.0, end: RT.utc(fromUTC)),
            OnCallInterval(member: "x", start: RT.utc(fromUTC), end: RT.utc(toUTC)),
            OnCallInterval(member: "a", start: RT.utc(toUTC), end: window.1),
        ])
        #expect(s.oncall(at: RT.utc(fromUTC)) == OnCall(members: ["x"], until: RT.utc(toUTC)))
    }
}
