import Foundation
import Testing
@testable import KlaxonCore

struct ScheduleLintTests {
    @Test func theSpecExampleIsClean() {
        #expect(lint(schedule: RT.specPrimary(), now: RT.utc("2026-03-20T00:00Z")).isEmpty)
    }

    @Test func gapsInTheNext28DaysWithLocalTimes() {
        let zone = "Europe/Berlin"
        let weekend = RT.layer(zone, name: "weekend", every: .weeks(1), handoff: "Sat 00:00", start: "2026-03-01", members: ["w"],
                               restrict: ["Sat 00:00-Mon 00:00"])
        let s = Schedule(id: "primary", timeZone: RT.zone(zone), layers: [weekend])
        let findings = lint(schedule: s, now: RT.utc("2026-03-20T00:00Z"))
        #expect(findings.allSatisfy { $0.kind == .gap })
        #expect(findings.count == 5)
        #expect(findings.first?.interval == DateInterval(start: RT.utc("2026-03-20T00:00Z"), end: RT.utc("2026-03-20T23:00Z")))
        #expect(findings[1].message == "schedule primary has nobody on call from Mon 2026-03-23 00:00 +01:00 to Sat 2026-03-28 00:00 +01:00, 5d (Europe/Berlin)")
        #expect(findings[2].message == "schedule primary has nobody on call from Mon 2026-03-30 00:00 +02:00 to Sat 2026-04-04 00:00 +02:00, 5d (Europe/Berlin)")
        #expect(findings.last?.message.hasSuffix("to Fri 2026-04-17 02:00 +02:00 (and possibly beyond the 28 days checked), 4d 2h (Europe/Berlin)") == true)
    }

    @Test func overlappingOverridesAndUnknownReplaces() {
        var s = RT.specPrimary()
        s.overrides = [
            Override(member: "bob", from: RT.utc("2026-03-21T10:00Z"), to: RT.utc("2026-03-21T14:00Z")),
            Override(member: "carol", from: RT.utc("2026-03-22T10:00Z"), to: RT.utc("2026-03-22T14:00Z"), replaces: "zed"),
            Override(member: "dana", from: RT.utc("2026-03-21T12:00Z"), to: RT.utc("2026-03-21T16:00Z")),
            Override(member: "erin", from: RT.utc("2026-03-21T14:00Z"), to: RT.utc("2026-03-21T15:00Z")),
        ]
        let f = lint(schedule: s, now: RT.utc("2026-03-20T00:00Z"))
        #expect(f.map(\.kind) == [.unknownReplaces, .overlappingOverrides, .overlappingOverrides])
        #expect(f[0].overrideIndices == [1])
        #expect(f[0].message == "override 2 of schedule primary (carol from Sun 2026-03-22 11:00 +01:00 to Sun 2026-03-22 15:00 +01:00) replaces zed, who is not a member of any layer of this schedule, so it never takes effect")
        #expect(f[1].overrideIndices == [0, 2])
        #expect(f[1].interval == DateInterval(start: RT.utc("2026-03-21T12:00Z"), end: RT.utc("2026-03-21T14:00Z")))
        #expect(f[1].message == "overrides 1 (bob) and 3 (dana) of schedule primary overlap from Sat 2026-03-21 13:00 +01:00 to Sat 2026-03-21 15:00 +01:00; where both apply the later one (dana) wins")
        #expect(f[2].overrideIndices == [2, 3])
    }

    @Test func restrictionsThatLeaveALayerAlwaysEmpty() {
        var s = RT.specPrimary()
        s.layers[1].restrictions = [try! RestrictionWindow.parse("Sat 09:00-Sat 09:00"), try! RestrictionWindow.parse("12:00-12:00")]
        let f = lint(schedule: s, now: RT.utc("2026-03-20T00:00Z"))
        #expect(f.count == 1)
        #expect(f.first?.kind == .layerAlwaysEmpty)
        #expect(f.first?.layerIndex == 1)
        #expect(f.first?.restrictionIndices == [0, 1])
        #expect(s.layers[1].restrictionsAreEmpty)

        // A window that only ever falls in a spring-forward gap within the checked horizon.
        let zone = "America/St_Johns"
        let l = RT.layer(zone, name: "odd", every: .days(1), handoff: "00:00", start: "2026-03-01", members: ["a"], restrict: ["Sun 02:15-Sun 02:45"])
        let always = RT.layer(zone, name: "base", every: .days(1), handoff: "00:00", start: "2026-03-01", members: ["b"])
        let t = Schedule(id: "t", timeZone: RT.zone(zone), layers: [always, l])
        let g = lint(schedule: t, now: RT.utc("2026-03-08T00:00Z"), horizon: 86_400)
        #expect(g.map(\.kind) == [.layerAlwaysEmpty])
        #expect(g.first?.layerIndex == 1)
        #expect(lint(schedule: t, now: RT.utc("2026-03-08T00:00Z")).isEmpty)
    }
}
