import Foundation
import Testing
import KlaxonCore
import KlaxonStore
@testable import KlaxonEngine

/// Records every message it is asked to deliver.
final class RecordingNotifier: Notifier {
    let sent = Locked<[OutboundMessage]>([])
    let outcome: Locked<DeliveryOutcome>
    init(outcome: DeliveryOutcome = .sent(ExternalRef(channel: "D1", id: "1.1"))) { self.outcome = Locked(outcome) }
    func deliver(_ message: OutboundMessage) async -> DeliveryOutcome {
        sent.withLock { $0.append(message) }
        return outcome.current
    }
    var pages: [String] {
        sent.current.filter { $0.message.kind == .page }.compactMap {
            if case .person(let id, let m) = $0.message.recipient { return "\(id)/\(m.rawValue)" }
            return nil
        }
    }
}

/// An engine on a real SQLite file and a manual clock.
final class EngineHarness: @unchecked Sendable {
    let dir = NSTemporaryDirectory() + "klaxon-engine-" + UUID().uuidString
    let clock: ManualClock
    let store: SQLiteStore
    let engine: IncidentService
    let timers: TimerService
    let delivery: DeliveryService
    let slack = RecordingNotifier()
    let email = RecordingNotifier()
    let integration = Integration(name: "prometheus", kind: .alertmanager, token: .literal("t"), team: "ml-platform")

    static let t0 = Date(timeIntervalSince1970: 1_795_420_800) // Mon 2026-11-23 00:00 UTC

    init(policy: EscalationPolicy = EngineHarness.twoSteps, urgency: UrgencyPolicy = .init(), dbPath: String? = nil, now: Date = EngineHarness.t0) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        clock = ManualClock(now: now)
        // A small inbox: the scenarios also cross its moves to the indexed tables.
        store = try SQLiteStore(path: dbPath ?? dir + "/k.db", inboxLimit: 5)
        let utc = TimeZone(identifier: "UTC")!
        let hours = WeeklyWindows.defaultWorkingHours
        let people = [
            Person(id: "alice", name: "Alice Ng", timeZone: TimeZone(identifier: "Europe/Berlin")!, workingHours: hours, slack: "U0ALICE01", email: "alice@example.com", notify: [.slack, .email]),
            Person(id: "bob", name: "Bob Okafor", timeZone: TimeZone(identifier: "America/New_York")!, workingHours: hours, slack: "U0BOB0002", notify: [.slack]),
            Person(id: "carol", name: "Carol Tanaka", timeZone: TimeZone(identifier: "Asia/Tokyo")!, workingHours: hours, slack: "U0CAROL03", notify: [.slack]),
        ]
        var settings = Settings(timeZone: utc, integrations: [integration],
                                channels: [Channel(name: "slack", kind: .slack, token: .literal("xoxb")),
                                           Channel(name: "mail", kind: .email, url: .literal("smtp://localhost"), from: "k@example.com")],
                                urgency: urgency)
        settings.stakeholders[.technical] = StakeholderAudience(channels: [.slackChannel("ml-incidents")])
        let team = Team(id: "ml-platform", timeZone: utc, schedules: [], policies: [policy])
        let config = Configuration(settings: settings, people: people, teams: [team], playbooks: [], directory: dir)
        engine = IncidentService(store: store, clock: clock, runtime: Runtime(config: config))
        timers = TimerService(engine: engine)
        delivery = DeliveryService(engine: engine, notifiers: ["slack": slack, "mail": email])
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    static let twoSteps = EscalationPolicy(id: "default", repeatCount: 0, steps: [
        EscalationStep(targets: [.person("alice")], escalateAfter: 300),
        EscalationStep(targets: [.person("bob"), .channel(.slackChannel("ml-incidents"))], escalateAfter: 600),
    ])

    func alert(_ fp: String = "a1", status: AlertStatus = .firing, severity: String = "critical") -> Alert {
        Alert(fingerprint: fp, status: status, labels: ["alertname": "ModelAccuracyDrop", "severity": severity], summary: "accuracy dropped <!channel>")
    }

    @discardableResult
    func send(_ alerts: [Alert], group: String = "g1") async throws -> [String] {
        try await engine.ingest(integration: integration, batch: AlertBatch(groupKey: group, alerts: alerts))
    }

    /// Moves the clock and runs what fell due, as the services would.
    func advance(_ seconds: TimeInterval) async throws {
        clock.advance(by: seconds)
        try await timers.fireDue()
        try await delivery.deliverDue()
    }
}

struct EngineTests {
    @Test func anAlertOpensAnIncidentAndPagesStepOne() async throws {
        let h = try EngineHarness()
        let ids = try await h.send([h.alert()])
        #expect(ids == ["INC-1"])
        try await h.delivery.deliverDue()
        #expect(h.slack.pages == ["alice/slack"])
        #expect(h.email.pages == ["alice/email"])
        let d = try await h.engine.detail(1)
        #expect(d.incident.severity == .p1)
        #expect(d.incident.status == .triggered)
        #expect(d.timeline.map(\.kind).prefix(3) == ["incident.opened", "alert.firing", "escalation.step"])
    }

    /// The callback form hands back what the call allocated (its alerts), after the commit, for
    /// the caller to drop on its own thread; the commit needs none of it any more.
    @Test func theCallbackFormHandsBackTheAlertsAfterTheCommit() async throws {
        let h = try EngineHarness()
        let batch = AlertBatch(groupKey: "g1", alerts: [h.alert("a1"), h.alert("a2", status: .resolved)])
        let (ids, request) = await withCheckedContinuation { (c: CheckedContinuation<(Result<[String], any Error>, IngestRequest), Never>) in
            h.engine.ingest(integration: h.integration, batch: batch) { c.resume(returning: ($0, $1)) }
        }
        #expect(try ids.get() == ["INC-1"])
        #expect(request.contents?.batch == batch)
        #expect(request.contents?.prepared.map(\.object) == batch.alerts.map(StoredAlertJSON.alertObject))
        request.drop()
        #expect(request.contents == nil)
        let d = try await h.engine.detail(1)
        #expect(d.alerts.map(\.alert.fingerprint) == ["a1", "a2"])
        // A second call after the first's request is dropped.
        #expect(try await h.send([h.alert("a3")]) == ["INC-1"])
        #expect(try await h.engine.detail(1).alerts.count == 3)
    }

    @Test func laterStepsFireAfterEscalateAfterAndThenExhaust() async throws {
        let h = try EngineHarness()
        try await h.send([h.alert()])
        try await h.advance(299)
        #expect(h.slack.pages == ["alice/slack"])
        try await h.advance(1)
        #expect(h.slack.pages == ["alice/slack", "bob/slack"])
        let posts = h.slack.sent.current.filter { $0.message.kind == .post }
        #expect(posts.map(\.message.recipient) == [.slackChannel("ml-incidents")])
        try await h.advance(600)
        let exhausted = h.slack.sent.current.filter { $0.message.kind == .exhausted }
        #expect(exhausted.count == 1)
        try await h.advance(3600)
        #expect(h.slack.pages == ["alice/slack", "bob/slack"])
    }

    @Test func acknowledgeStopsPagingAndUpdatesSentPagesInPlace() async throws {
        let h = try EngineHarness()
        try await h.send([h.alert()])
        try await h.delivery.deliverDue()
        let inc = try await h.engine.acknowledge(1, by: "alice")
        #expect(inc.status == .acknowledged)
        try await h.advance(3600)
        #expect(h.slack.pages == ["alice/slack"])
        let updates = h.slack.sent.current.filter { $0.message.kind == .pageUpdate }
        #expect(updates.count == 1)
        #expect(updates.first?.previous == ExternalRef(channel: "D1", id: "1.1"))
        #expect(updates.first?.incident.status == .acknowledged)
        // New alerts for an acknowledged incident page nobody.
        try await h.send([h.alert("a2")])
        try await h.advance(3600)
        #expect(h.slack.pages == ["alice/slack"])
    }

    @Test func aPageNotYetSentWhenAcknowledgedIsNeverSent() async throws {
        let h = try EngineHarness()
        try await h.send([h.alert()])
        _ = try await h.engine.acknowledge(1, by: "bob")
        try await h.delivery.deliverDue()
        #expect(h.slack.sent.current.isEmpty)
    }

    @Test func sendingTheSameAlertsTwiceChangesNothing() async throws {
        let h = try EngineHarness()
        try await h.send([h.alert(), h.alert("a2")])
        let before = try await h.engine.detail(1)
        let ids = try await h.send([h.alert(), h.alert("a2")])
        #expect(ids == ["INC-1"])
        let after = try await h.engine.detail(1)
        #expect(after.timeline == before.timeline)
        #expect(after.alerts == before.alerts)
        let outbox = try await h.store.read { tx in try tx.outbox(of: 1) }
        #expect(outbox.count == 2) // alice by slack and by email, once
    }

    @Test func allAlertsResolvedResolvesAndAResolvedKeyOpensANewIncident() async throws {
        let h = try EngineHarness()
        try await h.send([h.alert("a1"), h.alert("a2")])
        try await h.send([h.alert("a1", status: .resolved)])
        #expect(try await h.engine.detail(1).incident.status == .triggered)
        try await h.send([h.alert("a2", status: .resolved)])
        let resolved = try await h.engine.detail(1).incident
        #expect(resolved.status == .resolved)
        #expect(resolved.resolvedBy == "prometheus")
        try await h.advance(3600)
        #expect(h.slack.pages.isEmpty) // resolved before the page went out
        let ids = try await h.send([h.alert("a1")])
        #expect(ids == ["INC-2"])
        // A resolved batch for an unknown key opens nothing.
        #expect(try await h.send([h.alert("zz", status: .resolved)], group: "other").isEmpty)
    }

    /// The ingest path writes each alert's JSON before the commit; a sparse resolve (a generic or
    /// PagerDuty source that sends only the key) keeps what the firing version said instead.
    @Test func aSparseResolveKeepsWhatTheFiringAlertSaid() async throws {
        let h = try EngineHarness()
        var firing = h.alert("a1")
        firing.annotations = ["runbook": "https://runbooks/x"]
        firing.values = ["accuracy_drop": 0.6]
        try await h.send([firing, h.alert("a2")])
        let sparse = Alert(fingerprint: "a1", status: .resolved, summary: "accuracy back")
        try await h.send([sparse])
        let kept = try #require(try await h.engine.detail(1).alerts.first { $0.alert.fingerprint == "a1" }?.alert)
        #expect(kept.status == .resolved)
        #expect(kept.summary == "accuracy back")
        #expect(kept.labels == firing.labels)
        #expect(kept.annotations == firing.annotations)
        #expect(kept.values == firing.values)
        // A full resolve is kept as sent, and a new alert as sent.
        var full = h.alert("a2", status: .resolved)
        full.annotations = ["note": "fixed"]
        try await h.send([full, h.alert("a3")])
        let alerts = try await h.engine.detail(1).alerts.map(\.alert)
        #expect(alerts.first { $0.fingerprint == "a2" } == full)
        #expect(alerts.first { $0.fingerprint == "a3" } == h.alert("a3"))
    }

    @Test func severityIsTheHighestOfItsAlerts() async throws {
        let h = try EngineHarness()
        try await h.send([h.alert("a1", severity: "warning")])
        #expect(try await h.engine.detail(1).incident.severity == .p3)
        try await h.send([h.alert("a2", severity: "critical")])
        let d = try await h.engine.detail(1)
        #expect(d.incident.severity == .p1)
        #expect(d.timeline.contains { $0.kind == "incident.severity_changed" })
    }

    @Test func escalateFiresTheNextStepNow() async throws {
        let h = try EngineHarness()
        try await h.send([h.alert()])
        try await h.advance(10)
        _ = try await h.engine.escalate(1, by: "alice")
        try await h.delivery.deliverDue()
        #expect(h.slack.pages == ["alice/slack", "bob/slack"])
        await #expect(throws: EngineError.self) { try await h.engine.escalate(99, by: "alice") }
    }

    @Test func urgencyNonePagesNobody() async throws {
        let h = try EngineHarness()
        try await h.send([h.alert(severity: "info")])
        try await h.advance(3600)
        #expect(h.slack.sent.current.isEmpty)
        #expect(try await h.engine.detail(1).timeline.contains { $0.kind == "escalation.silent" })
    }

    @Test func timersDueWhileDownFireOnceAtStartMarkedLate() async throws {
        let dir = NSTemporaryDirectory() + "klaxon-restart-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let h = try EngineHarness(dbPath: dir + "/k.db")
            try await h.send([h.alert()])
            try await h.delivery.deliverDue()
            #expect(h.slack.pages == ["alice/slack"])
        }
        // "Restart" an hour later with a new engine on the same file.
        let h2 = try EngineHarness(dbPath: dir + "/k.db", now: EngineHarness.t0.addingTimeInterval(3600))
        #expect(try await h2.timers.fireDue() == 1)
        #expect(try await h2.timers.fireDue() == 0)
        try await h2.delivery.deliverDue()
        #expect(h2.slack.pages == ["bob/slack"])
        let timeline = try await h2.engine.detail(1).timeline
        #expect(timeline.contains { $0.kind == "timer.late" })
        #expect(timeline.contains { $0.kind == "escalation.step.late" })
    }

    @Test func permanentFailuresAreRecordedAndTransientOnesRetried() async throws {
        let h = try EngineHarness()
        h.slack.outcome.withLock { $0 = .retry(after: 30, reason: "HTTP 503") }
        try await h.send([h.alert()])
        try await h.delivery.deliverDue()
        #expect(h.slack.sent.current.count == 1)
        try await h.advance(10)
        #expect(h.slack.sent.current.filter { $0.message.kind == .page }.count == 1)
        h.slack.outcome.withLock { $0 = .sent(nil) }
        try await h.advance(25)
        #expect(h.slack.sent.current.filter { $0.message.kind == .page }.count == 2)
        let states = try await h.store.read { tx in try tx.outbox(of: 1).map(\.state) }
        #expect(states.allSatisfy { $0 == .sent })

        h.email.outcome.withLock { $0 = .failed(reason: "mailbox unavailable") }
        try await h.send([h.alert()], group: "g2")
        try await h.delivery.deliverDue()
        let timeline = try await h.engine.detail(2).timeline
        #expect(timeline.contains { $0.kind == "delivery.failed" && $0.message.contains("mailbox unavailable") })
    }
}
