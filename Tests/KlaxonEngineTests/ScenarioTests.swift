import Foundation
import Testing
import KlaxonConfig
import KlaxonCore
import KlaxonStore
@testable import KlaxonEngine

/// Escalation scenarios on the virtual clock, with a configuration written as a user would:
/// Alice in Berlin, Bob in New York, Carol in Tokyo.
final class Scenario: @unchecked Sendable {
    let dir = NSTemporaryDirectory() + "klaxon-scenario-" + UUID().uuidString
    let clock: ManualClock
    let store: SQLiteStore
    let engine: IncidentService
    let timers: TimerService
    let delivery: DeliveryService
    let slack = RecordingNotifier()
    let integration: Integration

    static let people = """
    people:
      - {id: alice, name: Alice Ng, time_zone: Europe/Berlin, working_hours: "Mon-Fri 09:00-18:00", slack: U0ALICE01}
      - {id: bob, name: Bob Okafor, time_zone: America/New_York, working_hours: "Mon-Fri 09:00-17:00", slack: U0BOB0002}
      - {id: carol, name: Carol Tanaka, time_zone: Asia/Tokyo, working_hours: "Mon-Fri 10:00-19:00", slack: U0CAROL03}
    """

    init(primary: String = "alice", secondary: String = "bob", repeatCount: Int = 0, now: String, extraSettings: String = "") throws {
        try FileManager.default.createDirectory(atPath: dir + "/Rotations", withIntermediateDirectories: true)
        try """
        time_zone: UTC
        integrations:
          - {name: scripts, kind: generic, token: literal-token, team: ml-platform}
        channels:
          - {name: slack, kind: slack, token: xoxb-literal}
        severity_defaults:
          map: {critical: P1, error: P2, warning: P3, info: P4}
        urgency: {high: [P0, P1, P2], low: [P3], none: [P4]}
        \(extraSettings)
        """.write(toFile: dir + "/klaxon.yaml", atomically: true, encoding: .utf8)
        try Self.people.write(toFile: dir + "/Rotations/people.yaml", atomically: true, encoding: .utf8)
        try """
        team: ml-platform
        time_zone: Europe/Berlin
        schedules:
          - id: primary
            layers:
              - rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-05}
                members: [\(primary)]
          - id: secondary
            layers:
              - rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-05}
                members: [\(secondary)]
        escalation_policies:
          - id: default
            repeat: \(repeatCount)
            steps:
              - {notify: [schedule:primary, "slack:#ml-incidents"], escalate_after: 5m}
              - {notify: [schedule:secondary], escalate_after: 10m}
        """.write(toFile: dir + "/Rotations/ml-platform.yaml", atomically: true, encoding: .utf8)
        let config = try ConfigLoader(environment: [:]).load(configPath: dir + "/klaxon.yaml").get()
        integration = config.settings.integrations[0]
        clock = ManualClock(now: parseRFC3339(now))
        store = try SQLiteStore(path: dir + "/k.db", inboxLimit: 3, movedLimit: 2)
        engine = IncidentService(store: store, clock: clock, runtime: Runtime(config: config))
        timers = TimerService(engine: engine)
        delivery = DeliveryService(engine: engine, notifiers: ["slack": slack])
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func alert(_ severity: String, key: String = "k1", customerFacing: Bool = false) async throws -> [String] {
        var labels = ["alertname": "X", "severity": severity]
        if customerFacing { labels["customer_facing"] = "true" }
        return try await engine.ingest(integration: integration, batch: AlertBatch(groupKey: key, alerts: [
            Alert(fingerprint: key + severity, status: .firing, labels: labels, summary: "something \(severity)"),
        ]))
    }

    /// Runs every timer in time order up to `t`, delivering as it goes.
    func run(until t: String) async throws { try await run(until: parseRFC3339(t)) }

    func run(until t: Date) async throws {
        try await delivery.deliverDue()
        while let next = try await store.nextTimerDue(), next <= t {
            clock.advance(to: next)
            try await timers.fireDue()
            try await delivery.deliverDue()
        }
        clock.advance(to: t)
        try await delivery.deliverDue()
    }

    func run(for seconds: TimeInterval) async throws { try await run(until: clock.now.addingTimeInterval(seconds)) }

    /// `who@time` for each page, in order.
    var pages: [String] {
        slack.sent.current.filter { $0.message.kind == .page }.sorted { ($0.message.id ?? 0) < ($1.message.id ?? 0) }.compactMap { m in
            guard case .person(let id, _) = m.message.recipient else { return nil }
            return "\(id)@\(ISOTime.utc(m.now))"
        }
    }

    func posts(_ kind: MessageKind) -> [String] {
        slack.sent.current.filter { $0.message.kind == kind }.sorted { ($0.message.id ?? 0) < ($1.message.id ?? 0) }.map { m in
            let audience = StakeholderDetail.decode(m.message.detail).map { "\($0.audience.rawValue)/\($0.event) " } ?? ""
            return "\(audience)\(m.message.recipient)@\(ISOTime.utc(m.now))"
        }
    }
}

func parseRFC3339(_ s: String) -> Date {
    let f = ISO8601DateFormatter()
    return f.date(from: s)!
}

struct EscalationScenarioTests {
    @Test func highUrgencyPagesAtOnceAndEscalatesAfterTheDelay() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z") // a Saturday night in Berlin
        try await s.alert("critical")
        try await s.run(until: "2026-11-28T04:00:00Z")
        #expect(s.pages == ["alice@2026-11-28T03:00:00Z", "bob@2026-11-28T03:05:00Z"])
        #expect(s.posts(.post) == ["slack:#ml-incidents@2026-11-28T03:00:00Z"])
    }

    /// P3 on the Saturday before the EU change to summer time: Alice (Berlin) is paged Monday at
    /// 09:00 CEST — 07:00 UTC, not 08:00 — the channel hears at once, and step 2's delay counts
    /// from Monday.
    @Test func lowUrgencyWaitsForWorkingHoursAcrossTheEUChange() async throws {
        let s = try Scenario(now: "2026-03-28T10:00:00Z")
        try await s.alert("warning")
        try await s.run(until: "2026-03-30T12:00:00Z")
        #expect(s.posts(.post) == ["slack:#ml-incidents@2026-03-28T10:00:00Z"])
        // Bob (New York, already on summer time since March 8) starts at 09:00 EDT = 13:00 UTC.
        #expect(s.pages == ["alice@2026-03-30T07:00:00Z"])
        try await s.run(until: "2026-03-30T14:00:00Z")
        #expect(s.pages == ["alice@2026-03-30T07:00:00Z", "bob@2026-03-30T13:00:00Z"])
    }

    @Test func lowUrgencyInTokyoAndNewYork() async throws {
        // Carol (Tokyo, 10:00-19:00, no DST) primary: Saturday alert, Monday 10:00 JST = 01:00 UTC.
        let s = try Scenario(primary: "carol", secondary: "alice", now: "2026-10-24T12:00:00Z")
        try await s.alert("warning")
        try await s.run(until: "2026-10-26T09:00:00Z")
        // Alice in Berlin after the EU fall-back (Oct 25): 09:00 CET = 08:00 UTC.
        #expect(s.pages == ["carol@2026-10-26T01:00:00Z", "alice@2026-10-26T08:00:00Z"])
    }

    @Test func lowUrgencyInsideWorkingHoursPagesAtOnce() async throws {
        let s = try Scenario(now: "2026-11-25T10:00:00Z") // Wednesday 11:00 in Berlin
        try await s.alert("warning")
        try await s.run(for: 600)
        #expect(s.pages == ["alice@2026-11-25T10:00:00Z", "bob@2026-11-25T14:00:00Z"].filter { $0.hasPrefix("alice") })
        // Bob's hours start 09:00 EST = 14:00 UTC: step 2 (due 10:05) waits for him.
        try await s.run(until: "2026-11-25T15:00:00Z")
        #expect(s.pages == ["alice@2026-11-25T10:00:00Z", "bob@2026-11-25T14:00:00Z"])
    }

    @Test func anAckBetweenStepsStopsTheNextOne() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z")
        try await s.alert("critical")
        try await s.run(for: 120)
        _ = try await s.engine.acknowledge(1, by: "alice")
        try await s.run(for: 7200)
        #expect(s.pages == ["alice@2026-11-28T03:00:00Z"])
        // Alerts arriving for the acknowledged incident page nobody.
        try await s.alert("critical")
        try await s.engine.ingest(integration: s.integration, batch: AlertBatch(groupKey: "k1", alerts: [
            Alert(fingerprint: "other", status: .firing, labels: ["alertname": "Y", "severity": "critical"], summary: "more"),
        ]))
        try await s.run(for: 7200)
        #expect(s.pages == ["alice@2026-11-28T03:00:00Z"])
    }

    @Test func resolveStopsEverything() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z", extraSettings: """
        stakeholders:
          executive: {channels: ["slack:#exec"], severities: [P1], every: 30m}
        """)
        try await s.alert("critical")
        try await s.run(for: 60)
        _ = try await s.engine.resolve(1, by: "alice")
        try await s.run(for: 86_400)
        #expect(s.pages == ["alice@2026-11-28T03:00:00Z"])
        #expect(s.posts(.stakeholder) == ["executive/opened slack:#exec@2026-11-28T03:00:00Z", "executive/resolved slack:#exec@2026-11-28T03:01:00Z"])
        let pending = try await s.store.read { tx in try tx.timers(of: 1).filter { $0.state == .pending } }
        #expect(pending.isEmpty)
    }

    @Test func repeatThenExhaustion() async throws {
        let s = try Scenario(repeatCount: 1, now: "2026-11-28T03:00:00Z", extraSettings: """
        stakeholders:
          technical: {channels: ["slack:#ml-incidents"], severities: [P0, P1, P2, P3], on: [opened, resolved]}
        """)
        try await s.alert("critical")
        try await s.run(until: "2026-11-28T06:00:00Z")
        #expect(s.pages == ["alice@2026-11-28T03:00:00Z", "bob@2026-11-28T03:05:00Z", "alice@2026-11-28T03:15:00Z", "bob@2026-11-28T03:20:00Z"])
        #expect(s.posts(.exhausted) == ["slack:#ml-incidents@2026-11-28T03:30:00Z"])
        #expect(try await s.engine.detail(1).incident.escalation?.phase == .exhausted)
    }

    @Test func escalateFiresTheNextStepNowAndItsDelayCountsFromNow() async throws {
        let s = try Scenario(repeatCount: 0, now: "2026-11-28T03:00:00Z")
        try await s.alert("critical")
        try await s.run(for: 60)
        _ = try await s.engine.escalate(1, by: "alice")
        try await s.run(for: 3600)
        #expect(s.pages == ["alice@2026-11-28T03:00:00Z", "bob@2026-11-28T03:01:00Z"])
        #expect(s.posts(.exhausted).isEmpty) // no technical channel configured
        #expect(try await s.engine.detail(1).incident.escalation?.phase == .exhausted)
    }

    /// A P3 waiting for Monday becomes P1 on Saturday: from that moment it is high urgency.
    @Test func aSeverityChangeReDecidesUrgencyFromThatMoment() async throws {
        let s = try Scenario(now: "2026-03-28T10:00:00Z")
        try await s.alert("warning")
        try await s.run(until: "2026-03-28T11:00:00Z")
        #expect(s.pages.isEmpty)
        try await s.alert("critical")
        try await s.run(until: "2026-03-28T11:10:00Z")
        #expect(s.pages == ["alice@2026-03-28T11:00:00Z", "bob@2026-03-28T11:05:00Z"])
        // Set back to P3 by a person: the waiting stops being urgent again.
        let s2 = try Scenario(now: "2026-03-28T10:00:00Z")
        try await s2.alert("critical")
        _ = try await s2.engine.setSeverity(1, to: .p3, by: "alice")
        try await s2.run(until: "2026-03-30T07:30:00Z")
        #expect(s2.pages == ["alice@2026-03-28T10:00:00Z", "bob@2026-03-30T13:00:00Z"].filter { $0.hasPrefix("alice") })
        let d = try await s2.engine.detail(1)
        #expect(d.incident.severity == .p3)
        #expect(d.incident.severitySetBy == "alice")
    }

    @Test func urgencyNoneIsRecordedAndToldToItsAudiences() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z", extraSettings: """
        stakeholders:
          technical: {channels: ["slack:#ml-incidents"], severities: [P4], on: [opened]}
        """)
        try await s.alert("info")
        try await s.run(for: 86_400)
        #expect(s.pages.isEmpty)
        #expect(s.posts(.stakeholder) == ["technical/opened slack:#ml-incidents@2026-11-28T03:00:00Z"])
    }
}

struct StakeholderScenarioTests {
    static let stakeholders = """
    stakeholders:
      executive: {channels: ["slack:#exec"], severities: [P0], every: 30m, also_when_open_longer_than: {P1: 60m}}
      customer: {channels: ["slack:#status-drafts"], severities: [P0, P1], when: 'customer_facing = "true"'}
      technical: {channels: ["slack:#ml-incidents"], severities: [P0, P1, P2, P3], on: [opened, acknowledged, escalated, severity_changed, updated, resolved]}
    """

    @Test func executiveBriefingsAtOpenAndOnTheCadenceUntilResolved() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z", extraSettings: Self.stakeholders.replacingOccurrences(of: "severities: [P0], every", with: "severities: [P1], every"))
        try await s.alert("critical")
        try await s.run(until: "2026-11-28T04:10:00Z")
        _ = try await s.engine.resolve(1, by: "alice", note: "rolled back")
        try await s.run(until: "2026-11-28T08:00:00Z")
        let exec = s.posts(.stakeholder).filter { $0.hasPrefix("executive") }
        #expect(exec == ["executive/opened slack:#exec@2026-11-28T03:00:00Z", "executive/cadence slack:#exec@2026-11-28T03:30:00Z",
                         "executive/cadence slack:#exec@2026-11-28T04:00:00Z", "executive/resolved slack:#exec@2026-11-28T04:10:00Z"])
    }

    @Test func aP1OpenLongerThanTheThresholdBriefsExecutives() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z", extraSettings: Self.stakeholders)
        try await s.alert("critical") // P1: not an executive severity by itself
        try await s.run(until: "2026-11-28T04:45:00Z")
        let exec = s.posts(.stakeholder).filter { $0.hasPrefix("executive") }
        #expect(exec == ["executive/open_longer_than slack:#exec@2026-11-28T04:00:00Z", "executive/cadence slack:#exec@2026-11-28T04:30:00Z"])
    }

    @Test func customerNoticesOnlyWhenTheConditionHolds() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z", extraSettings: Self.stakeholders)
        try await s.alert("critical", key: "internal")
        try await s.alert("critical", key: "public", customerFacing: true)
        try await s.run(for: 60)
        #expect(s.posts(.stakeholder).filter { $0.hasPrefix("customer") } == ["customer/opened slack:#status-drafts@2026-11-28T03:00:00Z"])
        _ = try await s.engine.postUpdate(2, by: "alice", text: "Rolling back to v42")
        try await s.run(for: 60)
        let customer = s.slack.sent.current.filter { StakeholderDetail.decode($0.message.detail)?.audience == .customer }
        #expect(customer.count == 2)
        #expect(StakeholderDetail.decode(customer.last?.message.detail)?.text == "Rolling back to v42")
    }

    @Test func technicalUpdatesOnTheListedEvents() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z", extraSettings: Self.stakeholders)
        try await s.alert("critical")
        try await s.run(for: 400) // step 2 fires at 03:05: escalated
        _ = try await s.engine.acknowledge(1, by: "bob")
        _ = try await s.engine.setSeverity(1, to: .p2, by: "bob")
        _ = try await s.engine.postUpdate(1, by: "bob", text: "Found it")
        _ = try await s.engine.resolve(1, by: "bob")
        try await s.run(for: 10)
        let technical = s.posts(.stakeholder).filter { $0.hasPrefix("technical") }.map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(technical == ["technical/opened", "technical/escalated", "technical/acknowledged", "technical/severity_changed", "technical/updated", "technical/resolved"])
    }
}

struct SimulatorTests {
    @Test func simulateAndTheLiveEngineGiveTheSamePages() async throws {
        let live = try Scenario(repeatCount: 1, now: "2026-03-28T10:00:00Z", extraSettings: StakeholderScenarioTests.stakeholders)
        let config = live.engine.runtime.snapshot.config
        func batch(_ key: String, _ severity: String) -> AlertBatch {
            AlertBatch(groupKey: key, alerts: [Alert(fingerprint: key + severity, status: .firing, labels: ["alertname": "X", "severity": severity], summary: "something \(severity)")])
        }
        let events: [(at: Date, event: Simulator.Event)] = [
            (parseRFC3339("2026-03-28T10:00:00Z"), .alert(live.integration, batch("a", "critical"))),
            (parseRFC3339("2026-03-28T10:01:00Z"), .alert(live.integration, batch("b", "warning"))),
            (parseRFC3339("2026-03-28T10:07:00Z"), .acknowledge(incident: 1, by: "bob")),
            (parseRFC3339("2026-03-28T10:30:00Z"), .alert(live.integration, batch("c", "critical"))),
            (parseRFC3339("2026-03-28T11:00:00Z"), .resolve(incident: 3, by: "alice", note: nil)),
        ]
        let end = parseRFC3339("2026-03-31T00:00:00Z")
        let simulator = try Simulator(config: config, start: events[0].at) { dir in try SQLiteStore(path: dir + "/s.db") }
        let lines = try await simulator.run(events, until: end)
        let simulated = lines.filter { $0.event == "page" && $0.channel == "slack" }.map { "\($0.to!)@\($0.at)" }

        for (at, event) in events {
            try await live.run(until: at)
            switch event {
            case .alert(let i, let b): _ = try await live.engine.ingest(integration: i, batch: b)
            case .acknowledge(let n, let by): _ = try await live.engine.acknowledge(n, by: by)
            case .resolve(let n, let by, let note): _ = try await live.engine.resolve(n, by: by, note: note)
            case .escalate(let n, let by): _ = try await live.engine.escalate(n, by: by)
            }
        }
        try await live.run(until: end)
        #expect(simulated == live.pages)
        #expect(simulated.count >= 4)
        #expect(simulated.contains("alice@2026-03-30T07:00:00Z")) // the P3 waited for Monday, after the EU change
        let opened = lines.filter { $0.event == "incident.opened" }.map(\.incident)
        #expect(opened == ["INC-1", "INC-2", "INC-3"])
        #expect(lines.contains { $0.event == "incident.acknowledged" && $0.incident == "INC-1" && $0.at == "2026-03-28T10:07:00Z" })
        #expect(lines.contains { $0.event == "escalated" && $0.incident == "INC-1" && $0.step == 2 && $0.at == "2026-03-28T10:05:00Z" })
        #expect(lines.contains { $0.event == "stakeholder.update" && $0.to == "technical" })
        #expect(lines.map(\.at) == lines.map(\.at).sorted())
        // Only SPEC 6's events are printed (step 1's channel post is not a line of its own).
        #expect(Set(lines.map(\.event)).isSubset(of: ["incident.opened", "page", "escalated", "stakeholder.update", "incident.acknowledged", "incident.resolved"]))
        #expect(simulator.problems.isEmpty)
    }

    @Test func eventsThatCannotApplyAreReportedApart() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z")
        let simulator = try Simulator(config: s.engine.runtime.snapshot.config, start: parseRFC3339("2026-11-28T03:00:00Z")) { dir in try SQLiteStore(path: dir + "/s.db") }
        let lines = try await simulator.run([(parseRFC3339("2026-11-28T03:00:00Z"), .acknowledge(incident: 9, by: "alice"))])
        #expect(lines.isEmpty)
        #expect(simulator.problems == ["2026-11-28T03:00:00Z: INC-9 does not exist."])
    }
}

struct ReviewDutyTests {
    @Test func resolvingAP0WithAPlaybookRecordsTheReviewDuty() async throws {
        let s = try Scenario(now: "2026-11-28T03:00:00Z")
        try FileManager.default.createDirectory(atPath: s.dir + "/Playbooks", withIntermediateDirectories: true)
        try """
        id: outage
        title: Outage
        match: [['alertname = "X"']]
        severity: {rules: [{when: ['severity = "critical"'], level: P0}], default: P3}
        review: {required_for: [P0, P1], due_within: 5d}
        """.write(toFile: s.dir + "/Playbooks/outage.yaml", atomically: true, encoding: .utf8)
        s.engine.runtime.replace(with: try ConfigLoader(environment: [:]).load(configPath: s.dir + "/klaxon.yaml").get())
        try await s.alert("critical")
        try await s.alert("warning", key: "k2")
        _ = try await s.engine.resolve(1, by: "alice")
        _ = try await s.engine.resolve(2, by: "alice")
        let t1 = try await s.engine.detail(1).timeline
        #expect(t1.last?.kind == "review.required")
        #expect(t1.last?.message == "A post-incident review is required for P0 by 2026-12-03T03:00:00Z (playbook outage)")
        #expect(!(try await s.engine.detail(2).timeline).contains { $0.kind == "review.required" }) // P3: no duty
    }
}
