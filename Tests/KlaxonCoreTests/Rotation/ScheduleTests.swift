import Foundation
import Testing
@testable import KlaxonCore

/// The final on-call of SPEC 3.2 on the SPEC's own example schedule, and the interval algebra.
struct ScheduleTests {
    let primary = RT.specPrimary()

    @Test(arguments: [
        // Wed in carol's week (Mon 2026-03-23 is shift 11): until the weekend cover starts Sat 00:00 CET.
        ("2026-03-25T12:00Z", ["carol"], "2026-03-27T23:00Z"),
        // Saturday: the later layer (weekend cover) wins; dana's day runs to Sun 09:00 CEST.
        ("2026-03-28T12:00Z", ["dana"], "2026-03-29T07:00Z"),
        ("2026-03-29T12:00Z", ["erin"], "2026-03-29T22:00Z"),
        // Mon 00:00 CEST: back to the weekly layer until its 09:00 handoff.
        ("2026-03-29T22:00Z", ["carol"], "2026-03-30T07:00Z"),
        // The replaces-override: carol for alice on 2026-04-01 (alice's week).
        ("2026-04-01T07:00Z", ["carol"], "2026-04-02T07:00Z"),
        ("2026-04-02T07:00Z", ["alice"], "2026-04-03T22:00Z"),
        // The Christmas override beats the weekend cover; then Sunday's weekend shift (dana).
        ("2026-12-26T12:00Z", ["bob"], "2026-12-27T08:00Z"),
        ("2026-12-27T08:00Z", ["dana"], "2026-12-27T23:00Z"),
        // Before every layer's start: a gap until the weekend cover's first handoff (Sat 2026-01-03 09:00 CET).
        ("2026-01-01T00:00Z", [], "2026-01-03T08:00Z"),
    ])
    func specExample(at: String, members: [String], until: String) {
        #expect(primary.oncall(at: RT.utc(at)) == OnCall(members: members, until: RT.utc(until)))
    }

    @Test func specExampleIntervalsAroundTheSpringChange() {
        let got = primary.intervals(from: RT.utc("2026-03-27T00:00Z"), to: RT.utc("2026-03-31T00:00Z"))
        #expect(got == [
            RT.iv("carol", "2026-03-27T00:00Z", "2026-03-27T23:00Z"),
            RT.iv("erin", "2026-03-27T23:00Z", "2026-03-28T08:00Z"),
            RT.iv("dana", "2026-03-28T08:00Z", "2026-03-29T07:00Z"),
            RT.iv("erin", "2026-03-29T07:00Z", "2026-03-29T22:00Z"),
            RT.iv("carol", "2026-03-29T22:00Z", "2026-03-30T07:00Z"),
            RT.iv("alice", "2026-03-30T07:00Z", "2026-03-31T00:00Z"),
        ])
        #expect(primary.gaps(from: RT.utc("2026-03-27T00:00Z"), to: RT.utc("2026-03-31T00:00Z")).isEmpty)
        #expect(primary.layerIntervals(layerIndex: 0, from: RT.utc("2026-03-27T00:00Z"), to: RT.utc("2026-03-31T00:00Z")) == [
            RT.iv("carol", "2026-03-27T00:00Z", "2026-03-30T07:00Z"),
            RT.iv("alice", "2026-03-30T07:00Z", "2026-03-31T00:00Z"),
        ])
        #expect(primary.layerIntervals(layerIndex: 7, from: RT.utc("2026-03-27T00:00Z"), to: RT.utc("2026-03-31T00:00Z")) == [])
    }

    /// `replaces` applies only while the replaced member is the one the layers put on call: not while a
    /// later layer covers them, and it falls through to earlier overrides when it does not apply.
    @Test func replacesOnlyWhileTheReplacedIsOnCall() {
        var s = primary
        s.overrides = [Override(member: "xavier", from: RT.utc("2026-04-03T00:00Z"), to: RT.utc("2026-04-06T00:00Z"), replaces: "alice")]
        #expect(s.intervals(from: RT.utc("2026-04-03T00:00Z"), to: RT.utc("2026-04-06T12:00Z")) == [
            RT.iv("xavier", "2026-04-03T00:00Z", "2026-04-03T22:00Z"),
            RT.iv("dana", "2026-04-03T22:00Z", "2026-04-04T07:00Z"),
            RT.iv("erin", "2026-04-04T07:00Z", "2026-04-05T07:00Z"),
            RT.iv("dana", "2026-04-05T07:00Z", "2026-04-05T22:00Z"),
            RT.iv("xavier", "2026-04-05T22:00Z", "2026-04-06T00:00Z"),
            RT.iv("alice", "2026-04-06T00:00Z", "2026-04-06T07:00Z"),
            RT.iv("bob", "2026-04-06T07:00Z", "2026-04-06T12:00Z"),
        ])
        // Last listed wins; a replaces-override that does not apply falls through to an earlier one.
        let from = RT.utc("2026-04-01T10:00Z"), to = RT.utc("2026-04-01T14:00Z")
        s.overrides = [
            Override(member: "yann", from: from, to: to),
            Override(member: "zoe", from: RT.utc("2026-04-01T11:00Z"), to: RT.utc("2026-04-01T12:00Z"), replaces: "bob"),
            Override(member: "walt", from: RT.utc("2026-04-01T12:00Z"), to: RT.utc("2026-04-01T13:00Z"), replaces: "alice"),
        ]
        #expect(s.intervals(from: from, to: to) == [
            RT.iv("yann", "2026-04-01T10:00Z", "2026-04-01T12:00Z"),
            RT.iv("walt", "2026-04-01T12:00Z", "2026-04-01T13:00Z"),
            RT.iv("yann", "2026-04-01T13:00Z", "2026-04-01T14:00Z"),
        ])
        #expect(s.layeredMember(at: RT.utc("2026-04-01T12:30Z")) == "alice")
    }

    @Test func backToBackShiftsOfOneMemberMergeAndOutputIsClipped() {
        let zone = "Europe/Berlin"
        let l = RT.layer(zone, every: .days(1), handoff: "09:00", start: "2026-03-01", members: ["a", "a", "b"])
        var s = Schedule(id: "s", timeZone: RT.zone(zone), layers: [l])
        // An override of the member already on call does not split the interval either.
        s.overrides = [Override(member: "a", from: RT.utc("2026-03-01T12:00Z"), to: RT.utc("2026-03-01T13:00Z"))]
        let from = RT.utc("2026-03-01T10:30:15Z"), to = RT.utc("2026-03-05T08:00:30Z")
        #expect(s.intervals(from: from, to: to) == [
            OnCallInterval(member: "a", start: from, end: RT.utc("2026-03-03T08:00Z")),
            RT.iv("b", "2026-03-03T08:00Z", "2026-03-04T08:00Z"),
            OnCallInterval(member: "a", start: RT.utc("2026-03-04T08:00Z"), end: to),
        ])
        #expect(s.oncall(at: RT.utc("2026-03-01T12:30Z")) == OnCall(members: ["a"], until: RT.utc("2026-03-03T08:00Z")))
        #expect(s.intervals(from: to, to: from).isEmpty)
    }

    @Test func gapsAndUntilWithoutChange() {
        let zone = "Europe/Berlin"
        let weekend = RT.layer(zone, every: .weeks(1), handoff: "Sat 00:00", start: "2026-03-01", members: ["w"], restrict: ["Sat 00:00-Mon 00:00"])
        let s = Schedule(id: "s", timeZone: RT.zone(zone), layers: [weekend])
        #expect(s.gaps(from: RT.utc("2026-03-23T00:00Z"), to: RT.utc("2026-03-30T00:00Z")) == [
            DateInterval(start: RT.utc("2026-03-23T00:00Z"), end: RT.utc("2026-03-27T23:00Z")),
            DateInterval(start: RT.utc("2026-03-29T22:00Z"), end: RT.utc("2026-03-30T00:00Z")),
        ])
        #expect(s.oncall(at: RT.utc("2026-03-25T00:00Z")) == OnCall(members: [], until: RT.utc("2026-03-27T23:00Z")))
        // One member, no restrictions: the cover never ends within the horizon.
        let solo = Schedule(id: "solo", timeZone: RT.zone(zone), layers: [RT.layer(zone, every: .hours(1), handoff: "00:00", start: "2026-01-01", members: ["x"])])
        #expect(solo.oncall(at: RT.utc("2026-06-01T00:00Z")) == OnCall(members: ["x"], until: nil))
        // No layers at all.
        #expect(Schedule(id: "e", timeZone: RT.zone(zone), layers: []).oncall(at: Date()) == OnCall(members: [], until: nil))
    }

    /// Layers in different zones: a later layer in New York covers Berlin's nights.
    @Test func layersInTheirOwnZones() {
        let day = RT.layer("Europe/Berlin", every: .weeks(1), handoff: "Mon 09:00", start: "2026-03-02", members: ["eu"])
        let night = RT.layer("America/New_York", every: .days(1), handoff: "12:00", start: "2026-03-01", members: ["us1", "us2"], restrict: ["13:00-17:00"])
        let s = Schedule(id: "s", timeZone: RT.zone("Europe/Berlin"), layers: [day, night])
        // 2026-03-10 (NY on EDT, Berlin still CET): 13:00-17:00 EDT = 17:00-21:00Z; NY day 9 -> us2.
        #expect(s.intervals(from: RT.utc("2026-03-10T12:00Z"), to: RT.utc("2026-03-10T23:00Z")) == [
            RT.iv("eu", "2026-03-10T12:00Z", "2026-03-10T17:00Z"),
            RT.iv("us2", "2026-03-10T17:00Z", "2026-03-10T21:00Z"),
            RT.iv("eu", "2026-03-10T21:00Z", "2026-03-10T23:00Z"),
        ])
    }

    @Test func layerStateIsComputedDirectlyFarFromStart() {
        // Shift 52 * 10 of a weekly rotation started ten years earlier, no walking.
        let l = RT.layer("Europe/Berlin", every: .weeks(1), handoff: "Mon 09:00", start: "2016-01-04", members: ["a", "b", "c", "d", "e", "f", "g"])
        let s = l.shift(at: RT.utc("2026-03-25T12:00Z"))
        #expect(s?.start == RT.utc("2026-03-23T08:00Z"))
        #expect(s.map { $0.index } == 533)     // 2016-01-04 to 2026-03-23 is 3731 days = 533 weeks
        #expect(l.member(at: RT.utc("2026-03-25T12:00Z")) == "b")   // 533 mod 7 = 1
    }
}
