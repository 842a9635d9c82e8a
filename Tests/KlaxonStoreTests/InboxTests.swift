import Foundation
import Testing
import KlaxonCore
import KlaxonEngine
import GRDB
@testable import KlaxonStore

/// Alerts and timeline entries wait in the ingest log before they are filed into their
/// incidents' chunks. Whatever the limit on waiting records, and whether a read runs in the
/// writer or on a reader connection, the store must answer exactly as a plain table would: these
/// tests drive random work through stores with different limits and compare every answer with a
/// model kept in memory.
struct InboxTests {
    let t0 = Date(timeIntervalSince1970: 1_795_420_800)

    /// An alert version of `incident` whose summary is its fingerprint.
    static func stored(_ fp: String, _ status: AlertStatus = .firing, incident: Int = 1) -> StoredAlert {
        StoredAlert(incident: incident, alert: Alert(fingerprint: fp, status: status, summary: fp), severity: .p2,
                    receivedAt: Date(timeIntervalSince1970: 1_795_420_800))
    }

    struct Model {
        var alerts: [Int: [(fp: String, status: AlertStatus, summary: String)]] = [:]
        var timeline: [Int: [String]] = [:]

        mutating func save(_ incident: Int, _ fp: String, _ status: AlertStatus, _ summary: String) {
            var list = alerts[incident, default: []]
            if let i = list.firstIndex(where: { $0.fp == fp }) { list[i] = (fp, status, summary) } else { list.append((fp, status, summary)) }
            alerts[incident] = list
        }
        func firing(_ incident: Int) -> Int { alerts[incident, default: []].filter { $0.status == .firing }.count }
    }

    /// A deterministic generator (the same runs every time).
    struct Rand {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    /// Open incidents numbered `numbers`, keys "k1", "k2", ...
    func openIncidents(_ numbers: ClosedRange<Int>, in store: SQLiteStore) async throws {
        let t0 = self.t0
        try await store.write { tx in
            for n in numbers {
                try tx.save(IncidentRecord(number: n, key: "k\(n)", integration: "x", title: "t", severity: .p2, category: .other,
                                           team: "ml-platform", policy: nil, playbook: nil, openedAt: t0))
            }
        }
    }

    /// The n-th fingerprint: Alertmanager's shape (16 lowercase hex digits; the writer keeps
    /// those by value) or any other ("f3"), or the same in capitals (kept as text).
    static func fingerprint(_ n: Int, _ style: Int) -> String {
        switch style {
        case 1: return String(format: "%016llx", UInt64(n) &* 0x9E37_79B9_7F4A_7C15)
        case 2: return String(format: "%016llX", UInt64(n) &* 0x9E37_79B9_7F4A_7C15)
        default: return "f\(n)"
        }
    }

    func check(_ store: SQLiteStore, _ model: Model, incidents: Int, inWriter: Bool, style: Int = 0) async throws {
        let f1 = Self.fingerprint(1, style)
        for inc in 1...incidents {
            let (alerts, count, timeline, one) = inWriter
                ? try await store.write { tx in (try tx.alerts(of: inc), try tx.firingAlertCount(of: inc), try tx.timeline(of: inc), try tx.alert(of: inc, fingerprint: f1)) }
                : try await store.read { tx in (try tx.alerts(of: inc), try tx.firingAlertCount(of: inc), try tx.timeline(of: inc), try tx.alert(of: inc, fingerprint: f1)) }
            let expected = model.alerts[inc, default: []]
            #expect(alerts.map(\.alert.fingerprint) == expected.map(\.fp), "incident \(inc) order")
            #expect(alerts.map(\.alert.status) == expected.map(\.status), "incident \(inc) status")
            #expect(alerts.map(\.alert.summary) == expected.map(\.summary), "incident \(inc) content")
            #expect(count == model.firing(inc), "incident \(inc) firing count (writer: \(inWriter))")
            #expect(timeline.map(\.message) == model.timeline[inc, default: []], "incident \(inc) timeline")
            #expect(one?.alert.summary == expected.first(where: { $0.fp == f1 })?.summary)
        }
    }

    /// (inbox limit, rows moved per transaction once it is reached, fingerprints per incident,
    /// moved alerts the writer keeps track of, fingerprint style: see `fingerprint`)
    @Test(arguments: [(0, 1, 6, 262_144, 0), (1, 1, 6, 262_144, 0), (3, 1, 6, 262_144, 0), (7, 2, 6, 262_144, 0), (7, 512, 6, 262_144, 0),
                      (50, 5, 6, 262_144, 0), (4096, 512, 6, 262_144, 0), (3, 1, 40, 0, 1), (7, 2, 400, 5, 1), (50, 5, 40, 30, 2),
                      (1, 1, 6, 262_144, 1), (7, 2, 6, 262_144, 2)])
    func answersAsAPlainTableWouldWhateverTheLimit(limit: Int, chunk: Int, fingerprints: Int, movedLimit: Int, style: Int) async throws {
        let db = TempDB()
        var store = try SQLiteStore(path: db.path, inboxLimit: limit, mergeChunk: chunk, movedLimit: movedLimit)
        var model = Model()
        var rand = Rand(state: UInt64(limit * 31 + chunk + fingerprints * 7) + 17)
        // Incident 5 gets an alert now and then only: its old rows must not hold up the rest.
        let incidents = 5
        let t0 = self.t0
        try await openIncidents(1...incidents, in: store)
        for round in 0..<60 {
            // A transaction of a few changes, as a group commit would run them.
            var changes: [(Int, String, AlertStatus, String)] = []
            for _ in 0..<(1 + rand.next(6)) {
                let incident = rand.next(20) == 0 ? 5 : 1 + rand.next(4)
                changes.append((incident, Self.fingerprint(rand.next(fingerprints), style), rand.next(3) == 0 ? .resolved : .firing, "s\(round)-\(rand.next(1000))"))
            }
            let batch = changes
            try await store.write { tx in
                for (inc, fp, status, summary) in batch {
                    try tx.save(StoredAlert(incident: inc, alert: Alert(fingerprint: fp, status: status, summary: summary), severity: .p2, receivedAt: t0))
                    try tx.append(TimelineEntry(incident: inc, at: t0, kind: "alert.\(status.rawValue)", actor: "x", message: "\(fp) \(summary)"))
                }
            }
            for (inc, fp, status, summary) in changes {
                model.save(inc, fp, status, summary)
                model.timeline[inc, default: []].append("\(fp) \(summary)")
            }
            try await check(store, model, incidents: incidents, inWriter: round % 2 == 0, style: style)
            // The front follows the filings: however skewed the load, what a reader scans of the
            // log stays bounded.
            let scanned = try await logRowsFromFront(store)
            #expect(scanned <= Int(store.writer.frontLag) + 64 + 1, "round \(round): \(scanned) log rows from the front")
            if round % 13 == 12 {
                // Reopening forgets the writer's memory; it must be read back from the file.
                store = try SQLiteStore(path: db.path, inboxLimit: limit, mergeChunk: chunk, movedLimit: movedLimit)
                try await check(store, model, incidents: incidents, inWriter: true, style: style)
            }
        }
        try await store.mergeInbox()
        #expect(try await logRowsFromFront(store) == 0, "everything is filed: readers scan nothing")
        try await check(store, model, incidents: incidents, inWriter: false, style: style)
        try await check(store, model, incidents: incidents, inWriter: true, style: style)
    }

    /// Filing takes the incident with most records waiting, all of them at once (one chunk),
    /// and notes how far its records are filed; the log rows stay.
    @Test func movesTheBusiestIncidentWhole() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path, inboxLimit: 6, mergeChunk: 1)
        let t0 = self.t0
        try await openIncidents(1...2, in: store)
        @Sendable func alert(_ incident: Int, _ fp: String) -> StoredAlert { InboxTests.stored(fp, incident: incident) }
        // Interleaved: incident 1's rows are spread among incident 2's.
        try await store.write { tx in
            for (inc, fp) in [(1, "a"), (2, "x"), (1, "b"), (1, "c"), (2, "y"), (1, "d")] { try tx.save(alert(inc, fp)) }
        }
        #expect(try await movedAlerts(store).isEmpty)
        try await store.write { tx in try tx.save(alert(2, "z")) }
        let moved = try await movedAlerts(store).map { $0.split(separator: "=")[0] }
        let (marks, log, chunks) = try await store.pool.read { db in
            (try Row.fetchAll(db, sql: "SELECT incident, through FROM log_filed").map { [$0[0] as Int, $0[1] as Int] },
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ingest_log"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alert_chunks"))
        }
        #expect(moved == ["a", "b", "c", "d"])
        #expect(chunks == 1, "one incident's filing is one chunk")
        #expect(marks == [[1, 1]], "incident 1 is filed through log row 1")
        #expect(log == 2, "one log row per transaction")
        for inWriter in [false, true] {
            let (one, two) = inWriter
                ? try await store.write { tx in (try tx.alerts(of: 1).map(\.alert.fingerprint), try tx.alerts(of: 2).map(\.alert.fingerprint)) }
                : try await store.read { tx in (try tx.alerts(of: 1).map(\.alert.fingerprint), try tx.alerts(of: 2).map(\.alert.fingerprint)) }
            #expect(one == ["a", "b", "c", "d"])
            #expect(two == ["x", "y", "z"])
        }
        // A newer version of a filed alert waits in the log and wins over the filed one.
        try await store.write { tx in
            try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "b", status: .resolved, summary: "b2"), severity: .p2, receivedAt: t0))
        }
        let reopened = try SQLiteStore(path: db.path, inboxLimit: 6, mergeChunk: 1)
        let b = try await reopened.read { tx in try tx.alerts(of: 1).map { "\($0.alert.fingerprint)=\($0.alert.summary)" } }
        #expect(b == ["a=a", "b=b2", "c=c", "d=d"])
        #expect(try await reopened.write { tx in try tx.firingAlertCount(of: 1) } == 3)
    }

    /// Filing one incident leaves the other incidents' records in the same log rows waiting:
    /// readers skip only what is filed (here incident 2's entry shares no row with incident 1's
    /// alert, then does).
    @Test func filingOneIncidentLeavesTheOthersWaiting() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path, inboxLimit: 3, mergeChunk: 1)
        let t0 = self.t0
        try await openIncidents(1...2, in: store)
        try await store.write { tx in try tx.append(TimelineEntry(incident: 2, at: t0, kind: "note", actor: nil, message: "t2")) }
        try await store.write { tx in
            try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "a", status: .firing, summary: "a"), severity: .p2, receivedAt: t0))
            try tx.append(TimelineEntry(incident: 1, at: t0, kind: "note", actor: nil, message: "t1"))
        }
        // Three rows wait: incident 1 moves, the alert table empties, and then "b" is saved.
        try await store.write { tx in
            try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "b", status: .firing, summary: "b"), severity: .p2, receivedAt: t0))
        }
        try await store.write { tx in
            try tx.append(TimelineEntry(incident: 2, at: t0, kind: "note", actor: nil, message: "t2b"))
            try tx.append(TimelineEntry(incident: 1, at: t0, kind: "note", actor: nil, message: "t1b"))
        }
        #expect(try await store.read { tx in try tx.alerts(of: 1).map(\.alert.fingerprint) } == ["a", "b"])
        for reopen in [false, true] {
            let s = reopen ? try SQLiteStore(path: db.path, inboxLimit: 3, mergeChunk: 1) : store
            #expect(try await s.write { tx in try tx.firingAlertCount(of: 1) } == 2)
            #expect(try await s.read { tx in try tx.timeline(of: 1).map(\.message) } == ["t1", "t1b"])
            #expect(try await s.read { tx in try tx.timeline(of: 2).map(\.message) } == ["t2", "t2b"])
            #expect(try await s.write { tx in try tx.timeline(of: 2).map(\.message) } == ["t2", "t2b"])
        }
        let reopened = try SQLiteStore(path: db.path, inboxLimit: 3, mergeChunk: 1)
        try await reopened.mergeInbox()
        #expect(try await reopened.read { tx in try tx.alerts(of: 1).map(\.alert.fingerprint) } == ["a", "b"])
        #expect(try await reopened.read { tx in try tx.timeline(of: 2).map(\.message) } == ["t2", "t2b"])
    }

    /// A lookup that finds nothing lets the save right after it skip its own lookups; any
    /// other save, a filing or a rollback in between must not leave that knowledge stale.
    @Test func aSaveAfterAnEmptyLookupCountsRight() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path, inboxLimit: 2, mergeChunk: 1)
        try await openIncidents(1...1, in: store)
        @Sendable func alert(_ fp: String, _ status: AlertStatus) -> StoredAlert { InboxTests.stored(fp, status) }
        try await store.write { tx in
            #expect(try tx.alert(of: 1, fingerprint: "a") == nil)
            try tx.save(alert("a", .firing))
            #expect(try tx.alert(of: 1, fingerprint: "a")?.alert.status == .firing)
            // Looked up, then another alert saved first, then "b" itself.
            #expect(try tx.alert(of: 1, fingerprint: "b") == nil)
            try tx.save(alert("c", .firing))
            try tx.save(alert("b", .firing))
            try tx.save(alert("b", .resolved))
        }
        #expect(try await store.write { tx in try tx.firingAlertCount(of: 1) } == 2)
        // Looked up in one transaction, saved (after a filing) in the next: "a" was filed meanwhile.
        let d = try await store.write { tx in try tx.alert(of: 1, fingerprint: "d") }
        #expect(d == nil)
        try await store.write { tx in
            try tx.save(alert("a", .resolved))
            try tx.save(alert("d", .firing))
        }
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await store.write { tx in
                _ = try tx.alert(of: 1, fingerprint: "e")
                throw Boom()
            }
        }
        try await store.write { tx in try tx.save(alert("d", .resolved)) }
        for inWriter in [true, false] {
            @Sendable func read(_ tx: any StoreTransaction) throws -> ([String], Int) {
                (try tx.alerts(of: 1).map { "\($0.alert.fingerprint)=\($0.alert.status.rawValue)" }, try tx.firingAlertCount(of: 1))
            }
            let (alerts, firing) = inWriter ? try await store.write(read) : try await store.read(read)
            #expect(alerts == ["a=resolved", "c=firing", "b=resolved", "d=resolved"])
            #expect(firing == 1)
        }
    }

    @Test func aRolledBackTransactionLeavesNoTraceInTheWritersMemory() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path, inboxLimit: 100)
        let t0 = self.t0
        try await store.write { tx in
            try tx.save(IncidentRecord(number: 1, key: "k", integration: "x", title: "t", severity: .p2, category: .other,
                                       team: "ml-platform", policy: nil, playbook: nil, openedAt: t0))
        }
        @Sendable func alert(_ fp: String, _ status: AlertStatus) -> StoredAlert { InboxTests.stored(fp, status) }
        try await store.write { tx in try tx.save(alert("a", .firing)) }
        struct Boom: Error {}
        // A whole transaction that fails after saving: nothing of it stays, in the file or in memory.
        await #expect(throws: Boom.self) {
            try await store.write { tx in
                try tx.save(alert("a", .resolved))
                try tx.save(alert("b", .firing))
                throw Boom()
            }
        }
        // A savepoint that fails inside a transaction that commits.
        try await store.write { tx in
            try tx.save(alert("c", .firing))
            _ = try? tx.savepoint { () throws -> Void in
                try tx.save(alert("c", .resolved))
                try tx.save(alert("d", .firing))
                throw Boom()
            }
        }
        let (writer, reader) = (try await store.write { tx in (try tx.firingAlertCount(of: 1), try tx.alerts(of: 1).map(\.alert.fingerprint)) },
                                try await store.read { tx in (try tx.firingAlertCount(of: 1), try tx.alerts(of: 1).map(\.alert.fingerprint)) })
        #expect(writer.0 == 2)
        #expect(writer.1 == ["a", "c"])
        #expect(reader.0 == 2)
        #expect(reader.1 == ["a", "c"])
        let ca = try await store.write { tx in try tx.alert(of: 1, fingerprint: "c")?.alert.status }
        #expect(ca == .firing)
    }

    @Test func theOpenIncidentCacheFollowsSavesAndRollbacks() async throws {
        let db = TempDB()
        let store = try SQLiteStore(path: db.path)
        let t0 = self.t0
        var first = IncidentRecord(number: 1, key: "k", integration: "x", title: "t", severity: .p2, category: .other,
                                   team: "ml-platform", policy: nil, playbook: nil, openedAt: t0)
        let original = first
        try await store.write { tx in try tx.save(original) }
        first.title = "changed"
        struct Boom: Error {}
        let changed = first
        await #expect(throws: Boom.self) {
            try await store.write { tx in try tx.save(changed); throw Boom() }
        }
        #expect(try await store.write { tx in try tx.openIncident(key: "k")?.title } == "t")
        var resolved = first
        resolved.status = .resolved
        let r = resolved
        try await store.write { tx in try tx.save(r) }
        #expect(try await store.write { tx in try tx.openIncident(key: "k") } == nil)
        #expect(try await store.read { tx in try tx.openIncident(key: "k") } == nil)
    }
}

/// Log rows from the front on: what a reader scans at most for an incident's waiting records.
func logRowsFromFront(_ store: SQLiteStore) async throws -> Int {
    try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ingest_log WHERE id >= (SELECT id FROM log_front)")! }
}

/// Every alert record in the chunks, "fingerprint=status", in chunk order.
func movedAlerts(_ store: SQLiteStore) async throws -> [String] {
    try await store.pool.read { db in
        var out: [String] = []
        for blob in try Data.fetchAll(db, sql: "SELECT data FROM alert_chunks ORDER BY id") {
            try blob.withUnsafeBytes { b in try Chunks.alerts(b) { out.append("\($0.fingerprint)=\($0.firing ? "firing" : "resolved")") } }
        }
        return out
    }
}

/// A database as an earlier release left it: migrated up to `version`, with incident 1 (key
/// "k") open, and `fill`'s rows.
func earlierDatabase(upTo version: String, _ fill: @escaping @Sendable (Database) throws -> Void) async throws -> TempDB {
    let db = TempDB()
    let pool = try DatabasePool(path: db.path)
    try SQLiteStore.migrator.migrate(pool, upTo: version)
    try await pool.write { db in
        let incident = IncidentRecord(number: 1, key: "k", integration: "x", title: "t", severity: .p2, category: .other,
                                      team: "t", policy: nil, playbook: nil, openedAt: Date(timeIntervalSince1970: 0))
        try db.execute(sql: "INSERT INTO incidents (number, key, status, opened_at, body) VALUES (1, 'k', 'open', 0, ?)",
                       arguments: [String(decoding: try JSONEncoder().encode(incident), as: UTF8.self)])
        try fill(db)
    }
    return db
}

/// A database written by the previous release (schema v3) opens with everything in place.
struct MigrationV4Tests {
    @Test func aVersion3DatabaseKeepsItsAlertsTimelineAndOrder() async throws {
        let db = try await earlierDatabase(upTo: "v3: alerts by status") { db in
            // Inserted out of fingerprint order: the arrival (rowid) order must survive.
            for (fp, status) in [("z", "firing"), ("a", "resolved"), ("m", "firing")] {
                let body = StoredAlertJSON.encode(StoredAlert(incident: 1, alert: Alert(fingerprint: fp, status: AlertStatus(rawValue: status)!, summary: fp),
                                                              severity: .p2, receivedAt: Date(timeIntervalSince1970: 0)))
                try db.execute(sql: "INSERT INTO alerts (incident, fingerprint, status, received_at, body) VALUES (1, ?, ?, 0, ?)", arguments: [fp, status, body])
            }
            for m in ["first", "second"] {
                try db.execute(sql: "INSERT INTO timeline (incident, at, kind, actor, message) VALUES (1, 0, 'note', NULL, ?)", arguments: [m])
            }
        }
        let store = try SQLiteStore(path: db.path, inboxLimit: 1)
        let before = try await store.read { tx in (try tx.alerts(of: 1).map(\.alert.fingerprint), try tx.timeline(of: 1).map(\.message)) }
        #expect(before.0 == ["z", "a", "m"])
        #expect(before.1 == ["first", "second"])
        #expect(try await store.write { tx in try tx.firingAlertCount(of: 1) } == 2)
        let t = Date(timeIntervalSince1970: 10)
        try await store.write { tx in
            try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "b", status: .firing, summary: "b"), severity: .p2, receivedAt: t))
            try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "z", status: .resolved, summary: "z"), severity: .p2, receivedAt: t))
            try tx.append(TimelineEntry(incident: 1, at: t, kind: "note", actor: nil, message: "third"))
        }
        try await store.mergeInbox()
        let after = try await store.read { tx in (try tx.alerts(of: 1).map { "\($0.alert.fingerprint)=\($0.alert.status.rawValue)" }, try tx.timeline(of: 1).map(\.message)) }
        #expect(after.0 == ["z=resolved", "a=resolved", "m=firing", "b=firing"])
        #expect(after.1 == ["first", "second", "third"])
        #expect(try await store.write { tx in try tx.firingAlertCount(of: 1) } == 2)
    }
}

/// A database written by the previous release (schema v4, rows waiting in the inbox) opens with
/// every waiting row counted and moves them as this release does.
struct MigrationV5Tests {
    @Test func aVersion4InboxIsReadBackAndMoved() async throws {
        let db = try await earlierDatabase(upTo: "v4: inbox tables") { db in
            // One alert already moved by v4 (in `alerts`), a newer version of it and a new one waiting.
            for (table, fp, status, summary) in [("alerts", "a", "firing", "a1"), ("alert_inbox", "a", "resolved", "a2"), ("alert_inbox", "b", "firing", "b1")] {
                let body = StoredAlertJSON.encode(StoredAlert(incident: 1, alert: Alert(fingerprint: fp, status: AlertStatus(rawValue: status)!, summary: summary),
                                                              severity: .p2, receivedAt: Date(timeIntervalSince1970: 0)))
                try db.execute(sql: "INSERT INTO \(table) (incident, fingerprint, status, received_at, body) VALUES (1, ?, ?, 0, ?)", arguments: [fp, status, body])
            }
            try db.execute(sql: "INSERT INTO timeline (incident, at, kind, actor, message) VALUES (1, 0, 'note', NULL, 'first')")
            try db.execute(sql: "INSERT INTO timeline_inbox (incident, at, kind, actor, message) VALUES (1, 0, 'note', NULL, 'second')")
        }
        let store = try SQLiteStore(path: db.path, inboxLimit: 3, mergeChunk: 1)
        @Sendable func read(_ tx: any StoreTransaction) throws -> ([String], [String], Int) {
            (try tx.alerts(of: 1).map { "\($0.alert.fingerprint)=\($0.alert.summary)" }, try tx.timeline(of: 1).map(\.message), try tx.firingAlertCount(of: 1))
        }
        #expect(try await store.read(read) == (["a=a2", "b=b1"], ["first", "second"], 1))
        #expect(try await store.write(read) == (["a=a2", "b=b1"], ["first", "second"], 1))
        try await store.write { tx in
            try tx.append(TimelineEntry(incident: 1, at: Date(timeIntervalSince1970: 1), kind: "note", actor: nil, message: "third"))
        }
        // The alert v4 had moved became a chunk of its own (v6); what waited in the inbox, the next (v7).
        #expect(try await movedAlerts(store) == ["a=firing", "a=resolved", "b=firing"])
        #expect(try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alert_chunks") } == 2)
        #expect(try await store.read(read) == (["a=a2", "b=b1"], ["first", "second", "third"], 1))
    }
}
