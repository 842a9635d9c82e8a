import Foundation
import GRDBSQLite
import Logging

/// Keeps the write-ahead log short without stopping the writer for it.
///
/// SQLite's own automatic checkpoint runs inside the COMMIT that takes the log past 1,000
/// pages: it copies the whole log into the database file and syncs both, on the writer thread,
/// while every caller of the group commit waits. Under `make bench` those commits were about 2%
/// of all but took 5–100 ms each, some 7% of the run with the cores idle.
///
/// Here the writer's connection has no automatic checkpoint; its WAL hook (`committed`, after
/// every commit, with the log's length in frames) does this instead:
///
/// - Once `start` frames wait uncopied, a pass runs on a connection and thread of its own: a
///   passive checkpoint, which copies every committed frame no reader still needs and syncs the
///   database file, while the writer keeps committing.
/// - The log starts over from its first frame only when a write transaction begins with every
///   frame copied, which a pass alone never achieves while the writer keeps appending. So once
///   the log is `restart` frames long and at most `tail` frames wait (those committed during the
///   last pass), the writer copies those few itself, and its next transaction starts the log over.
/// - At `limit` frames, with no pass running, the writer copies whatever waits (the log stays
///   bounded even when the passes fall behind).
///
/// All of it is SQLite's own checkpoint, with its own locks and syncs (the log is synced before
/// any frame is copied, the database file after): a passive checkpoint from another connection
/// is one of SQLite's documented ways to run one.
final class Checkpointer: @unchecked Sendable {
    struct Thresholds: Sendable {
        /// Uncopied frames that start a pass in the background (SQLite's own automatic
        /// checkpoint also starts at 1,000).
        var start = 1000
        /// Log length (frames) from which the writer finishes the copy itself so the log can start over.
        var restart = 4000
        /// The most frames the writer copies itself before `limit`.
        var tail = 512
        /// Log length (frames) at which the writer copies everything left, pass or no pass.
        var limit = 16000
    }

    /// What has happened (tests).
    struct Counts: Sendable, Equatable {
        /// Passes run in the background.
        var passes = 0
        /// Checkpoints run by the writer itself (the tails, and any at `limit`).
        var writerCopies = 0
    }

    private let path: String
    let thresholds: Thresholds
    private let logger: Logger
    private let queue = DispatchQueue(label: "klaxon.store.checkpoint")
    private let condition = NSCondition()
    // Under `condition`:
    private var running = false
    /// Frames of the current log known to be copied into the database file.
    private var copied = 0
    private var counts = Counts()
    /// Failures already logged.
    private var warned: Set<String> = []
    /// The background connection, opened on the first pass; only the queue touches it.
    private var connection: OpaquePointer?

    init(path: String, thresholds: Thresholds = Thresholds(), logger: Logger) {
        self.path = path
        self.thresholds = thresholds
        self.logger = logger
    }

    deinit {
        if let connection { sqlite3_close_v2(connection) }
    }

    /// Installs `committed` as `db`'s WAL hook (which also turns SQLite's automatic checkpoint
    /// off: it is a WAL hook too). The hook holds the checkpointer unretained: keep it alive as
    /// long as the connection.
    func install(on db: OpaquePointer) {
        sqlite3_wal_hook(db, { context, db, _, frames in
            guard let context, let db else { return SQLITE_OK }
            Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().committed(db, frames: Int(frames))
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    var snapshot: Counts {
        condition.lock(); defer { condition.unlock() }
        return counts
    }

    /// Waits until no pass runs (tests).
    func waitIdle() {
        condition.lock()
        while running { condition.wait() }
        condition.unlock()
    }

    /// What the writer does after a commit that left `frames` frames in the log, `copied` of
    /// them known copied, with a pass `running` or not.
    enum Action: Equatable { case nothing, startPass, copyHere }

    static func action(frames: Int, copied: Int, running: Bool, thresholds t: Thresholds) -> Action {
        guard !running else { return .nothing }
        let waiting = frames - copied
        guard waiting > 0 else { return .nothing }
        if frames >= t.limit || (frames >= t.restart && waiting <= t.tail) { return .copyHere }
        return waiting >= t.start ? .startPass : .nothing
    }

    /// After a commit on the writer's connection `db`, whose log now holds `frames` frames.
    func committed(_ db: OpaquePointer, frames: Int) {
        condition.lock()
        // A log shorter than what was copied of it started over.
        if frames < copied { copied = 0 }
        // Only this method (on the writer's connection, one commit at a time) starts passes, so
        // with none running none starts until it returns.
        let action = Self.action(frames: frames, copied: copied, running: running, thresholds: thresholds)
        if action == .startPass { running = true }
        condition.unlock()
        switch action {
        case .nothing:
            break
        case .startPass:
            queue.async { self.pass() }
        case .copyHere:
            var log: Int32 = 0, done: Int32 = 0
            let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &done)
            condition.lock()
            counts.writerCopies += 1
            if rc == SQLITE_OK {
                copied = log == done ? 0 : Int(done)
            }
            condition.unlock()
            if rc != SQLITE_OK && rc != SQLITE_BUSY {
                warnOnce("checkpoint failed", code: rc, db: db)
            }
        }
    }

    /// One background pass.
    private func pass() {
        var copiedNow: Int?
        if let db = open() {
            var log: Int32 = 0, done: Int32 = 0
            let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &done)
            // All copied: the log starts over at the next write transaction (counted from zero
            // now; were it kept from starting over, by a reader, the next pass only copies less).
            if rc == SQLITE_OK { copiedNow = log == done ? 0 : Int(done) } else if rc != SQLITE_BUSY {
                warnOnce("background checkpoint failed", code: rc, db: db)
            }
        }
        condition.lock()
        running = false
        counts.passes += 1
        if let copiedNow { copied = copiedNow }
        condition.broadcast()
        condition.unlock()
    }

    /// The first failure is logged; the same one again is not (a pass is tried after every
    /// commit while pages wait, and the writer's copies at `limit` keep the log bounded anyway).
    private func warnOnce(_ what: String, code: Int32, db: OpaquePointer?) {
        let first = condition.withLock { warned.insert(what).inserted }
        guard first else { return }
        var metadata: Logger.Metadata = ["code": "\(code)"]
        if let db { metadata["message"] = "\(String(cString: sqlite3_errmsg(db)))" }
        logger.warning("\(what)", metadata: metadata)
    }

    private func open() -> OpaquePointer? {
        if let connection { return connection }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            warnOnce("cannot open the database for checkpoints", code: rc, db: nil)
            if let db { sqlite3_close_v2(db) }
            return nil
        }
        sqlite3_busy_timeout(db, 5000)
        // A first read opens the write-ahead log on this connection (a checkpoint on a
        // connection that never read is a no-op in some SQLite versions).
        sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
        connection = db
        return db
    }
}
