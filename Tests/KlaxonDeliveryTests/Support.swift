import Foundation
import KlaxonCore
import KlaxonEngine

/// A page for `INC-1` as the delivery service would prepare it.
func samplePage(status: IncidentStatus = .triggered, summary: String = "fraud-detector accuracy dropped 62% <!channel> & more",
                kind: MessageKind = .page, previous: ExternalRef? = nil) -> OutboundMessage {
    let t0 = Date(timeIntervalSince1970: 1_795_420_800)
    var inc = IncidentRecord(number: 1, key: "k", integration: "prometheus", title: summary, severity: .p0, category: .modelPerformance,
                             team: "ml-platform", policy: "default", playbook: "model-accuracy-degradation", openedAt: t0)
    inc.status = status
    if status != .triggered { inc.acknowledgedAt = t0.addingTimeInterval(60); inc.acknowledgedBy = "alice" }
    let alice = Person(id: "alice", name: "Alice Ng", timeZone: TimeZone(identifier: "Europe/Berlin")!,
                       workingHours: WeeklyWindows.defaultWorkingHours, slack: "U0ALICE01", email: "alice@example.com", notify: [.slack, .email])
    let alert = Alert(fingerprint: "f", status: .firing, labels: ["alertname": "ModelAccuracyDrop", "model": "fraud-detector"],
                      summary: summary, links: [AlertLink(href: "https://runbooks.example/model-accuracy?a=1&b=2", text: "runbook")])
    let playbook = Playbook(id: "model-accuracy-degradation", title: "Production model accuracy degradation",
                            triage: ["Check https://dash.example/models/{{labels.model}}", "Compare with the baseline", "Check the feature store", "Fourth"])
    var m = OutboxMessage(incident: 1, channel: "slack", kind: kind, recipient: .person(id: "alice", method: .slack), step: 0,
                          detail: "alice,bob", replaces: previous == nil ? nil : 7, createdAt: t0)
    m.id = 1
    return OutboundMessage(message: m, channel: Channel(name: "slack", kind: .slack, token: .literal("xoxb-test")), incident: inc,
                           alerts: [alert], timeline: [], playbook: playbook, person: alice, paged: ["alice", "bob"], previous: previous,
                           publicURL: "http://localhost:8080", now: t0.addingTimeInterval(120), readerZone: alice.timeZone)
}
