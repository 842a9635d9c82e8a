import Foundation
import GRDB
import GRDBSQLite
import KlaxonCore
import KlaxonEngine

/// State that only write transactions read and change; they run one at a time.
///
/// - Open incidents by key as last saved: the ingest path asks for one on every alert.
/// - The log: a transaction's new alert versions and timeline entries are collected in
///   `pending` and inserted as one row of `ingest_log` when it ends (`flush`; see `IngestLog`).
///   The writer numbers log rows itself (`nextLog`), so a record's ref is known before its row
///   is written.
/// - Filing: records waiting in the log are filed per incident into its chunks, as refs (see
///   `Chunks`): one incident at a time, all of its waiting records at once, the incident with
///   the most waiting first, so they make one chunk (or a few). Once `inboxLimit` records wait,
///   the next write transaction first files incidents until half a `mergeChunk` fewer wait or
///   `mergeChunk` records were filed (at least one incident): bounded work, so no commit waits
///   long behind it.
/// - `log_filed` notes, per incident, the last log row whose records of it are filed; readers
///   skip those. `log_front` is a row below which every record is filed: readers and `load`
///   scan the log from there. An incident whose old records hold the front back too long is
///   filed first.
/// - For each waiting alert: where its latest version is, whether it fires, whether the version
///   it replaced in the chunks fired; for each incident, its count of firing alerts; for
///   incidents the writer touched, where each alert's latest version in the chunks is (so the
///   ingest path reads one chunk, or none for a new alert).
///
/// Any rollback forgets all of it; the next write transaction reads it back from the database.
///
/// Only write transactions reach it, and they run one at a time: its state is marked
/// `@exclusivity(unchecked)`, without the run-time checks of every access (about 1% of the
/// writer's time under `make bench`).
final class WriterState: @unchecked Sendable {
    /// An alert's fingerprint as the writer's tables hold it: Alertmanager's (16 lowercase hex
    /// digits) by its 64-bit value, any other as its string. The string is parsed where it enters
    /// (an alert's lookup and its save): as a key it was a retain and a release at every copy and a hash and a compare
    /// of its bytes at every lookup (`bench/counts.sh` under the `make bench` load: 10 retains and
    /// 13 releases fewer per alert on the writer, of about 62 and 88).
    enum FingerprintKey: Hashable {
        case hex(UInt64)
        case text(String)

        init(_ fingerprint: String) {
            if let v = Moved.hexValue(fingerprint) { self = .hex(v) } else { self = .text(fingerprint) }
        }

        /// The fingerprint's UTF-8 (a hex one's written on the stack).
        func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            switch self {
            case .text(let s):
                return Chunks.utf8(of: s, body)
            case .hex(let v):
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buf in
                    let digits: StaticString = "0123456789abcdef"
                    for i in 0..<16 { buf[i] = digits.utf8Start[Int((v >> UInt64(60 - 4 * i)) & 0xF)] }
                    return body(UnsafeBufferPointer(buf))
                }
            }
        }

        func hash(into hasher: inout Hasher) {
            switch self {
            case .hex(let v): hasher.combine(v)
            case .text(let s): hasher.combine(s)
            }
        }
    }
    /// A table by fingerprint: Alertmanager's (16 lowercase hex digits) by their 64-bit value, a
    /// third of the memory of a string key (measured: 12 against 34 MiB for 250,000), and hashed
    /// as one word; any other as it is.
    struct FingerprintTable<Value> {
        private var hex: [UInt64: Value] = [:]
        private var text: [String: Value] = [:]

        var count: Int { hex.count + text.count }

        subscript(fingerprint: FingerprintKey) -> Value? {
            get {
                switch fingerprint {
                case .hex(let v): return hex[v]
                case .text(let s): return text[s]
                }
            }
            set {
                switch fingerprint {
                case .hex(let v): hex[v] = newValue
                case .text(let s): text[s] = newValue
                }
            }
        }

        /// Sets the value; the one it replaced, if any.
        mutating func updateValue(_ value: Value, forKey fingerprint: FingerprintKey) -> Value? {
            switch fingerprint {
            case .hex(let v): return hex.updateValue(value, forKey: v)
            case .text(let s): return text.updateValue(value, forKey: s)
            }
        }

        /// Empty, the room kept.
        mutating func removeAll() {
            hex.removeAll(keepingCapacity: true)
            if !text.isEmpty { text.removeAll(keepingCapacity: true) }
        }
    }
    struct AlertKey: Hashable { let incident: Int; let fingerprint: FingerprintKey }
    /// A waiting alert: where its latest version is in the log, whether it fires, and whether
    /// the version it replaced in the chunks fired.
    struct InboxAlert { var ref: Chunks.Ref; var firing: Bool; var firingMoved: Bool }
    /// An incident's alerts in the chunks: the chunk with each one's latest version, whether
    /// that version fires, and how many fire. A class: `moved` hands it out by reference (a
    /// struct was reached in place through the dictionary's modify accessors, whose coroutine
    /// frames took three allocations per alert saved under `make bench`).
    final class Moved {
        struct Entry { var chunk: Int64; var firing: Bool }
        private var entries = FingerprintTable<Entry>()
        private(set) var firing = 0
        var count: Int { entries.count }

        static func hexValue(_ fingerprint: String) -> UInt64? {
            guard fingerprint.utf8.count == 16 else { return nil }
            var v: UInt64 = 0
            for b in fingerprint.utf8 {
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt64(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt64(b - UInt8(ascii: "a") + 10)
                default: return nil
                }
            }
            return v
        }

        subscript(fingerprint: FingerprintKey) -> Entry? { entries[fingerprint] }

        /// Notes the alert's latest version; true when the incident had none of it before.
        @discardableResult
        func set(_ fingerprint: FingerprintKey, chunk: Int64, firing: Bool) -> Bool {
            let old = entries.updateValue(Entry(chunk: chunk, firing: firing), forKey: fingerprint)
            self.firing += (firing ? 1 : 0) - (old?.firing == true ? 1 : 0)
            return old == nil
        }
    }
    /// One incident's records waiting in the log (not filed yet). A class: a save or a timeline
    /// entry finds it with one lookup and changes it in place (as a struct in the table, each
    /// took three lookups of the incident).
    ///
    /// Its waiting alerts are kept here, by fingerprint, not in one table for every incident: a
    /// lookup hashes the fingerprint alone (not the incident with it), and filing the incident
    /// drops its table at once instead of removing its alerts one by one (`bench/threads.sh`
    /// profiles under the `make bench` load: about 6% of the writer's time went to hashing the
    /// pair and to those removals).
    final class Waiting {
        /// Its waiting alerts, in the order they first came (each one's latest version is in
        /// `self[fingerprint]`).
        var fingerprints: [FingerprintKey] = []
        var timeline: [Chunks.Ref] = []
        /// The log row of its oldest waiting record.
        var oldest: Int64 = .max
        /// Its waiting alerts that fire, minus the versions they replaced in the chunks that fired.
        var firingDelta = 0
        private var alerts = FingerprintTable<InboxAlert>()
        var count: Int { fingerprints.count + timeline.count }

        /// Notes a record in log row `log`.
        @inline(__always) func noteRecord(in log: Int64) { if log < oldest { oldest = log } }

        /// Empty again, its tables' room kept (an incident's records are filed together, and its
        /// tables grew step by step to hold them: a table made anew for each incident took one more
        /// allocation per alert on the writer).
        func clear() {
            fingerprints.removeAll(keepingCapacity: true)
            timeline.removeAll(keepingCapacity: true)
            oldest = .max
            firingDelta = 0
            alerts.removeAll()
        }

        /// The latest waiting version of the alert.
        subscript(fingerprint: FingerprintKey) -> InboxAlert? {
            get { alerts[fingerprint] }
            set { alerts[fingerprint] = newValue }
        }
    }

    let inboxLimit: Int
    let mergeChunk: Int
    @exclusivity(unchecked) private(set) var openByKey: [String: IncidentRecord] = [:]
    /// Whether `waiting` knows the log: not at start and after a rollback, until `load` read it back.
    @exclusivity(unchecked) private var logKnown = false
    /// Per incident, its records waiting in the log.
    @exclusivity(unchecked) private var waiting: [Int: Waiting] = [:]
    /// The incident `waiting` was last asked about, and its records: an alert's lookup, its save
    /// and its timeline entry ask about the same incident one after the other.
    @exclusivity(unchecked) private var lastWaiting: (incident: Int, records: Waiting)?
    /// Filed incidents' records, emptied for the next incident that gets any (at most `spareLimit`).
    @exclusivity(unchecked) private var spare: [Waiting] = []
    private let spareLimit = 256
    /// The most records (alerts and timeline entries) a filed incident may have had to be kept.
    private let spareRecords = 128
    @exclusivity(unchecked) private var waitingRecords = 0
    /// The log row this transaction's records go to; `pending` holds its bytes until `flush`.
    @exclusivity(unchecked) private(set) var nextLog: Int64 = 1
    @exclusivity(unchecked) private(set) var pending: [UInt8] = []
    /// Where an alert's JSON is written before it goes into `pending` after its length.
    @exclusivity(unchecked) private var scratch: [UInt8] = []
    /// Every record in log rows below it is filed (as `log_front` says).
    @exclusivity(unchecked) private var front: Int64 = 0
    /// A filing happened since the front was last looked for (only a filing can advance it).
    @exclusivity(unchecked) private var filedSinceFront = true
    /// Per incident, its alerts in the chunks (read on first use, then kept up by filings;
    /// forgotten when it resolves). At most `movedLimit` alerts are kept (about 50 bytes each
    /// with Alertmanager's fingerprints, 140 with long string ones):
    /// past that, all are forgotten and read again on use.
    @exclusivity(unchecked) private var moved: [Int: Moved] = [:]
    @exclusivity(unchecked) private var movedCount = 0
    let movedLimit: Int

    init(inboxLimit: Int, mergeChunk: Int = 512, movedLimit: Int = 262_144) {
        self.movedLimit = max(0, movedLimit)
        self.inboxLimit = max(0, inboxLimit)
        self.mergeChunk = max(1, mergeChunk)
    }

    func rolledBack() {
        knownNew = nil
        openByKey.removeAll()
        logKnown = false
        waiting.removeAll()
        lastWaiting = nil
        moved.removeAll()
        movedCount = 0
        pending.removeAll()
    }

    /// The incident's alerts in the chunks, read on first use.
    private func movedAlerts(_ db: Database, _ incident: Int) throws -> Moved {
        if let known = moved[incident] { return known }
        if movedCount >= movedLimit { moved.removeAll(); movedCount = 0 }
        let m = Moved()
        try rows(db, "SELECT id, data FROM alert_chunks WHERE incident = ? ORDER BY id", { h in sqlite3_bind_int64(h, 1, Int64(incident)) }) { h in
            let chunk = sqlite3_column_int64(h, 0)
            try Chunks.alerts(columnBlob(h, 1), body: false) { a in
                m.set(FingerprintKey(a.fingerprint), chunk: chunk, firing: a.firing)
            }
        }
        moved[incident] = m
        movedCount += m.count
        return m
    }

    /// The chunk holding the latest filed version of the alert, and whether it fires; nil when
    /// none of the incident's chunks has it.
    func movedAlert(_ db: Database, incident: Int, fingerprint: FingerprintKey) throws -> Moved.Entry? {
        try movedAlerts(db, incident)[fingerprint]
    }

    /// After a savepoint rolled back inside a transaction that goes on: what the memory said
    /// may be undone, so it is read back from the transaction at once.
    func reload(_ db: Database) throws {
        rolledBack()
        try load(db)
    }

    func incidentSaved(_ incident: IncidentRecord) {
        if incident.status == .resolved {
            openByKey[incident.key] = nil
            if let gone = moved.removeValue(forKey: incident.number) { movedCount -= gone.count }
        } else {
            if openByKey.count >= 16_384 { openByKey.removeAll(keepingCapacity: true) }
            openByKey[incident.key] = incident
        }
    }

    /// How many log rows a reader may have to scan: the front may lag this far behind.
    var frontLag: Int64 { Int64(inboxLimit / 4 + 64) }

    /// At the start of every write transaction: knows the log, files part of it when too much
    /// waits, and moves the front.
    func maintain(_ db: Database) throws {
        if !logKnown || !pending.isEmpty { try reload(db) }
        if inboxLimit == 0 {
            if waitingRecords > 0 { try fileAll(db) }
            return
        }
        if waitingRecords >= inboxLimit {
            // Busiest first; of equally busy ones the one waiting longest, so the front moves.
            // One sort per round, not a search per incident filed; and a round files down to
            // half a `mergeChunk` below the limit, so rounds (and sorts) are rare: filing only
            // just below the limit made one incident a round and sorted every incident in every
            // transaction (6% of the writer under `make bench`).
            let order = waiting.map { (incident: $0.key, count: $0.value.count, oldest: $0.value.oldest) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.oldest < $1.oldest }
            let target = inboxLimit - mergeChunk / 2
            var filed = 0
            for next in order {
                filed += next.count
                try file(db, next.incident)
                if waitingRecords < target || filed >= mergeChunk { break }
            }
        }
        // An incident whose old records hold the front back goes next.
        var rounds = 0
        while nextLog - front > frontLag, rounds < 8, let oldest = oldestWaiting(), nextLog - oldest.1 > frontLag {
            try file(db, oldest.0)
            try advanceFront(db)
            rounds += 1
        }
        try advanceFront(db)
    }

    /// Files every waiting record (tests; inbox limit 0).
    func fileAll(_ db: Database) throws {
        if !logKnown || !pending.isEmpty { try reload(db) }
        for incident in waiting.keys.sorted() { try file(db, incident) }
        try advanceFront(db)
    }

    /// Inserts this transaction's log row, if it has records. Before every commit, and around
    /// savepoints (so a savepoint's rollback undoes exactly its own records).
    func flush(_ db: Database) throws {
        guard !pending.isEmpty else { return }
        let h = try db.cachedStatement(sql: "INSERT INTO ingest_log (id, data) VALUES (?, ?)").sqliteStatement
        let rc = pending.withUnsafeBytes { b in
            sqlite3_reset(h)
            sqlite3_bind_int64(h, 1, nextLog)
            // Not copied (SQLITE_STATIC): the bytes stay put until the statement ran, and the
            // binding is cleared before they may move.
            sqlite3_bind_blob(h, 2, b.baseAddress, Int32(b.count), nil)
            defer { sqlite3_reset(h); sqlite3_clear_bindings(h) }
            let rc = sqlite3_step(h)
            return (rc, rc == SQLITE_DONE ? "" : String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
        guard rc.0 == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc.0), message: rc.1, sql: "INSERT INTO ingest_log")
        }
        nextLog += 1
        pending.removeAll(keepingCapacity: pending.capacity <= 1 << 20)
    }

    private func load(_ db: Database) throws {
        var marks: [Int: Int64] = [:]
        try rows(db, "SELECT incident, through FROM log_filed", { _ in }) { h in
            marks[Int(sqlite3_column_int64(h, 0))] = sqlite3_column_int64(h, 1)
        }
        var front: Int64 = 0
        try rows(db, "SELECT id FROM log_front", { _ in }) { h in front = sqlite3_column_int64(h, 0) }
        var last: Int64 = 0
        try rows(db, "SELECT MAX(id) FROM ingest_log", { _ in }) { h in last = sqlite3_column_int64(h, 0) }
        var byIncident: [Int: Waiting] = [:]
        try rows(db, "SELECT id, data FROM ingest_log WHERE id >= ? ORDER BY id", { h in sqlite3_bind_int64(h, 1, front) }) { h in
            let log = sqlite3_column_int64(h, 0)
            try IngestLog.records(columnBlob(h, 1), log: log) { r in
                guard log > marks[r.incident] ?? 0 else { return }
                let w = byIncident[r.incident] ?? Waiting()
                w.noteRecord(in: log)
                if r.isAlert {
                    let (fp, firing) = try IngestLog.alertHead(r.bytes)
                    let key = FingerprintKey(fp)
                    if w[key] == nil { w.fingerprints.append(key) }
                    w[key] = InboxAlert(ref: r.ref, firing: firing, firingMoved: false)
                } else {
                    w.timeline.append(r.ref)
                }
                byIncident[r.incident] = w
            }
        }
        for (incident, w) in byIncident {
            for fp in w.fingerprints {
                guard var a = w[fp] else { continue }
                let before = try movedAlert(db, incident: incident, fingerprint: fp)?.firing ?? false
                a.firingMoved = before
                w[fp] = a
                w.firingDelta += (a.firing ? 1 : 0) - (before ? 1 : 0)
            }
        }
        logKnown = true
        waiting = byIncident
        lastWaiting = nil
        waitingRecords = byIncident.values.reduce(0) { $0 + $1.count }
        self.front = front
        filedSinceFront = true
        nextLog = last + 1
        pending.removeAll()
    }

    /// Files every waiting record of the incident into its chunks, in arrival order, and notes
    /// how far it filed. Everything of the incident in the chunks stays older than everything
    /// of it still waiting.
    private func file(_ db: Database, _ incident: Int) throws {
        knownNew = nil
        if lastWaiting?.incident == incident { lastWaiting = nil }
        guard let w = waiting.removeValue(forKey: incident) else { return }
        defer {
            // Kept for the next incident only when small: a spare held for an incident that once
            // had thousands of records waiting would hold their room for good.
            if spare.count < spareLimit, w.count <= spareRecords {
                w.clear()
                spare.append(w)
            }
        }
        waitingRecords -= w.count
        filedSinceFront = true
        if !w.fingerprints.isEmpty {
            // Kept up if known (else read from the chunks, this filing's included, on first use).
            let known = moved[incident]
            var chunk = Chunks.Writer()
            var inChunk: [(FingerprintKey, Bool)] = []
            func flush() throws {
                guard chunk.count > 0 else { return }
                try run(db, "INSERT INTO alert_chunks (incident, data) VALUES (?, ?)") { h in
                    sqlite3_bind_int64(h, 1, Int64(incident))
                    bindBlob(h, 2, chunk.bytes)
                }
                let id = db.lastInsertedRowID
                if let known {
                    for (fp, firing) in inChunk {
                        if known.set(fp, chunk: id, firing: firing) { movedCount += 1 }
                    }
                }
                chunk = Chunks.Writer()
                inChunk.removeAll(keepingCapacity: true)
            }
            // The incident's waiting alerts (and their firing delta) go with `w`: once filed, the
            // chunks count them (and `known`, kept up above).
            for fp in w.fingerprints {
                guard let a = w[fp] else { continue }
                chunk.alert(fingerprint: fp, firing: a.firing, at: a.ref)
                inChunk.append((fp, a.firing))
                if chunk.count >= Chunks.alertsPerChunk { try flush() }
            }
            try flush()
        }
        if !w.timeline.isEmpty {
            var chunk = Chunks.Writer()
            func flush() throws {
                guard chunk.count > 0 else { return }
                try run(db, "INSERT INTO timeline_chunks (incident, data) VALUES (?, ?)") { h in
                    sqlite3_bind_int64(h, 1, Int64(incident))
                    bindBlob(h, 2, chunk.bytes)
                }
                chunk = Chunks.Writer()
            }
            for ref in w.timeline {
                chunk.entry(at: ref)
                if chunk.count >= Chunks.entriesPerChunk { try flush() }
            }
            try flush()
        }
        // Filing runs before the transaction's own records: every record of it is in a row below nextLog.
        try run(db, """
            INSERT INTO log_filed (incident, through) VALUES (?, ?)
            ON CONFLICT(incident) DO UPDATE SET through = MAX(through, excluded.through)
            """) { h in
            sqlite3_bind_int64(h, 1, Int64(incident))
            sqlite3_bind_int64(h, 2, nextLog - 1)
        }
    }

    /// The incident of the oldest waiting record, and its log row.
    private func oldestWaiting() -> (Int, Int64)? {
        var best: (Int, Int64)?
        for (incident, w) in waiting where best == nil || w.oldest < best!.1 { best = (incident, w.oldest) }
        return best
    }

    /// Notes a new front when it moved far enough (in runs, not a write every transaction).
    private func advanceFront(_ db: Database) throws {
        guard filedSinceFront, nextLog - front >= 64 || waiting.isEmpty else { return }
        filedSinceFront = false
        let newFront = oldestWaiting()?.1 ?? nextLog
        guard newFront > front, newFront - front >= 64 || waiting.isEmpty else { return }
        try run(db, "UPDATE log_front SET id = ?") { h in sqlite3_bind_int64(h, 1, newFront) }
        front = newFront
    }

    /// Firing alerts of the incident, the waiting ones included.
    func firingCount(_ db: Database, of incident: Int) throws -> Int {
        try movedAlerts(db, incident).firing + (records(of: incident)?.firingDelta ?? 0)
    }

    /// Where the incident's waiting alerts' latest versions are, in the order they first came
    /// (nil: not known yet).
    func waitingAlerts(of incident: Int) -> [Chunks.Ref]? {
        guard logKnown else { return nil }
        guard let w = records(of: incident) else { return [] }
        return w.fingerprints.compactMap { w[$0]?.ref }
    }

    /// The incident's waiting timeline records, oldest first (nil: not known yet).
    func waitingTimeline(of incident: Int) -> [Chunks.Ref]? {
        guard logKnown else { return nil }
        return records(of: incident)?.timeline ?? []
    }

    /// Where the alert's latest version waits in the log, if it does.
    func waitingRef(incident: Int, fingerprint: FingerprintKey) -> Chunks.Ref? {
        logKnown ? records(of: incident)?[fingerprint]?.ref : nil
    }

    /// Reads records by ref, this transaction's unwritten row included.
    func blobs(_ db: Database) -> LogBlobs {
        LogBlobs(db, pending: pending.isEmpty ? nil : (nextLog, pending))
    }

    /// The alert a lookup just found nowhere (neither waiting nor filed): its save, which the
    /// engine makes next, need not look again. Any other save, filing or rollback forgets it.
    @exclusivity(unchecked) private var knownNew: AlertKey?

    /// Notes that the lookup of this alert found nothing.
    func lookedUpNothing(incident: Int, fingerprint: FingerprintKey) {
        knownNew = AlertKey(incident: incident, fingerprint: fingerprint)
    }

    /// Saves an alert version: `body` appends its stored JSON to the bytes it is given.
    func save(_ db: Database, incident: Int, fingerprint: String, firing: Bool, body: (inout [UInt8]) -> Void) throws {
        let fp = FingerprintKey(fingerprint)
        let isKnownNew = knownNew == AlertKey(incident: incident, fingerprint: fp)
        knownNew = nil
        scratch.removeAll(keepingCapacity: true)
        body(&scratch)
        let (offset, length) = scratch.withUnsafeBufferPointer { b in
            IngestLog.appendAlert(into: &pending, incident: incident, fingerprint: fingerprint, firing: firing, body: b)
        }
        let ref = Chunks.Ref(log: nextLog, offset: offset, length: length)
        let w = waitingList(of: incident)
        if !isKnownNew, let existing = w[fp] {
            w.firingDelta += (firing ? 1 : 0) - (existing.firing ? 1 : 0)
            w[fp] = InboxAlert(ref: ref, firing: firing, firingMoved: existing.firingMoved)
        } else {
            let before = isKnownNew ? false : try movedAlert(db, incident: incident, fingerprint: fp)?.firing ?? false
            w[fp] = InboxAlert(ref: ref, firing: firing, firingMoved: before)
            w.firingDelta += (firing ? 1 : 0) - (before ? 1 : 0)
            w.fingerprints.append(fp)
            w.noteRecord(in: nextLog)
            waitingRecords += 1
        }
    }

    func append(_ e: TimelineEntry) {
        let (offset, length) = IngestLog.appendEntry(into: &pending, incident: e.incident, at: e.at.timeIntervalSince1970,
                                                     kind: e.kind, actor: e.actor, message: e.message)
        entryWaits(incident: e.incident, offset: offset, length: length)
    }

    /// The same from an entry's parts, its message in three pieces (the ingest path's entry for
    /// each alert: no entry and no message string made on the writer thread).
    func appendEntry(incident: Int, at: Double, kind: StaticString, actor: String, message prefix: StaticString, _ middle: String, _ suffix: StaticString) {
        let (offset, length) = IngestLog.appendEntry(into: &pending, incident: incident, at: at, kind: kind, actor: actor,
                                                     message: prefix, middle, suffix)
        entryWaits(incident: incident, offset: offset, length: length)
    }

    /// Notes a timeline record just put in `pending` among the incident's waiting records.
    @inline(__always) private func entryWaits(incident: Int, offset: Int, length: Int) {
        let w = waitingList(of: incident)
        w.timeline.append(Chunks.Ref(log: nextLog, offset: offset, length: length))
        w.noteRecord(in: nextLog)
        waitingRecords += 1
    }

    /// The incident's waiting records, if it has any.
    @inline(__always) private func records(of incident: Int) -> Waiting? {
        if let last = lastWaiting, last.incident == incident { return last.records }
        guard let w = waiting[incident] else { return nil }
        lastWaiting = (incident, w)
        return w
    }

    /// The incident's waiting records, made empty when it has none.
    @inline(__always) private func waitingList(of incident: Int) -> Waiting {
        if let w = records(of: incident) { return w }
        let w = spare.popLast() ?? Waiting()
        waiting[incident] = w
        lastWaiting = (incident, w)
        return w
    }
}
