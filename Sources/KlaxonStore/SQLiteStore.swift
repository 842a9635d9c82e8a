import Foundation
import GRDB
import GRDBSQLite
import KlaxonCore
import KlaxonEngine
import Logging

/// The embedded store: SQLite through GRDB, in WAL mode (a `DatabasePool`), with migrations.
public final class SQLiteStore: IncidentStore {
    let pool: DatabasePool
    let cache = DecodeCache()
    /// What only write transactions touch (GRDB runs one at a time): see `WriterState`.
    let writer: WriterState
    /// The write-ahead log, synced by `makeDurable`.
    let walPath: String
    /// Copies the log into the database file, mostly off the writer's thread.
    let checkpointer: Checkpointer
    /// Why the store takes no more writes (a sync failed), once it happened: see `StoreUnavailable`.
    private let lost = Locked<String?>(nil)
    /// Tests: the errno the next syncs fail with, as if `fdatasync` had.
    let failSyncs = Locked<Int32?>(nil)
    private let logger = Logger(label: "klaxon.store")

    /// Opens (creating if needed) the database at `path` and migrates it. `inboxLimit`: how many
    /// alert and timeline records wait in the ingest log before they are filed into their
    /// incidents' chunks; `mergeChunk`: how many records one transaction files at most (at least
    /// one incident's); `movedLimit`: how many filed alerts the writer keeps track of (tests
    /// make it small).
    /// `checkpoints`: when the log is copied into the database file (see `Checkpointer`).
    public convenience init(path: String, inboxLimit: Int = 4096, mergeChunk: Int = 512, movedLimit: Int = 262_144) throws {
        try self.init(path: path, inboxLimit: inboxLimit, mergeChunk: mergeChunk, movedLimit: movedLimit, checkpoints: .init())
    }

    init(path: String, inboxLimit: Int = 4096, mergeChunk: Int = 512, movedLimit: Int = 262_144,
         checkpoints: Checkpointer.Thresholds) throws {
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // Sorts and statement journals in memory, never in temporary files.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        pool = try DatabasePool(path: path, configuration: config)
        let checkpointer = Checkpointer(path: path, thresholds: checkpoints, logger: logger)
        self.checkpointer = checkpointer
        // Durability: `write` (people's actions, timers, delivery) syncs the WAL before it
        // returns; `writeBlocking` (group commits) leaves that to `makeDurable`, which the group
        // committer calls once for every batch committed meanwhile, on a thread of its own, so
        // the next batch runs while the disk syncs. The writer therefore commits with
        // synchronous = NORMAL (WAL appended, not synced; SQLite still syncs the WAL before each
        // checkpoint). Set after the pool opens: DatabasePool turns on WAL mode after
        // `prepareDatabase` ran and sets synchronous = NORMAL with it; this says it on purpose.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // 16 MiB of page cache for the writer (readers keep SQLite's 2 MiB): inbox moves
            // touch index pages of many incidents. 32 MiB gave the same ingest rate and cost
            // 13 MiB more in the escalation bench.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            // The log is copied into the database file by the checkpointer (mostly in the
            // background), not by SQLite inside the COMMIT that takes it past 1,000 pages.
            if let connection = db.sqliteConnection { checkpointer.install(on: connection) }
        }
        walPath = path + "-wal"
        writer = WriterState(inboxLimit: inboxLimit, mergeChunk: mergeChunk, movedLimit: movedLimit)
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
        m.registerMigration("v4: inbox tables") { db in
            // New alert versions and timeline rows land in the inbox tables first: append-only,
            // nothing keyed by incident, so a commit of alerts for many incidents writes a few
            // sequential pages instead of a page per index per incident. They move to `alerts`
            // and `timeline` in bulk (see `WriterState`). The count of firing alerts per
            // incident is kept by the writer, so `alerts_firing` goes.
            try db.execute(sql: """
                DROP INDEX alerts_firing;
                CREATE TABLE alert_inbox (
                    seq INTEGER PRIMARY KEY,
                    incident INTEGER NOT NULL REFERENCES incidents(number),
                    fingerprint TEXT NOT NULL,
                    status TEXT NOT NULL,
                    received_at REAL NOT NULL,
                    body TEXT NOT NULL
                );
                CREATE TABLE timeline_inbox (
                    id INTEGER PRIMARY KEY,
                    incident INTEGER NOT NULL REFERENCES incidents(number),
                    at REAL NOT NULL,
                    kind TEXT NOT NULL,
                    actor TEXT,
                    message TEXT NOT NULL
                );
                """)
        }
        m.registerMigration("v5: inbox moves by incident") { db in
            // The inbox moves one incident's rows at a time and deletes moved rows later, from
            // the front (see `WriterState`): until then this says which rows already moved.
            try db.execute(sql: """
                CREATE TABLE inbox_merged (
                    incident INTEGER PRIMARY KEY,
                    alerts_through INTEGER NOT NULL DEFAULT 0,
                    timeline_through INTEGER NOT NULL DEFAULT 0
                );
                """)
        }
        m.registerMigration("v6: alert and timeline chunks") { db in
            // Moved alerts and timeline entries are kept many to a row (see `Chunks`): a move
            // out of the inbox writes one row and one index entry per incident, not one per
            // record. What earlier releases moved becomes chunks here, in the same order.
            try db.execute(sql: """
                CREATE TABLE alert_chunks (
                    id INTEGER PRIMARY KEY,
                    incident INTEGER NOT NULL REFERENCES incidents(number),
                    data BLOB NOT NULL
                );
                CREATE INDEX alert_chunks_incident ON alert_chunks(incident, id);
                CREATE TABLE timeline_chunks (
                    id INTEGER PRIMARY KEY,
                    incident INTEGER NOT NULL REFERENCES incidents(number),
                    data BLOB NOT NULL
                );
                CREATE INDEX timeline_chunks_incident ON timeline_chunks(incident, id);
                """)
            var records: [Int: Chunks.Writer] = [:]
            func flush(_ table: String, _ incident: Int) throws {
                guard let chunk = records.removeValue(forKey: incident), chunk.count > 0 else { return }
                try run(db, "INSERT INTO \(table) (incident, data) VALUES (?, ?)") { h in
                    sqlite3_bind_int64(h, 1, Int64(incident))
                    bindBlob(h, 2, chunk.bytes)
                }
            }
            // One incident at a time (its primary key leads with it), each in arrival order: no
            // sort of the whole table.
            for incident in try Int.fetchAll(db, sql: "SELECT DISTINCT incident FROM alerts ORDER BY incident") {
                try rows(db, "SELECT fingerprint, status, body FROM alerts WHERE incident = ? ORDER BY rowid", { h in sqlite3_bind_int64(h, 1, Int64(incident)) }) { h in
                    if records[incident]?.count ?? 0 >= Chunks.alertsPerChunk { try flush("alert_chunks", incident) }
                    records[incident, default: Chunks.Writer(format: Chunks.inlineFormat)].alert(
                        fingerprint: columnText(h, 0) ?? "", firing: columnText(h, 1) == AlertStatus.firing.rawValue, body: columnText(h, 2) ?? "")
                }
                try flush("alert_chunks", incident)
            }
            // `timeline_incident` is in this order already.
            var last: Int?
            try rows(db, "SELECT incident, at, kind, actor, message FROM timeline ORDER BY incident, id", { _ in }) { h in
                let incident = Int(sqlite3_column_int64(h, 0))
                if let l = last, l != incident || records[l]!.count >= Chunks.entriesPerChunk { try flush("timeline_chunks", l) }
                last = incident
                records[incident, default: Chunks.Writer(format: Chunks.inlineFormat)].entry(Chunks.TimelineRecord(
                    at: sqlite3_column_double(h, 1), kind: columnText(h, 2) ?? "", actor: columnText(h, 3), message: columnText(h, 4) ?? ""))
            }
            if let l = last { try flush("timeline_chunks", l) }
            try db.execute(sql: "DROP TABLE alerts; DROP TABLE timeline")
        }
        m.registerMigration("v7: ingest log") { db in
            // New alert versions and timeline entries go to the ingest log, one row per write
            // transaction, and are filed into the chunks as refs (see `IngestLog`, `WriterState`).
            // What waited in the inbox tables becomes chunks of the records themselves (format 1),
            // after each incident's chunks, in the same order; the inbox tables go.
            try db.execute(sql: """
                CREATE TABLE ingest_log (
                    id INTEGER PRIMARY KEY,
                    data BLOB NOT NULL
                );
                CREATE TABLE log_filed (
                    incident INTEGER PRIMARY KEY,
                    through INTEGER NOT NULL
                );
                CREATE TABLE log_front (id INTEGER NOT NULL);
                INSERT INTO log_front (id) VALUES (0);
                """)
            var marks: [Int: (alerts: Int64, timeline: Int64)] = [:]
            try rows(db, "SELECT incident, alerts_through, timeline_through FROM inbox_merged", { _ in }) { h in
                marks[Int(sqlite3_column_int64(h, 0))] = (sqlite3_column_int64(h, 1), sqlite3_column_int64(h, 2))
            }
            func insert(_ table: String, _ incident: Int, _ chunk: Chunks.Writer) throws {
                guard chunk.count > 0 else { return }
                try run(db, "INSERT INTO \(table) (incident, data) VALUES (?, ?)") { h in
                    sqlite3_bind_int64(h, 1, Int64(incident))
                    bindBlob(h, 2, chunk.bytes)
                }
            }
            for incident in try Int.fetchAll(db, sql: "SELECT DISTINCT incident FROM alert_inbox ORDER BY incident") {
                // Each waiting alert once (its latest row), where it first came.
                var order: [String] = []
                var latest: [String: (Bool, String)] = [:]
                try rows(db, "SELECT fingerprint, status, body FROM alert_inbox WHERE incident = ? AND seq > ? ORDER BY seq", { h in
                    sqlite3_bind_int64(h, 1, Int64(incident)); sqlite3_bind_int64(h, 2, marks[incident]?.alerts ?? 0)
                }) { h in
                    let fp = columnText(h, 0) ?? ""
                    if latest[fp] == nil { order.append(fp) }
                    latest[fp] = (columnText(h, 1) == AlertStatus.firing.rawValue, columnText(h, 2) ?? "")
                }
                var chunk = Chunks.Writer(format: Chunks.inlineFormat)
                for fp in order {
                    chunk.alert(fingerprint: fp, firing: latest[fp]!.0, body: latest[fp]!.1)
                    if chunk.count >= Chunks.alertsPerChunk { try insert("alert_chunks", incident, chunk); chunk = Chunks.Writer(format: Chunks.inlineFormat) }
                }
                try insert("alert_chunks", incident, chunk)
            }
            for incident in try Int.fetchAll(db, sql: "SELECT DISTINCT incident FROM timeline_inbox ORDER BY incident") {
                var chunk = Chunks.Writer(format: Chunks.inlineFormat)
                try rows(db, "SELECT at, kind, actor, message FROM timeline_inbox WHERE incident = ? AND id > ? ORDER BY id", { h in
                    sqlite3_bind_int64(h, 1, Int64(incident)); sqlite3_bind_int64(h, 2, marks[incident]?.timeline ?? 0)
                }) { h in
                    chunk.entry(Chunks.TimelineRecord(at: sqlite3_column_double(h, 0), kind: columnText(h, 1) ?? "", actor: columnText(h, 2), message: columnText(h, 3) ?? ""))
                    if chunk.count >= Chunks.entriesPerChunk { try insert("timeline_chunks", incident, chunk); chunk = Chunks.Writer(format: Chunks.inlineFormat) }
                }
                try insert("timeline_chunks", incident, chunk)
            }
            try db.execute(sql: "DROP TABLE alert_inbox; DROP TABLE timeline_inbox; DROP TABLE inbox_merged")
        }
        return m
    }

    public func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try checkDurable()
        let result: T
        do {
            result = try await pool.write { db in
                try self.writer.maintain(db)
                let result = try body(SQLiteTransaction(db: db, cache: self.cache, writer: self.writer))
                try self.writer.flush(db)
                return result
            }
        } catch {
            writer.rolledBack()
            throw error
        }
        // On disk before the caller hears back (off the Swift concurrency pool: it blocks).
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            syncQueue.async { c.resume(with: Result { try self.makeDurable() }) }
        }
        return result
    }

    public func makeDurable() throws {
        try checkDurable()
        let fd = open(walPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw DatabaseError(resultCode: .SQLITE_IOERR, message: "cannot open \(walPath) to sync it: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var failed: Int32?
        if let injected = failSyncs.withLock({ $0 }) { failed = injected } else if fdatasync(fd) != 0 { failed = errno }
        if let failed {
            let reason = "fdatasync of \(walPath) failed (\(String(cString: strerror(failed))))"
            let first = lost.withLock { (lost: inout String?) -> Bool in
                guard lost == nil else { return false }
                lost = reason
                return true
            }
            if first { logger.critical("the store takes no more writes: restart Klaxon once the disk is fixed", metadata: ["reason": "\(reason)"]) }
            throw StoreUnavailable(reason: reason)
        }
    }

    /// Throws once a sync failed: nothing more is written.
    private func checkDurable() throws {
        if let reason = lost.withLock({ $0 }) { throw StoreUnavailable(reason: reason) }
    }

    public func writeBlocking<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        try checkDurable()
        do {
            return try withoutActuallyEscaping(body) { body in
                var result: T?
                try pool.writeWithoutTransaction { db in
                    // BEGIN and COMMIT as cached statements: GRDB's `inTransaction` compiles them
                    // anew every time, which was a tenth of the writer's time under `make bench`.
                    try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
                    do {
                        try self.writer.maintain(db)
                        result = try body(SQLiteTransaction(db: db, cache: self.cache, writer: self.writer))
                        try self.writer.flush(db)
                        try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                    } catch {
                        if db.isInsideTransaction { try? db.rollback() }
                        throw error
                    }
                }
                return result!
            }
        } catch {
            writer.rolledBack()
            throw error
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await pool.read { db in try body(SQLiteTransaction(db: db, cache: self.cache, writer: nil)) }
    }

    /// Files every record waiting in the log into its incident's chunks now (tests; the writer
    /// does it on its own).
    public func mergeInbox() async throws {
        do {
            try await pool.write { db in try self.writer.fileAll(db) }
        } catch {
            writer.rolledBack()
            throw error
        }
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
        do {
            return try await claimOutboxOnce(now: now, limit: limit, lease: lease)
        } catch {
            writer.rolledBack()
            throw error
        }
    }

    private func claimOutboxOnce(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxMessage] {
        try await pool.write { db in
            try self.writer.maintain(db)
            let tx = SQLiteTransaction(db: db, cache: self.cache, writer: self.writer)
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
            try self.writer.flush(db)
            return out
        }
    }

    public func ping() async throws {
        try checkDurable()
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}

/// Where `write` waits for the disk.
private let syncQueue = DispatchQueue(label: "klaxon.store.sync", attributes: .concurrent)

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

let SQLITE_TRANSIENT = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// Runs a cached statement that returns no rows, binding through `bind`, through SQLite's C
/// interface (GRDB's argument arrays cost more than the statement on the ingest path).
func run(_ db: Database, _ sql: String, _ bind: (OpaquePointer) -> Void) throws {
    let h = try db.cachedStatement(sql: sql).sqliteStatement
    sqlite3_reset(h)
    bind(h)
    let rc = sqlite3_step(h)
    sqlite3_reset(h)
    guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
        throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
    }
}

/// Steps a cached statement, handing each row to `row`.
func rows(_ db: Database, _ sql: String, _ bind: (OpaquePointer) -> Void, _ row: (OpaquePointer) throws -> Void) throws {
    let h = try db.cachedStatement(sql: sql).sqliteStatement
    sqlite3_reset(h)
    bind(h)
    defer { sqlite3_reset(h) }
    while true {
        switch sqlite3_step(h) {
        case SQLITE_ROW: try row(h)
        case SQLITE_DONE: return
        case let rc:
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
    }
}

func columnText(_ h: OpaquePointer, _ i: Int32) -> String? {
    guard let p = sqlite3_column_text(h, i) else { return nil }
    return String(cString: p)
}

func bindText(_ h: OpaquePointer, _ i: Int32, _ s: String) {
    var s = s
    s.withUTF8 { u in
        if let base = u.baseAddress, u.count > 0 {
            _ = sqlite3_bind_text(h, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(u.count), SQLITE_TRANSIENT)
        } else {
            _ = sqlite3_bind_text(h, i, "", 0, SQLITE_TRANSIENT)
        }
    }
}

/// `StoreTransaction` over one GRDB database access. Hot statements are prepared once per
/// connection (GRDB's statement cache).
struct SQLiteTransaction: StoreTransaction {
    let db: Database
    let cache: DecodeCache
    /// Set in write transactions only.
    let writer: WriterState?

    func incidentRecord(_ body: String) throws -> IncidentRecord {
        try cache.incident(body) { try decode(IncidentRecord.self, $0) }
    }

    func json<T: Encodable>(_ v: T) throws -> String { String(decoding: try encoder.encode(v), as: UTF8.self) }
    func decode<T: Decodable>(_ t: T.Type, _ s: String) throws -> T { try decoder.decode(t, from: Data(s.utf8)) }

    func nextIncidentNumber() throws -> Int {
        (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM incidents") ?? 0) + 1
    }

    func openIncident(key: String) throws -> IncidentRecord? {
        if let hit = writer?.openByKey[key] { return hit }
        var body: String?
        try rows(db, "SELECT body FROM incidents WHERE key = ? AND status != 'resolved'", { h in bindText(h, 1, key) }) { h in body = columnText(h, 0) }
        let found = try body.map(incidentRecord)
        if let found { writer?.incidentSaved(found) }
        return found
    }

    func incident(_ number: Int) throws -> IncidentRecord? {
        try String.fetchOne(try db.cachedStatement(sql: "SELECT body FROM incidents WHERE number = ?"), arguments: [number]).map(incidentRecord)
    }

    func save(_ incident: IncidentRecord) throws {
        try db.cachedStatement(sql: """
            INSERT INTO incidents (number, key, status, opened_at, body) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(number) DO UPDATE SET key = excluded.key, status = excluded.status, body = excluded.body
            """).execute(arguments: [incident.number, incident.key, incident.status.rawValue, incident.openedAt.timeIntervalSince1970, try json(incident)])
        writer?.incidentSaved(incident)
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

    /// The incident's records still waiting in the log (not filed into its chunks), in order:
    /// the log from the front, or from past the last row filed for it if that is later.
    private func waitingInLog(of incident: Int, _ each: (IngestLog.Scanned) throws -> Void) throws {
        var from: Int64 = 0
        try rows(db, "SELECT MAX(IFNULL((SELECT id FROM log_front), 0) - 1, IFNULL((SELECT through FROM log_filed WHERE incident = ?1), 0))",
                 { h in sqlite3_bind_int64(h, 1, Int64(incident)) }) { h in from = sqlite3_column_int64(h, 0) }
        try rows(db, "SELECT id, data FROM ingest_log WHERE id > ? ORDER BY id", { h in sqlite3_bind_int64(h, 1, from) }) { h in
            try IngestLog.records(columnBlob(h, 1), log: sqlite3_column_int64(h, 0)) { r in
                if r.incident == incident { try each(r) }
            }
        }
    }

    func alerts(of incident: Int) throws -> [StoredAlert] {
        // In arrival order, each replaced in place by its later versions: the chunks, then the
        // log's waiting records.
        var bodies: [String] = []
        var position: [String: Int] = [:]
        func add(_ fingerprint: String, _ body: String) {
            if let i = position[fingerprint] { bodies[i] = body } else { position[fingerprint] = bodies.count; bodies.append(body) }
        }
        let blobs = writer?.blobs(db) ?? LogBlobs(db)
        defer { blobs.close() }
        try rows(db, "SELECT data FROM alert_chunks WHERE incident = ? ORDER BY id", { h in sqlite3_bind_int64(h, 1, Int64(incident)) }) { h in
            try Chunks.alerts(columnBlob(h, 0)) { a in
                switch a.body {
                case .inline(let body): add(a.fingerprint, body)
                case .log(let ref):
                    let record = try blobs.alert(ref)
                    guard record.fingerprint == a.fingerprint else { throw Chunks.corrupt("alert") }
                    add(a.fingerprint, record.body)
                }
            }
        }
        if let refs = writer?.waitingAlerts(of: incident) {
            // The writer knows where they are: no scan of the log.
            for ref in refs {
                let record = try blobs.alert(ref)
                add(record.fingerprint, record.body)
            }
        } else {
            try waitingInLog(of: incident) { r in
                if r.isAlert {
                    let record = try IngestLog.alert(r.bytes)
                    add(record.fingerprint, record.body)
                }
            }
        }
        return try bodies.map { try decode(StoredAlert.self, $0) }
    }

    func alert(of incident: Int, fingerprint: String) throws -> StoredAlert? {
        var body: String?
        // Made only when a record is read: the ingest path looks up every alert it gets, and a
        // new one reads nothing.
        var opened: LogBlobs?
        defer { opened?.close() }
        func blobs() -> LogBlobs {
            if let opened { return opened }
            let made = writer?.blobs(db) ?? LogBlobs(db)
            opened = made
            return made
        }
        func resolve(_ record: Chunks.AlertRecord?) throws -> String? {
            switch record?.body {
            case nil: return nil
            case .inline(let body)?: return body
            case .log(let ref)?:
                let found = try blobs().alert(ref)
                guard found.fingerprint == fingerprint else { throw Chunks.corrupt("alert") }
                return found.body
            }
        }
        if let writer {
            // The writer knows where its latest version is: one record read, or none for a new alert.
            let key = WriterState.FingerprintKey(fingerprint)
            if let ref = writer.waitingRef(incident: incident, fingerprint: key) {
                body = try blobs().alert(ref).body
            } else if let at = try writer.movedAlert(db, incident: incident, fingerprint: key) {
                var record: Chunks.AlertRecord?
                try rows(db, "SELECT data FROM alert_chunks WHERE id = ?", { h in sqlite3_bind_int64(h, 1, at.chunk) }) { h in
                    record = try Chunks.alert(columnBlob(h, 0), fingerprint: fingerprint)
                }
                guard record != nil else { throw Chunks.corrupt("alert") }
                body = try resolve(record)
            } else {
                writer.lookedUpNothing(incident: incident, fingerprint: key)
            }
        } else {
            try waitingInLog(of: incident) { r in
                if r.isAlert {
                    let record = try IngestLog.alert(r.bytes)
                    if record.fingerprint == fingerprint { body = record.body }
                }
            }
            if body == nil {
                // The newest chunk that has it.
                var record: Chunks.AlertRecord?
                try rows(db, "SELECT data FROM alert_chunks WHERE incident = ? ORDER BY id DESC", { h in sqlite3_bind_int64(h, 1, Int64(incident)) }) { h in
                    if record == nil { record = try Chunks.alert(columnBlob(h, 0), fingerprint: fingerprint) }
                }
                body = try resolve(record)
            }
        }
        return try body.map { try decode(StoredAlert.self, $0) }
    }

    func firingAlertCount(of incident: Int) throws -> Int {
        if let writer { return try writer.firingCount(db, of: incident) }
        return try alerts(of: incident).filter { $0.alert.status == .firing }.count
    }

    func savepoint<T>(_ body: () throws -> T) throws -> T {
        // The log row of what came before is written first, and the savepoint's own before it
        // ends, so a rollback undoes exactly the savepoint's records.
        try writer?.flush(db)
        var result: T?
        do {
            try db.inSavepoint {
                result = try body()
                try writer?.flush(db)
                return .commit
            }
        } catch {
            // The transaction goes on without the savepoint's changes: so must the memory.
            try writer?.reload(db)
            throw error
        }
        return result!
    }

    func save(_ alert: StoredAlert, alertObject: [UInt8]?) throws {
        try save(alert.alert, incident: alert.incident, severity: alert.severity, receivedAt: alert.receivedAt, alertObject: alertObject)
    }

    func save(_ alert: Alert, incident: Int, severity: Severity, receivedAt: Date, alertObject: [UInt8]?) throws {
        guard let writer else { throw DatabaseError(resultCode: .SQLITE_READONLY, message: "alerts are saved in write transactions only") }
        // Made here only when not given: a closure that reads `alert` would copy it.
        let object = alertObject ?? StoredAlertJSON.alertObject(alert)
        try writer.save(db, incident: incident, fingerprint: alert.fingerprint, firing: alert.status == .firing) { bytes in
            StoredAlertJSON.write(incident: incident, severity: severity, receivedAt: receivedAt, alertObject: object, into: &bytes)
        }
    }

    func append(_ e: TimelineEntry) throws {
        guard let writer else { throw DatabaseError(resultCode: .SQLITE_READONLY, message: "timeline entries are written in write transactions only") }
        writer.append(e)
    }

    func appendAlertEntry(incident: Int, at: Date, actor: String, status: AlertStatus, summary: String,
                          wasFiring: Bool, acknowledged: Bool) throws {
        guard let writer else { throw DatabaseError(resultCode: .SQLITE_READONLY, message: "timeline entries are written in write transactions only") }
        let parts = IncidentService.alertEntryParts(status: status, wasFiring: wasFiring, acknowledged: acknowledged)
        writer.appendEntry(incident: incident, at: at.timeIntervalSince1970, kind: parts.kind, actor: actor,
                           message: parts.prefix, summary, parts.suffix)
    }

    func timeline(of incident: Int) throws -> [TimelineEntry] {
        // Everything in the chunks is older than everything still waiting in the log.
        var out: [TimelineEntry] = []
        func add(_ e: Chunks.TimelineRecord) {
            out.append(TimelineEntry(incident: incident, at: Date(timeIntervalSince1970: e.at), kind: e.kind, actor: e.actor, message: e.message))
        }
        let blobs = writer?.blobs(db) ?? LogBlobs(db)
        defer { blobs.close() }
        try rows(db, "SELECT data FROM timeline_chunks WHERE incident = ? ORDER BY id", { h in sqlite3_bind_int64(h, 1, Int64(incident)) }) { h in
            try Chunks.entries(columnBlob(h, 0)) { item in
                switch item {
                case .inline(let e): add(e)
                case .log(let ref): add(try blobs.entry(ref))
                }
            }
        }
        if let refs = writer?.waitingTimeline(of: incident) {
            // The writer knows where they are: no scan of the log.
            for ref in refs { add(try blobs.entry(ref)) }
        } else {
            try waitingInLog(of: incident) { r in
                if !r.isAlert { add(try IngestLog.entry(r.bytes)) }
            }
        }
        return out
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
