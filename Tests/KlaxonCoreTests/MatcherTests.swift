import Foundation
import Testing
@testable import KlaxonCore

struct MatcherTests {
    let alert = Alert(fingerprint: "f", status: .firing,
                      labels: ["alertname": "ModelAccuracyDrop", "env": "prod", "model": "fraud-detector"],
                      annotations: ["accuracy_drop": "0.62", "summary": "x", "env": "shadowed"],
                      values: ["B": 0.97, "env": 3], summary: "x")

    @Test(arguments: [
        ("alertname = \"ModelAccuracyDrop\"", true),
        ("alertname=ModelAccuracyDrop", true),
        ("alertname != \"ModelAccuracyDrop\"", false),
        ("alertname =~ \"Model.*\"", true),
        ("alertname =~ \"Model\"", false),          // anchored: must match the whole value
        ("alertname !~ \"Accuracy\"", true),
        ("missing = \"\"", true),                    // a missing label is the empty string
        ("missing != \"x\"", true),
        ("accuracy_drop > 0.5", true),              // annotations are looked up after labels
        ("accuracy_drop > 0.62", false),
        ("accuracy_drop >= 0.62", true),
        ("accuracy_drop < 0.7", true),
        ("accuracy_drop <= 0.61", false),
        ("B > 0.9", true),                          // then values
        ("env = \"prod\"", true),                   // labels win over annotations and values
        ("missing > 1", false),                     // numeric on a missing value does not hold
        ("model > 1", false),                       // numeric on non-numeric text does not hold
        ("alertname = \"Model\\\"Accuracy\"", false),
    ])
    func holds(_ text: String, _ expected: Bool) throws {
        let m = try Matcher(parsing: text)
        #expect(m.holds(for: alert) == expected, "\(text)")
    }

    @Test(arguments: [
        ("= \"x\"", 0),
        ("name", 4),
        ("name ~ x", 5),
        ("name > abc", 7),
        ("name =~ \"(\"", 9),           // the ( without its )
        ("name = \"open", 7),
        ("name = \"a\" extra", 11),
    ])
    func parseErrorsPointAtTheProblem(_ text: String, _ offset: Int) {
        do {
            _ = try Matcher(parsing: text)
            Issue.record("\(text) parsed")
        } catch let e as Matcher.ParseError {
            #expect(e.offset == offset, "\(text): \(e.message)")
        } catch { Issue.record("\(error)") }
    }
}

struct DurationTextTests {
    @Test(arguments: [("30s", 30.0), ("5m", 300), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1w", 604800), ("0s", 0)])
    func parses(_ text: String, _ seconds: TimeInterval) throws {
        #expect(try DurationText.parse(text) == seconds)
        #expect(try DurationText.parse(DurationText.format(seconds)) == seconds)
    }

    @Test(arguments: ["", "5", "m5", "5x", "30m1h", "5mm", "-5m", "5 m"])
    func refuses(_ text: String) {
        #expect(throws: DurationText.ParseError.self) { try DurationText.parse(text) }
    }
}

struct SeverityTests {
    @Test func ordering() {
        #expect(Severity.p0 > Severity.p1)
        #expect([Severity.p3, .p0, .p2].max() == .p0)
        #expect(Severity(text: "p2") == .p2)
        #expect(Severity(text: "P5") == nil)
    }

    @Test func isoTime() {
        let d = Date(timeIntervalSince1970: 1_774_751_400) // 2026-03-29T02:30:00Z
        #expect(ISOTime.utc(d) == "2026-03-29T02:30:00Z")
        #expect(ISOTime.format(d, offsetSeconds: 7200) == "2026-03-29T04:30:00+02:00")
        #expect(ISOTime.format(d, offsetSeconds: -12600) == "2026-03-28T23:00:00-03:30")
        #expect(ISOTime.utc(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
    }
}

struct ClassifierTests {
    func playbook() throws -> Playbook {
        Playbook(id: "model-accuracy-degradation", title: "Accuracy", category: .modelPerformance, team: "ml-platform",
                 escalationPolicy: "default",
                 match: [[try Matcher(parsing: "alertname = \"ModelAccuracyDrop\"")]],
                 severityRules: [.init(when: [try Matcher(parsing: "accuracy_drop > 0.5"), try Matcher(parsing: "env = \"prod\"")], level: .p0),
                                 .init(when: [try Matcher(parsing: "customer_facing = \"true\"")], level: .p1)],
                 defaultSeverity: .p2, file: "Playbooks/model-accuracy-degradation.yaml")
    }

    @Test(arguments: [("0.62", "prod", "false", Severity.p0), ("0.50", "prod", "true", .p1), ("0.51", "prod", "false", .p0),
                      ("0.50", "prod", "false", .p2), ("0.9", "staging", "false", .p2)])
    func severityRules(_ drop: String, _ env: String, _ customer: String, _ expected: Severity) throws {
        let c = Classifier(playbooks: [try playbook()], defaults: SeverityDefaults())
        let a = Alert(fingerprint: "f", status: .firing, labels: ["alertname": "ModelAccuracyDrop", "env": env, "customer_facing": customer],
                      annotations: ["accuracy_drop": drop], summary: "s")
        let r = c.classify(a, integrationTeam: "other")
        #expect(r.severity == expected)
        #expect(r.playbook == "model-accuracy-degradation")
        #expect(r.team == "ml-platform")
        #expect(r.category == .modelPerformance)
    }

    @Test func unmatchedUsesSeverityDefaults() throws {
        let c = Classifier(playbooks: [try playbook()], defaults: SeverityDefaults())
        let a = Alert(fingerprint: "f", status: .firing, labels: ["alertname": "Other", "severity": "warning"], summary: "s")
        let r = c.classify(a, integrationTeam: "data-eng")
        #expect(r.playbook == nil)
        #expect(r.severity == .p3)
        #expect(r.team == "data-eng")
        #expect(r.reasons.contains { $0.contains("severity=warning maps to P3") })
        let none = Alert(fingerprint: "g", status: .firing, labels: ["alertname": "Other"], summary: "s")
        #expect(c.classify(none, integrationTeam: "t").severity == .p3)
        let critical = Alert(fingerprint: "h", status: .firing, labels: ["alertname": "Other", "severity": "critical"], summary: "s")
        #expect(c.classify(critical, integrationTeam: "t").severity == .p1)
    }
}

struct OverlapTests {
    func g(_ s: String...) throws -> [Matcher] { try s.map { try Matcher(parsing: $0) } }

    @Test func disjointNamesAndValues() throws {
        #expect(!MatcherOverlap.mayOverlap(try g("alertname = \"A\""), try g("alertname = \"B\"")))
        #expect(!MatcherOverlap.mayOverlap(try g("alertname = \"A\""), try g("alertname != \"A\"")))
        #expect(!MatcherOverlap.mayOverlap(try g("alertname = \"A\""), try g("alertname =~ \"B|C\"")))
        #expect(!MatcherOverlap.mayOverlap(try g("alertname =~ \"A|B\""), try g("alertname =~ \"C|D\"")))
        #expect(!MatcherOverlap.mayOverlap(try g("x > 0.5"), try g("x <= 0.5")))
        #expect(!MatcherOverlap.mayOverlap(try g("x >= 1"), try g("x < 1")))
    }

    @Test func overlapping() throws {
        #expect(MatcherOverlap.mayOverlap(try g("alertname = \"A\""), try g("alertname =~ \"A|B\"")))
        #expect(MatcherOverlap.mayOverlap(try g("alertname = \"A\""), try g("env = \"prod\"")))
        #expect(MatcherOverlap.mayOverlap(try g("alertname =~ \"Model.*\""), try g("alertname = \"ModelX\"")))
        #expect(MatcherOverlap.mayOverlap(try g("x > 0.5"), try g("x >= 0.5")))
        #expect(MatcherOverlap.mayOverlap(try g("source =~ \"rag.*\""), try g("alertname = \"A\"")))
    }
}

struct OverlapPrefixTests {
    func g(_ s: String...) throws -> [Matcher] { try s.map { try Matcher(parsing: $0) } }

    @Test func prefixesAndNegations() throws {
        #expect(!MatcherOverlap.mayOverlap(try g("dag_id =~ \"train(ing)?_.*\""), try g("dag_id =~ \"features?_.*\"")))
        #expect(MatcherOverlap.mayOverlap(try g("dag_id =~ \"train.*\""), try g("dag_id =~ \"training_.*\"")))
        #expect(!MatcherOverlap.mayOverlap(try g("source =~ \"rag-.*|retrieval-.*\""), try g("source =~ \"drift-monitor.*\"")))
        #expect(!MatcherOverlap.mayOverlap(try g("source =~ \"rag-.*\""), try g("source !~ \"rag-.*\"")))
        #expect(!MatcherOverlap.mayOverlap(try g("psi >= 0"), try g("psi !~ \".+\"")))
        #expect(MatcherOverlap.mayOverlap(try g("psi >= 0"), try g("psi !~ \"x\"")))
    }
}

struct PlaybookFillTests {
    @Test func labelsAreFilledAndEscaped() {
        #expect(Playbook.fill("dash/{{labels.model}}?v={{labels.v}}", labels: ["model": "fraud", "v": "4<2"]) == "dash/fraud?v=4<2")
        #expect(Playbook.fill("{{labels.v}} {{labels.missing}}", labels: ["v": "<b>"], escape: { $0.replacingOccurrences(of: "<", with: "&lt;") })
                == "&lt;b> {{labels.missing}}")
    }
}
