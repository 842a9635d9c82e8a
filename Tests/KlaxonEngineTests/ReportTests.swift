import Foundation
import Testing
import KlaxonCore
import KlaxonStore
@testable import KlaxonEngine

/// `klaxon report`'s figures from incidents run through the engine on a manual clock.
struct ReportTests {
    static func alert(_ fp: String, severity: String, startsAt: Date?) -> Alert {
        Alert(fingerprint: fp, status: .firing, labels: ["alertname": "ModelAccuracyDrop", "severity": severity], summary: "accuracy dropped", startsAt: startsAt)
    }

    /// Three incidents: a P1 detected in 2 minutes, acknowledged in 4, resolved in 30; a P1
    /// detected in 5 minutes that escalated to step 2 and was resolved in an hour; a P3 still open.
    static func threeIncidents() async throws -> EngineHarness {
        let h = try EngineHarness()
        let t0 = EngineHarness.t0
        try await h.send([alert("a", severity: "critical", startsAt: t0.addingTimeInterval(-120))], group: "g1")
        try await h.advance(240)
        _ = try await h.engine.acknowledge(1, by: "alice")
        try await h.advance(1800 - 240)
        _ = try await h.engine.resolve(1, by: "alice")
        try await h.send([alert("b", severity: "critical", startsAt: h.clock.now.addingTimeInterval(-300))], group: "g2")
        try await h.advance(301)
        try await h.advance(3600 - 301)
        _ = try await h.engine.resolve(2, by: "bob")
        try await h.send([alert("c", severity: "warning", startsAt: nil)], group: "g3")
        return h
    }

    @Test func figuresPerSeverityTeamAndAllAgainstTheTargets() async throws {
        let h = try await Self.threeIncidents()
        let details = try await (1...3).asyncMap { try await h.engine.detail($0) }
        let targets = Targets(mttd: [.p1: 900], mttr: [.p1: 2400])
        let r = IncidentReport.make(details: details, targets: targets, from: "2026-11-23", to: "2026-11-24")

        #expect(r.bySeverity.map(\.name) == ["P1", "P3"])
        let p1 = r.bySeverity[0]
        #expect(p1.figures.incidents == 2)
        #expect(p1.figures.mttd == 210)
        #expect(p1.figures.acknowledged == 1 && p1.figures.mtta == 240)
        #expect(p1.figures.resolved == 2 && p1.figures.mttr == 2700)
        #expect(p1.figures.escalated == 1 && p1.figures.escalationRate == 0.5)
        #expect(p1.mttdMet == true && p1.mttrMet == false)
        let p3 = r.bySeverity[1]
        #expect(p3.figures.incidents == 1 && p3.figures.detected == 0 && p3.figures.mttd == nil && p3.figures.mttr == nil)
        #expect(p3.mttdMet == nil && p3.figures.escalationRate == 0)
        #expect(r.byTeam.map(\.name) == ["ml-platform"] && r.byTeam[0].figures.incidents == 3)
        #expect(r.all.figures.incidents == 3 && r.all.figures.mttr == 2700 && r.all.figures.escalated == 1)

        #expect(r.table.contains("P1        2          3m30s  15m met  4m    45m   40m MISSED  50%"), "\(r.table)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.json.utf8)) as? [String: Any])
        let sev = try #require((json["by_severity"] as? [[String: Any]])?.first)
        #expect(sev["severity"] as? String == "P1" && sev["mttr_seconds"] as? Double == 2700 && sev["mttr_met"] as? Bool == false)
        #expect((json["all"] as? [String: Any])?["incidents"] as? Int == 3)
        #expect(r.html.contains("<td class=\"missed\">40m MISSED</td>"))
    }

    @Test func anEmptyRangeReportsNothingMeasured() {
        let r = IncidentReport.make(details: [], targets: Targets(mttd: [.p0: 300]), from: "a", to: "b")
        #expect(r.bySeverity.map(\.name) == ["P0"])
        #expect(r.bySeverity[0].figures.incidents == 0 && r.bySeverity[0].mttdMet == nil)
        #expect(r.all.figures.escalationRate == nil)
        #expect(r.table.contains("P0        0          -     5m"))
    }
}

extension ClosedRange where Bound == Int {
    func asyncMap<T>(_ f: (Int) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for i in self { out.append(try await f(i)) }
        return out
    }
}
