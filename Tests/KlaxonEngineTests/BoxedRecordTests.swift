import Foundation
import Testing
import KlaxonCore
@testable import KlaxonEngine

/// `Alert` and `IncidentRecord` keep their fields in a shared copy-on-write box: their stored JSON
/// is the one the plain structs wrote (stores written by earlier releases read back), and a copy
/// is a value: changing it leaves the original as it was, on any thread.
struct BoxedRecordTests {
    static func json<T: Encodable>(_ v: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        e.dateEncodingStrategy = .secondsSince1970
        return String(decoding: try e.encode(v), as: UTF8.self)
    }

    @Test func storedFormsAreThePlainStructs() throws {
        let alert = Alert(fingerprint: "f1", status: .firing, labels: ["alertname": "A"], annotations: ["summary": "s"], values: ["x": 1.5],
                          summary: "s", source: "src", sourceSeverity: "critical", startsAt: Date(timeIntervalSince1970: 10), endsAt: nil,
                          links: [AlertLink(href: "h", text: "t")], sourceFields: ["k": .bool(true)], notificationFields: nil)
        #expect(try Self.json(alert) == #"{"annotations":{"summary":"s"},"fingerprint":"f1","labels":{"alertname":"A"},"links":[{"href":"h","text":"t"}],"#
                + #""source":"src","sourceFields":{"k":true},"sourceSeverity":"critical","startsAt":10,"status":"firing","summary":"s","values":{"x":1.5}}"#)
        var incident = IncidentRecord(number: 7, key: "am\u{1F}g", integration: "am", title: "T", severity: .p2, category: .dataQuality,
                                      team: "ml", policy: "default", playbook: nil, openedAt: Date(timeIntervalSince1970: 20))
        incident.acknowledgedBy = "ana"
        #expect(try Self.json(incident) == #"{"acknowledgedBy":"ana","category":"data-quality","integration":"am","key":"am\u001fg","number":7,"#
                + #""openedAt":20,"policy":"default","severity":"P2","status":"triggered","team":"ml","title":"T"}"#)
        let d = JSONDecoder()
        d.dateDecodingStrategy = .secondsSince1970
        #expect(try d.decode(Alert.self, from: Data(Self.json(alert).utf8)) == alert)
        #expect(try d.decode(IncidentRecord.self, from: Data(Self.json(incident).utf8)) == incident)
    }

    @Test func aChangedCopyLeavesTheOriginal() async {
        let alert = Alert(fingerprint: "f1", status: .firing, labels: ["a": "1"], summary: "s")
        var copy = alert
        copy.labels["b"] = "2"
        copy.status = .resolved
        #expect(alert.labels == ["a": "1"] && alert.status == .firing)
        #expect(copy.labels == ["a": "1", "b": "2"] && copy.status == .resolved)
        #expect(alert != copy)
        copy.labels["b"] = nil
        copy.status = .firing
        #expect(alert == copy && alert.hashValue == copy.hashValue)

        let incident = IncidentRecord(number: 1, key: "k", integration: "i", title: "t", severity: .p3, category: .other,
                                      team: "x", policy: nil, playbook: nil, openedAt: Date(timeIntervalSince1970: 0))
        // Many tasks change their own copies of one shared value at once.
        let changed = await withTaskGroup(of: IncidentRecord.self) { group in
            for n in 0..<64 {
                group.addTask {
                    var mine = incident
                    mine.title = "t\(n)"
                    mine.severity = n.isMultiple(of: 2) ? .p0 : .p4
                    return mine
                }
            }
            var all: [IncidentRecord] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(Set(changed.map(\.title)) == Set((0..<64).map { "t\($0)" }))
        #expect(incident.title == "t" && incident.severity == .p3)
    }
}
