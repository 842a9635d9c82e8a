import Foundation
import GRDB
import KlaxonCore
import KlaxonEngine

/// The embedded store: SQLite through GRDB, in WAL mode (a `DatabasePool`), with migrations.
public final class SQLiteStore: IncidentStore {
    let pool: DatabasePool
    let cache = DecodeCache()

    /// Opens (creating if needed) the database at `path` and migrates it.
    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // Every commit reaches the disk before it returns (WAL + FULL); group commits amortise it.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE incidents (
                    number INTEGER PRIMARY KEY,
                    key TEXT NOT NULL,
                    status TEXT NOT NULL,
                    opened_at REAL NOT NULL,
                    body TEXT NOT NULL
                );
                CREATE UNIQUE INDEX incidents_open_key ON incidents(key) WHERE status != 'resolved';
                CREATE INDEX incidents_status ON incidents(status, number);
                CREATE TABLE alerts (
                    incident INTEGER NOT NULL REFERENCES incidents(number),
                    fingerprint TEXT NOT NULL,
                    status TEXT NOT NULL,
                    received_at REAL NOT NULL,
                    body TEXT NOT NULL,
                    PRIMARY KEY (incident, fingerprint)
                );
                CREATE TABLE timeline (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    incident INTEGER NOT NULL REFERENCES incidents(number),
                    at REAL NOT NULL,
                    kind TEXT NOT NULL,
                    actor TEXT,
                    message TEXT NOT NULL
                );
                CREATE INDEX timeline_incident ON timeline(incident, id);
                CREATE TABLE timers (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    incident INTEGER NOT NULL REFERENCES incidents(number),
                    kind TEXT NOT NULL,
                    due_at REAL NOT NULL,
                    state TEXT NOT NULL,
                    detail TEXT
                );
                CREATE INDEX timers_pending ON timers(due_at) WHERE state = 'pending';
                CREATE INDEX timers_incident ON timers(incident);
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    incident INTEGER NOT NULL REFERENCES incidents(number),
                    state TEXT NOT NULL,
                    next_attempt_at REAL NOT NULL,
                    body TEXT NOT NULL
                );
                CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state IN ('pending', 'sending');
                CREATE INDEX outbox_incident ON outbox(incident);
                """)
        }
        m.registerMigration("v2: timers.fired_at") { db in
            try db.execute(sql: "ALTER TABLE timers ADD COLUMN fired_at REAL")
        }
        m.registerMigration("v3: alerts by status") { db in
            try db.execute(sql: "CREATE INDEX alerts_firing ON alerts(incident, status)")
        }
        return m
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await pool.write { db in try body(SQLiteTransaction(db: db, cache: self.cache)) }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await pool.read { db in try body(SQLiteTransaction(db: db, cache: self.cache)) }
    }

    public func nextTimerDue() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(due_at) FROM timers WHERE state = 'pending'").map { Date(timeIntervalSince1970: $0) }
        }
    }

    public func nextOutboxDue() async throws -> Date? {
        try await pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM outbox WHERE state IN ('pending', 'sending')").map { Date(timeIntervalSince1970: $0) }
        }
    }

    public func claimOutbox(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxMessage] {
        try await pool.write { db in
            let tx = SQLiteTransaction(db: db, cache: self.cache)
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, body FROM outbox WHERE state IN ('pending', 'sending') AND next_attempt_at <= ?
                ORDER BY next_attempt_at, id LIMIT ?
                """, arguments: [now.timeIntervalSince1970, limit])
            var out: [OutboxMessage] = []
            for row in rows {
                var m = try tx.decodeOutbox(row)
                m.state = .sending
                m.nextAttemptAt = now.addingTimeInterval(lease)
                try tx.save(m)
                out.append(m)
            }
            return out
        }
    }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}

private let encoder: JSONEncoder = {
    let e = JSONEncoder()
    e.dateEncodingStrategy = .secondsSince1970
    e.outputFormatting = [.sortedKeys]
    return e
}()
private let decoder: JSONDecoder = {
    let d = JSONDecoder()
    d.dateDecodingStrategy = .secondsSince1970
    return d
}()

/// Decoded incidents by their stored JSON: the same text always decodes to the same record, and
/// the ingest path reads the open incident on every alert.
final class DecodeCache: @unchecked Sendable {
    private let lock = NSLock()
    private var incidents: [String: IncidentRecord] = [:]

    func incident(_ body: String, _ decode: (String) throws -> IncidentRecord) rethrows -> IncidentRecord {
        lock.lock()
        if let hit = incidents[body] { lock.unlock(); return hit }
        lock.unlock()
        let record = try decode(body)
        lock.lock()
        if incidents.count >= 4096 { incidents.removeAll(keepingCapacity: true) }
        incidents[body] = record
        lock.unlock()
        return record
    }
}

/// `StoreTransaction` over one GRDB database access. Hot statements are prepared once per
/// connection (GRDB's statement cache).
struct SQLiteTransaction: StoreTransaction {
    let db: Database
    let cache: DecodeCache

    func incidentRecord(_ body: String) throws -> IncidentRecord {
        try cache.incident(body) { try decode(IncidentRecord.self, $0) }
    }

    func json<T: Encodable>(_ v: T) throws -> String { String(decoding: try encoder.encode(v), as: UTF8.self) }
    func decode<T: Decodable>(_ t: T.Type, _ s: String) throws -> T { try decoder.decode(t, from: Data(s.utf8)) }

    func nextIncidentNumber() throws -> Int {
        (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM incidents") ?? 0) + 1
    }

    func openIncident(key: String) throws -> IncidentRecord? {
        try String.fetchOne(try db.cachedStatement(sql: "SELECT body FROM incidents WHERE key = ? AND status != 'resolved'"), arguments: [key])
            .map(incidentRecord)
    }

    func incident(_ number: Int) throws -> IncidentRecord? {
        try String.fetchOne(try db.cachedStatement(sql: "SELECT body FROM incidents WHERE number = ?"), arguments: [number]).map(incidentRecord)
    }

    func save(_ incident: IncidentRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO incidents (number, key, status, opened_at, body) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(number) DO UPDATE SET key = excluded.key, status = excluded.status, body = excluded.body
            """).execute(arguments: [incident.number, incident.key, incident.status.rawValue, incident.openedAt.timeIntervalSince1970, try json(incident)])
    }

    func incidents(statuses: [IncidentStatus]?, limit: Int) throws -> [IncidentRecord] {
        let sql: String
        var args: StatementArguments = []
        if let statuses {
            sql = "SELECT body FROM incidents WHERE status IN (\(statuses.map { _ in "?" }.joined(separator: ","))) ORDER BY number DESC LIMIT ?"
            args = StatementArguments(statuses.map(\.rawValue))
        } else {
            sql = "SELECT body FROM incidents ORDER BY number DESC LIMIT ?"
        }
        args += [limit]
        return try String.fetchAll(db, sql: sql, arguments: args).map(incidentRecord)
    }

    func alerts(of incident: Int) throws -> [StoredAlert] {
        try String.fetchAll(db, sql: "SELECT body FROM alerts WHERE incident = ? ORDER BY rowid", arguments: [incident])
            .map { try decode(StoredAlert.self, $0) }
    }

    func alert(of incident: Int, fingerprint: String) throws -> StoredAlert? {
        try String.fetchOne(try db.cachedStatement(sql: "SELECT body FROM alerts WHERE incident = ? AND fingerprint = ?"), arguments: [incident, fingerprint])
            .map { try decode(StoredAlert.self, $0) }
    }

    func firingAlertCount(of incident: Int) throws -> Int {
        try Int.fetchOne(try db.cachedStatement(sql: "SELECT COUNT(*) FROM alerts INDEXED BY alerts_firing WHERE incident = ? AND status = 'firing'"), arguments: [incident]) ?? 0
    }

    func savepoint<T>(_ body: () throws -> T) throws -> T {
        var result: T?
        try db.inSavepoint {
            result = try body()
            return .commit
        }
        return result!
    }

    func save(_ alert: StoredAlert) throws {
        try db.cachedStatement(sql: """
            INSERT INTO alerts (incident, fingerprint, status, received_at, body) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(incident, fingerprint) DO UPDATE SET status = excluded.status, received_at = excluded.received_at, body = excluded.body
            """).execute(arguments: [alert.incident, alert.alert.fingerprint, alert.alert.status.rawValue, alert.receivedAt.timeIntervalSince1970, StoredAlertJSON.encode(alert)])
    }

    func append(_ e: TimelineEntry) throws {
        try db.cachedStatement(sql: "INSERT INTO timeline (incident, at, kind, actor, message) VALUES (?, ?, ?, ?, ?)").execute(
                       arguments: [e.incident, e.at.timeIntervalSince1970, e.kind, e.actor, e.message])
    }

    func timeline(of incident: Int) throws -> [TimelineEntry] {
        try Row.fetchAll(db, sql: "SELECT at, kind, actor, message FROM timeline WHERE incident = ? ORDER BY id", arguments: [incident]).map { r in
            TimelineEntry(incident: incident, at: Date(timeIntervalSince1970: r["at"]), kind: r["kind"], actor: r["actor"], message: r["message"])
        }
    }

    func schedule(_ t: TimerRecord) throws -> Int64 {
        try db.execute(sql: "INSERT INTO timers (incident, kind, due_at, state, detail) VALUES (?, ?, ?, ?, ?)",
                       arguments: [t.incident, t.kind.rawValue, t.dueAt.timeIntervalSince1970, t.state.rawValue, t.detail])
        return db.lastInsertedRowID
    }

    func cancelTimers(incident: Int, kind: TimerKind?) throws {
        if let kind {
            try db.execute(sql: "UPDATE timers SET state = 'cancelled' WHERE incident = ? AND kind = ? AND state = 'pending'", arguments: [incident, kind.rawValue])
        } else {
            try db.execute(sql: "UPDATE timers SET state = 'cancelled' WHERE incident = ? AND state = 'pending'", arguments: [incident])
        }
    }

    private func decodeTimer(_ r: Row) -> TimerRecord {
        TimerRecord(id: r["id"], incident: r["incident"], kind: TimerKind(rawValue: r["kind"]) ?? .escalation,
                    dueAt: Date(timeIntervalSince1970: r["due_at"]), state: TimerState(rawValue: r["state"]) ?? .pending, detail: r["detail"],
                    firedAt: (r["fired_at"] as Double?).map { Date(timeIntervalSince1970: $0) })
    }

    func timers(of incident: Int) throws -> [TimerRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM timers WHERE incident = ? ORDER BY id", arguments: [incident]).map(decodeTimer)
    }

    func dueTimers(at: Date, limit: Int) throws -> [TimerRecord] {
        try Row.fetchAll(db, sql: "SELECT * FROM timers WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?",
                         arguments: [at.timeIntervalSince1970, limit]).map(decodeTimer)
    }

    func timer(_ id: Int64) throws -> TimerRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM timers WHERE id = ?", arguments: [id]).map(decodeTimer)
    }

    func markTimer(_ id: Int64, state: TimerState, at: Date?) throws {
        try db.execute(sql: "UPDATE timers SET state = ?, fired_at = ? WHERE id = ?", arguments: [state.rawValue, at?.timeIntervalSince1970, id])
    }

    func enqueue(_ m: OutboxMessage) throws -> Int64 {
        try db.execute(sql: "INSERT INTO outbox (incident, state, next_attempt_at, body) VALUES (?, ?, ?, '{}')",
                       arguments: [m.incident, m.state.rawValue, m.nextAttemptAt.timeIntervalSince1970])
        let id = db.lastInsertedRowID
        var stored = m
        stored.id = id
        try save(stored)
        return id
    }

    func decodeOutbox(_ r: Row) throws -> OutboxMessage {
        var m = try decode(OutboxMessage.self, r["body"])
        m.id = r["id"]
        return m
    }

    func outbox(of incident: Int) throws -> [OutboxMessage] {
        try Row.fetchAll(db, sql: "SELECT id, body FROM outbox WHERE incident = ? ORDER BY id", arguments: [incident]).map(decodeOutbox)
    }

    func outboxMessage(_ id: Int64) throws -> OutboxMessage? {
        try Row.fetchOne(db, sql: "SELECT id, body FROM outbox WHERE id = ?", arguments: [id]).map(decodeOutbox)
    }

    func save(_ m: OutboxMessage) throws {
        guard let id = m.id else { return }
        try db.execute(sql: "UPDATE outbox SET state = ?, next_attempt_at = ?, body = ? WHERE id = ?",
                       arguments: [m.state.rawValue, m.nextAttemptAt.timeIntervalSince1970, try json(m), id])
    }
}
