import Foundation
import Testing
import KlaxonCore
import KlaxonStore
import KlaxonTestSupport
@testable import KlaxonEngine

/// Random sequences of alert batches (firing and resolved, several alerts and groups, with and
/// without the source saying the group fires), identical re-sends, acknowledgements and resolves
/// from the source (PagerDuty's events), people's acknowledgements, resolutions and severity
/// changes, and restarts, run through the engine on a real SQLite file (its inbox
/// moving every few rows) and checked after every step against a small model of SPEC 2's rules:
/// one incident per open key; severity the highest of the firing alerts that arrived unless a
/// person set it; resolved when every alert is; an alert for a resolved key opens a new incident;
/// every change of an alert in the timeline once; a re-send changes nothing.
struct IncidentModelTests {
    /// What the model knows of one incident.
    struct Model {
        var group: Int
        var status: IncidentStatus = .triggered
        var severity: Severity
        var setByPerson = false
        /// Fingerprint → the alert as last stored.
        var alerts: [String: Alert] = [:]
        /// Timeline entries for alerts ("alert.firing" / "alert.resolved").
        var alertEntries = 0
    }

    static let words = ["critical", "error", "warning", "info", nil]
    static func severity(_ a: Alert) -> Severity {
        switch a.labels["severity"] {
        case "critical": .p1
        case "error": .p2
        case "info": .p4
        default: .p3
        }
    }

    static func alert(group: Int, fp: Int, firing: Bool, word: String?) -> Alert {
        var labels = ["alertname": "ModelTest", "group": "g\(group)", "instance": "i\(fp)"]
        labels["severity"] = word
        return Alert(fingerprint: fingerprint(group: group, fp: fp), status: firing ? .firing : .resolved, labels: labels, summary: "alert \(fp) of g\(group)")
    }

    /// Both forms the writer keys fingerprints by: Alertmanager's (16 lowercase hex digits, by
    /// value) and any other (as text), with one that differs from another only in case.
    static func fingerprint(group: Int, fp: Int) -> String {
        func hex16(_ v: Int) -> String {
            let digits = String(v, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        switch fp {
        case 1: return hex16(0xab00 + group)
        case 2: return hex16(0xab00 + group).uppercased()
        case 3: return hex16(0xcd00 + group)
        default: return "g\(group)-a\(fp)"
        }
    }

    /// The model's side of an ingest: which incident the batch names.
    static func apply(_ batch: AlertBatch, group: Int, to incidents: inout [Int: Model], open: inout [Int: Int], next: inout Int) -> [String] {
        let firing = batch.alerts.filter { $0.status == .firing }
        guard let number = open[group] else {
            guard !firing.isEmpty else { return [] }
            next += 1
            var m = Model(group: group, severity: firing.map(severity).max()!)
            for a in batch.alerts { m.alerts[a.fingerprint] = a; m.alertEntries += 1 }
            incidents[next] = m
            open[group] = next
            return ["INC-\(next)"]
        }
        var m = incidents[number]!
        var changed = false
        var highest = m.severity
        for sent in batch.alerts {
            var a = sent
            let old = m.alerts[a.fingerprint]
            if a.status == .resolved, let old { a.labels = old.labels.merging(a.labels) { _, new in new } }
            if let old, old.sameContent(as: a) { continue }
            changed = true
            if a.status == .firing { highest = max(highest, severity(a)) }
            m.alerts[a.fingerprint] = a
            m.alertEntries += 1
        }
        let mayResolve = !batch.groupFiring && batch.alerts.contains { $0.status == .resolved }
        if changed, !m.setByPerson, highest > m.severity { m.severity = highest }
        if mayResolve, !m.alerts.values.contains(where: { $0.status == .firing }) {
            m.status = .resolved
            open[group] = nil
        }
        incidents[number] = m
        return ["INC-\(number)"]
    }

    static func compare(_ h: EngineHarness, _ incidents: [Int: Model], step: String) async throws {
        let all = try await h.engine.incidents(openOnly: false)
        #expect(Set(all.map(\.number)) == Set(incidents.keys), "\(step): incidents \(all.map(\.number).sorted()) vs model \(incidents.keys.sorted())")
        for record in all {
            guard let m = incidents[record.number] else { continue }
            let d = try await h.engine.detail(record.number)
            #expect(record.key.hasSuffix("g\(m.group)"), "\(step): INC-\(record.number) key \(record.key)")
            #expect(record.status == m.status, "\(step): INC-\(record.number) is \(record.status), model \(m.status)")
            #expect(record.severity == m.severity, "\(step): INC-\(record.number) is \(record.severity), model \(m.severity)")
            let stored = Dictionary(d.alerts.map { ($0.alert.fingerprint, $0.alert) }, uniquingKeysWith: { a, _ in a })
            #expect(d.alerts.count == stored.count, "\(step): INC-\(record.number) holds a fingerprint twice")
            #expect(Set(stored.keys) == Set(m.alerts.keys), "\(step): INC-\(record.number) alerts \(stored.keys.sorted()) vs \(m.alerts.keys.sorted())")
            for (fp, a) in m.alerts {
                #expect(stored[fp].map { $0.sameContent(as: a) } == true, "\(step): INC-\(record.number) \(fp) is \(String(describing: stored[fp]?.status)) \(stored[fp]?.labels ?? [:]), model \(a.status) \(a.labels)")
            }
            let entries = d.timeline.filter { $0.kind == "alert.firing" || $0.kind == "alert.resolved" }.count
            #expect(entries == m.alertEntries, "\(step): INC-\(record.number) has \(entries) alert entries, model \(m.alertEntries)")
        }
    }

    @Test(arguments: 0..<10)
    func theEngineFollowsTheModel(seed: Int) async throws {
        let dir = NSTemporaryDirectory() + "klaxon-model-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var h: EngineHarness! = try EngineHarness(dbPath: dir + "/k.db")
        var r = SplitMix64(seed: UInt64(seed) &* 0x5DEECE66D &+ 11)
        var incidents: [Int: Model] = [:]
        var open: [Int: Int] = [:]
        var next = 0
        var last: (AlertBatch, Int)?
        var restarts = 0
        for step in 0..<150 {
            let roll = r.below(100)
            if roll < 4 {
                // A restart: the engine reads everything back from the file.
                h = nil
                h = try EngineHarness(dbPath: dir + "/k.db")
                restarts += 1
                try await Self.compare(h, incidents, step: "step \(step) (restart)")
                continue
            }
            if roll < 12, let (batch, group) = last {
                // The same batch again: the model applies it too, and nothing may change.
                let before = incidents
                let ids = try await h.engine.ingest(integration: h.integration, batch: batch)
                #expect(ids == Self.apply(batch, group: group, to: &incidents, open: &open, next: &next), "step \(step): re-send")
                #expect(incidents.mapValues(\.alertEntries) == before.mapValues(\.alertEntries), "step \(step): the model changed on a re-send")
                try await Self.compare(h, incidents, step: "step \(step) (re-send)")
                continue
            }
            if roll < 20 {
                // PagerDuty's acknowledge or resolve for one alert of the group's open incident.
                let group = r.below(3), fp = Self.fingerprint(group: group, fp: r.below(4)), resolve = r.chance(60)
                let id = try await h.engine.sourceAction(integration: h.integration, groupKey: "g\(group)", fingerprint: fp, resolve: resolve)
                var expected: String?
                if let number = open[group] {
                    expected = "INC-\(number)"
                    var m = incidents[number]!
                    if resolve {
                        if var a = m.alerts[fp], a.status == .firing {
                            a.status = .resolved
                            a.endsAt = h.clock.now
                            m.alerts[fp] = a
                            m.alertEntries += 1
                        }
                        if !m.alerts.values.contains(where: { $0.status == .firing }) {
                            m.status = .resolved
                            open[group] = nil
                        }
                    } else if m.status == .triggered {
                        m.status = .acknowledged
                    }
                    incidents[number] = m
                }
                #expect(id == expected, "step \(step): source \(resolve ? "resolve" : "acknowledge") of \(fp)")
                last = nil
                try await Self.compare(h, incidents, step: "step \(step) (source \(resolve ? "resolve" : "acknowledge") of \(fp))")
                continue
            }
            if roll < 32, let number = incidents.keys.sorted().filter({ incidents[$0]!.status != .resolved }).randomElement(using: &r) {
                let action = r.below(3)
                switch action {
                case 0 where incidents[number]!.status == .triggered:
                    _ = try await h.engine.acknowledge(number, by: "alice")
                    incidents[number]!.status = .acknowledged
                case 1:
                    _ = try await h.engine.resolve(number, by: "alice")
                    incidents[number]!.status = .resolved
                    open[incidents[number]!.group] = nil
                default:
                    let s = Severity.allCases[r.below(5)]
                    _ = try await h.engine.setSeverity(number, to: s, by: "alice")
                    incidents[number]!.severity = s
                    incidents[number]!.setByPerson = true
                }
                last = nil
                try await Self.compare(h, incidents, step: "step \(step) (person)")
                continue
            }
            let group = r.below(3)
            var fps = Array(0..<4)
            var alerts: [Alert] = []
            for _ in 0..<(1 + r.below(3)) {
                let fp = fps.remove(at: r.below(fps.count))
                alerts.append(Self.alert(group: group, fp: fp, firing: r.chance(65), word: Self.words[r.below(Self.words.count)]))
            }
            // Alertmanager and Grafana say the group fires when any listed alert does; other sources do not say.
            let batch = AlertBatch(groupKey: "g\(group)", alerts: alerts, groupFiring: r.chance(50) && alerts.contains { $0.status == .firing })
            let ids = try await h.engine.ingest(integration: h.integration, batch: batch)
            #expect(ids == Self.apply(batch, group: group, to: &incidents, open: &open, next: &next), "step \(step): \(alerts.map { "\($0.fingerprint) \($0.status)" })")
            last = (batch, group)
            try await Self.compare(h, incidents, step: "step \(step)")
        }
        // Every path ran: incidents opened, resolved by their alerts or a person, acknowledged.
        #expect(incidents.count >= 3)
        #expect(incidents.values.contains { $0.status == .resolved })
        #expect(restarts > 0)
    }
}

extension Array {
    func randomElement(using r: inout SplitMix64) -> Element? {
        isEmpty ? nil : self[r.below(count)]
    }
}
