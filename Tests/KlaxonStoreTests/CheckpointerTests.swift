import Foundation
import GRDBSQLite
import Logging
import Testing
import KlaxonCore
import KlaxonEngine
@testable import KlaxonStore

/// The write-ahead log is copied into the database file by `Checkpointer`: in passes on a
/// connection of its own, the writer copying only short tails itself, the log bounded.
struct CheckpointerTests {
    let t0 = Date(timeIntervalSince1970: 1_795_420_800)

    /// An incident whose record takes a few pages (a long title), so each commit adds frames.
    func incident(_ n: Int) -> IncidentRecord {
        IncidentRecord(number: n, key: "k\(n)", integration: "prometheus", title: String(repeating: "t", count: 6000) + "\(n)",
                       severity: .p1, category: .other, team: "ml-platform", policy: nil, playbook: nil, openedAt: t0)
    }

    /// Incident `n` saved in a transaction of its own for each `n`, then `after(n)`.
    func commit(_ numbers: ClosedRange<Int>, to store: SQLiteStore, after: (Int) throws -> Void) throws {
        for n in numbers {
            let i = incident(n)
            try store.writeBlocking { tx in try tx.save(i) }
            try after(n)
        }
    }

    /// Frames in the log file (its high-water mark: SQLite reuses the file from the start).
    func walFrames(_ db: TempDB) -> Int {
        let size = (try? FileManager.default.attributesOfItem(atPath: db.path + "-wal")[.size] as? Int) ?? 0
        return size <= 32 ? 0 : (size - 32) / (4096 + 24)
    }

    @Test(arguments: [
        // frames, copied, running, expected
        (10, 0, false, Checkpointer.Action.nothing),
        (49, 0, false, .nothing),
        (50, 0, false, .startPass),           // `start` frames wait
        (50, 0, true, .nothing),              // a pass runs already
        (120, 80, false, .nothing),           // 40 wait
        (130, 80, false, .startPass),
        (200, 150, false, .copyHere),         // restart length, a short tail
        (200, 100, false, .startPass),        // restart length, the tail too long: another pass first
        (210, 210, false, .nothing),          // all copied
        (260, 100, true, .nothing),           // past restart, a pass runs
        (800, 100, false, .copyHere),         // at the limit, whatever waits
        (800, 100, true, .nothing),           // ... but not while a pass holds the checkpoint
        (5, 300, false, .nothing),            // the log started over (the writer resets `copied`)
    ])
    func whatTheWriterDoesAfterACommit(_ c: (Int, Int, Bool, Checkpointer.Action)) {
        let t = Checkpointer.Thresholds(start: 50, restart: 200, tail: 64, limit: 800)
        #expect(Checkpointer.action(frames: c.0, copied: c.1, running: c.2, thresholds: t) == c.3)
    }

    /// One commit at a time, each pass done before the next commit: the passes copy the whole
    /// log, the log starts over, and it never grows much past `start` frames.
    @Test func passesKeepTheLogNearStart() async throws {
        let db = TempDB()
        let thresholds = Checkpointer.Thresholds(start: 40, restart: 200, tail: 16, limit: 800)
        do {
            let store = try SQLiteStore(path: db.path, checkpoints: thresholds)
            try commit(1...300, to: store) { _ in
                try store.makeDurable()
                store.checkpointer.waitIdle()
            }
            let counts = store.checkpointer.snapshot
            #expect(counts.passes >= 10, "\(counts)")
            #expect(counts.writerCopies == 0, "\(counts)")
            // 300 commits of several frames each would be well over 900 frames without checkpoints.
            #expect(walFrames(db) < 80, "\(walFrames(db)) frames")
            let stored = try await store.read { tx in try tx.incidents(statuses: nil, limit: 1000).count }
            #expect(stored == 300)
        }
        let reopened = try SQLiteStore(path: db.path)
        let last = try await reopened.read { tx in try tx.incident(300) }
        #expect(last?.title.hasSuffix("300") == true)
    }

    /// Commits as fast as the writer goes, passes running meanwhile: the log stays bounded
    /// (the writer copies tails and, at the limit, whatever waits) and nothing is lost.
    @Test func theLogStaysBoundedUnderSteadyCommits() async throws {
        let db = TempDB()
        let thresholds = Checkpointer.Thresholds(start: 40, restart: 160, tail: 64, limit: 400)
        do {
            let store = try SQLiteStore(path: db.path, checkpoints: thresholds)
            try commit(1...1500, to: store) { n in
                if n % 10 == 0 { try store.makeDurable() }
            }
            store.checkpointer.waitIdle()
            let counts = store.checkpointer.snapshot
            #expect(counts.passes + counts.writerCopies >= 5, "\(counts)")
            // Without checkpoints: over 4,500 frames. A pass that runs while the limit is reached
            // lets the log grow until it ends; a pass over a few hundred frames on a test
            // machine's disk stays far below this.
            #expect(walFrames(db) < 2500, "\(walFrames(db)) frames, \(counts)")
            let stored = try await store.read { tx in try tx.incidents(statuses: nil, limit: 2000).count }
            #expect(stored == 1500)
        }
        let reopened = try SQLiteStore(path: db.path)
        let check = try await reopened.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(check == "ok")
        let count = try await reopened.read { tx in try tx.incidents(statuses: nil, limit: 2000).count }
        #expect(count == 1500)
    }

    /// SQLite's own automatic checkpoint is off on the writer: with thresholds never reached,
    /// the log grows past SQLite's 1,000 pages and nothing copies it.
    @Test func sqlitesOwnCheckpointIsOff() throws {
        let db = TempDB()
        let never = Checkpointer.Thresholds(start: 1_000_000, restart: 1_000_000, tail: 0, limit: 1_000_000)
        let store = try SQLiteStore(path: db.path, checkpoints: never)
        try commit(1...500, to: store) { _ in }
        #expect(walFrames(db) > 1000, "\(walFrames(db)) frames")
        #expect(store.checkpointer.snapshot == Checkpointer.Counts())
    }

    /// A checkpoint that cannot run is logged once, not after every commit that tries again;
    /// the passes go on being tried.
    @Test func aFailingPassIsLoggedOnce() throws {
        let logs = CapturedLogs()
        let logger = Logger(label: "klaxon.store.test") { _ in logs.handler() }
        let checkpointer = Checkpointer(path: "/nonexistent-klaxon-dir/klaxon.db",
                                        thresholds: .init(start: 10, restart: 1_000_000, tail: 0, limit: 1_000_000), logger: logger)
        var db: OpaquePointer?
        #expect(sqlite3_open(":memory:", &db) == SQLITE_OK)
        defer { sqlite3_close(db) }
        for _ in 0..<3 {
            checkpointer.committed(try #require(db), frames: 20)
            checkpointer.waitIdle()
        }
        #expect(checkpointer.snapshot.passes == 3)
        #expect(logs.messages == ["cannot open the database for checkpoints"])
    }
}

/// Log messages at warning and above, for tests.
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var captured: [String] = []
    var messages: [String] { lock.withLock { captured } }

    func handler() -> some LogHandler { Handler(logs: self) }

    private struct Handler: LogHandler {
        let logs: CapturedLogs
        var logLevel: Logger.Level = .warning
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            logs.lock.withLock { logs.captured.append(event.message.description) }
        }
    }
}
