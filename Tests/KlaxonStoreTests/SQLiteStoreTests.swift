import Foundation
import Testing
import KlaxonCore
import KlaxonEngine
@testable import KlaxonStore

/// A fresh SQLite file in a temporary folder, removed afterwards.
final class TempDB {
    let dir: String
    var path: String { dir + "/klaxon.db" }
    init() {
        dir = NSTemporaryDirectory() + "klaxon-store-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: dir) }
}

struct SQLiteStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_795_420_800)

    func incident(_ n: Int, key: String = "k") -> IncidentRecord {
        IncidentRecord(number: n, key: key, integration: "prometheus", title: "t\(n)", severity: .p1, category: .other,
                       team: "ml-platform", policy: nil, playbook: nil, openedAt: t0)
    }

    @Test func usesWALAndMigrates() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path)
        let mode = try await store.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        // The writer commits with NORMAL (1) and syncs the WAL itself (`makeDurable`).
        let sync = try await store.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
        #expect(sync == 1)
        try store.makeDurable()
        let tables = try await store.pool.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        for t in ["alert_chunks", "incidents", "ingest_log", "log_filed", "log_front", "outbox", "timeline_chunks", "timers"] { #expect(tables.contains(t)) }
        try await store.ping()
    }

    @Test func incidentsAlertsAndTimelineSurviveReopening() async throws {
        let db = TempDB()
        do {
            let store = try SQLiteStore(path: db.path)
            try await store.write { tx in
                #expect(try tx.nextIncidentNumber() == 1)
                var i = self.incident(1)
                i.escalation = Escalation.start(policy: EscalationPolicy(id: "p", steps: [EscalationStep(targets: [.person("a")])]), urgency: .high, at: self.t0).0
                try tx.save(i)
                try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "fp", status: .firing, labels: ["a": "b"], summary: "s"), severity: .p1, receivedAt: self.t0))
                try tx.append(TimelineEntry(incident: 1, at: self.t0, kind: "incident.opened", actor: "prometheus", message: "opened"))
            }
        }
        let store = try SQLiteStore(path: db.path)
        let (inc, alerts, timeline, next) = try await store.read { tx in
            (try tx.incident(1), try tx.alerts(of: 1), try tx.timeline(of: 1), try tx.nextIncidentNumber())
        }
        #expect(inc?.title == "t1")
        #expect(inc?.escalation?.phase == .active)
        #expect(alerts.map(\.alert.fingerprint) == ["fp"])
        #expect(timeline.map(\.kind) == ["incident.opened"])
        #expect(next == 2)
    }

    @Test func onlyOneOpenIncidentPerKeyButResolvedOnesDoNotBlock() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path)
        try await store.write { tx in try tx.save(self.incident(1)) }
        await #expect(throws: (any Error).self) {
            try await store.write { tx in try tx.save(self.incident(2)) }
        }
        try await store.write { tx in
            var i = try tx.incident(1)!
            i.status = .resolved
            try tx.save(i)
            try tx.save(self.incident(2))
        }
        let open = try await store.read { tx in try tx.openIncident(key: "k")?.number }
        #expect(open == 2)
    }

    @Test func aFailedTransactionLeavesNothing() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path)
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await store.write { tx in
                try tx.save(self.incident(1))
                throw Boom()
            }
        }
        #expect(try await store.read { tx in try tx.incident(1) } == nil)
    }

    @Test func timersAreDueInOrderAndCancellable() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path)
        try await store.write { tx in
            try tx.save(self.incident(1))
            try tx.schedule(TimerRecord(incident: 1, kind: .escalation, dueAt: self.t0.addingTimeInterval(300)))
            try tx.schedule(TimerRecord(incident: 1, kind: .escalation, dueAt: self.t0.addingTimeInterval(60)))
            try tx.schedule(TimerRecord(incident: 1, kind: .stakeholder, dueAt: self.t0.addingTimeInterval(120), detail: "executive"))
        }
        #expect(try await store.nextTimerDue() == t0.addingTimeInterval(60))
        let due = try await store.read { tx in try tx.dueTimers(at: self.t0.addingTimeInterval(150), limit: 10) }
        #expect(due.map(\.dueAt) == [t0.addingTimeInterval(60), t0.addingTimeInterval(120)])
        #expect(due.last?.detail == "executive")
        try await store.write { tx in try tx.cancelTimers(incident: 1, kind: .escalation) }
        #expect(try await store.nextTimerDue() == t0.addingTimeInterval(120))
        try await store.write { tx in try tx.markTimer(due.last!.id!, state: .fired, at: self.t0.addingTimeInterval(130)) }
        #expect(try await store.nextTimerDue() == nil)
        let fired = try await store.read { tx in try tx.timer(due.last!.id!) }
        #expect(fired?.state == .fired)
        #expect(fired?.firedAt == t0.addingTimeInterval(130))
    }

    @Test func outboxClaimsLeaseAndReclaimsExpiredLeases() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path)
        let id = try await store.write { tx in
            try tx.save(self.incident(1))
            return try tx.enqueue(OutboxMessage(incident: 1, channel: "slack", kind: .page, recipient: .person(id: "alice", method: .slack), step: 0, createdAt: self.t0))
        }
        let first = try await store.claimOutbox(now: t0, limit: 10, lease: 60)
        #expect(first.map(\.id) == [id])
        #expect(first.first?.recipient == .person(id: "alice", method: .slack))
        // Leased: nobody else gets it until the lease runs out.
        #expect(try await store.claimOutbox(now: t0.addingTimeInterval(30), limit: 10, lease: 60).isEmpty)
        #expect(try await store.claimOutbox(now: t0.addingTimeInterval(61), limit: 10, lease: 60).map(\.id) == [id])
        try await store.write { tx in
            var m = try tx.outboxMessage(id)!
            m.state = .sent
            m.externalRef = ExternalRef(channel: "D1", id: "1.2")
            try tx.save(m)
        }
        #expect(try await store.claimOutbox(now: t0.addingTimeInterval(999), limit: 10, lease: 60).isEmpty)
        #expect(try await store.nextOutboxDue() == nil)
        let saved = try await store.read { tx in try tx.outbox(of: 1) }
        #expect(saved.first?.externalRef == ExternalRef(channel: "D1", id: "1.2"))
    }
}

struct StoredAlertJSONTests {
    @Test func readsBackAsTheSameValue() throws {
        let t = Date(timeIntervalSince1970: 1_795_419_717.167)
        let alerts = [
            StoredAlert(incident: 3, alert: Alert(fingerprint: "f\"1", status: .firing, labels: ["a": "b\\c", "ü": "\n\t\u{1}\r\u{1F}", "emoji": "🚨 \u{2028}\u{2029} é"], annotations: ["summary": "x <!channel>"],
                                                  values: ["B": 0.97, "C": 1, "N": -2.5e-7], summary: "s", source: "src", sourceSeverity: "critical",
                                                  startsAt: t, endsAt: nil, links: [AlertLink(href: "https://x/?a=1&b=2", text: "t")]), severity: .p1, receivedAt: t),
            StoredAlert(incident: 1, alert: Alert(fingerprint: "", status: .resolved, summary: ""), severity: .p4, receivedAt: Date(timeIntervalSince1970: 0)),
        ]
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        for a in alerts {
            let back = try decoder.decode(StoredAlert.self, from: Data(StoredAlertJSON.encode(a).utf8))
            #expect(back == a)
            // The alert object written ahead (on the ingest caller's thread) gives the same bytes.
            #expect(StoredAlertJSON.encode(a, alertObject: StoredAlertJSON.alertObject(a.alert)) == StoredAlertJSON.encode(a))
        }
    }
}

struct SQLiteStoreDurabilityTests {
    let t0 = Date(timeIntervalSince1970: 1_795_420_800)

    func incident(_ n: Int) -> IncidentRecord {
        IncidentRecord(number: n, key: "k\(n)", integration: "prometheus", title: "t\(n)", severity: .p1, category: .other,
                       team: "ml-platform", policy: nil, playbook: nil, openedAt: t0)
    }

    /// After one failed sync the store takes no more writes, even once syncs would succeed again
    /// (Linux may have dropped the pages it could not write and report the next sync clean);
    /// what it holds can still be read, and it does not report itself ready.
    @Test func aFailedSyncStopsEveryWrite() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path)
        let one = incident(1)
        try store.writeBlocking { tx in try tx.save(one) }
        try store.makeDurable()
        try await store.ping()

        store.failSyncs.withLock { $0 = EIO }
        let two = incident(2)
        try store.writeBlocking { tx in try tx.save(two) }
        #expect(throws: StoreUnavailable.self) { try store.makeDurable() }
        store.failSyncs.withLock { $0 = nil }

        #expect(throws: StoreUnavailable.self) { try store.makeDurable() }
        let ran = Locked(false)
        #expect(throws: StoreUnavailable.self) { try store.writeBlocking { _ in ran.withLock { $0 = true } } }
        #expect(!ran.withLock { $0 }, "no transaction starts")
        let three = incident(3)
        await #expect(throws: StoreUnavailable.self) { try await store.write { tx in try tx.save(three) } }
        await #expect(throws: StoreUnavailable.self) { try await store.ping() }
        let numbers = try await store.read { tx in try tx.incidents(statuses: nil, limit: 10).map(\.number).sorted() }
        #expect(numbers == [1, 2])
        do { try store.makeDurable() } catch let e as StoreUnavailable {
            #expect(e.reason.contains("fdatasync") && e.reason.contains(String(cString: strerror(EIO))), "\(e.reason)")
        }
    }
}
