import Foundation
import GRDB
import GRDBSQLite
import KlaxonCore
import KlaxonEngine

/// State that only write transactions read and change; they run one at a time.
///
/// - Open incidents by key as last saved: the ingest path asks for one on every alert.
/// - The inbox: new alert versions and timeline entries are appended to `alert_inbox` and
///   `timeline_inbox` (rowid order only, so a commit of alerts for many incidents writes a few
///   sequential pages) and later moved into `alert_chunks` and `timeline_chunks`, whose rows
///   each hold many records of one incident (see `Chunks`) and are indexed by incident.
/// - Moves go one incident at a time, all of its waiting rows at once, the incident with the
///   most rows waiting first: its rows then make one chunk (or a few), one row and one index
///   entry for many records. (Moving the oldest rows of every incident instead made tiny
///   chunks; a row and an index entry per record, as `alerts` and `timeline` were until
///   schema v6, cost the writer a quarter more.) Once `inboxLimit` rows wait, each write
///   transaction first moves incidents until fewer wait or `mergeChunk` rows moved (at least
///   one incident): bounded work, so no commit waits long behind a move.
/// - A moved row is not deleted from the inbox then (deleting rows spread over many pages
///   would write each page again): `inbox_merged` notes, per incident, the last alert and
///   timeline row moved, and readers skip the inbox rows up to it. Rows are deleted in runs
///   from the front, once every row before them moved; a mark goes with its last row. If one
///   incident's old rows hold the front back for long, it is moved first.
/// - For each waiting alert: where it is, whether the version it replaced in the chunks fired;
///   for each incident, its count of firing alerts; for incidents the writer touched, where
///   each alert's latest version in the chunks is (so the ingest path reads one chunk, or
///   none for a new alert).
///
/// Any rollback forgets all of it; the next write transaction reads it back from the database.
final class WriterState: @unchecked Sendable {
    struct AlertKey: Hashable { let incident: Int; let fingerprint: String }
    /// A waiting alert: its row, whether it fires, whether the version it replaced in the
    /// chunks fired, and its stored JSON (a move writes the chunk from memory).
    struct InboxAlert { var seq: Int64; var firing: Bool; var firingMoved: Bool; var body: String }
    /// An incident's alerts in the chunks: the chunk with each one's latest version, whether
    /// that version fires, and how many fire.
    struct Moved {
        struct Entry { var chunk: Int64; var firing: Bool }
        /// Alertmanager's fingerprints (16 lowercase hex digits) by their 64-bit value, a third
        /// of the memory of a string key (measured: 12 against 34 MiB for 250,000); others as is.
        private var hex: [UInt64: Entry] = [:]
        private var text: [String: Entry] = [:]
        private(set) var firing = 0
        var count: Int { hex.count + text.count }

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

        subscript(fingerprint: String) -> Entry? {
            if let v = Self.hexValue(fingerprint) { return hex[v] }
            return text[fingerprint]
        }

        /// Notes the alert's latest version; true when the incident had none of it before.
        @discardableResult
        mutating func set(_ fingerprint: String, chunk: Int64, firing: Bool) -> Bool {
            let entry = Entry(chunk: chunk, firing: firing)
            let old = Self.hexValue(fingerprint).map { hex.updateValue(entry, forKey: $0) } ?? text.updateValue(entry, forKey: fingerprint)
            self.firing += (firing ? 1 : 0) - (old?.firing == true ? 1 : 0)
            return old == nil
        }
    }
    /// One incident's rows in the inbox not moved yet, oldest first.
    struct Waiting {
        var fingerprints: [String] = []
        /// Timeline rows and their entries (a move writes the chunk from memory).
        var timeline: [(id: Int64, entry: Chunks.TimelineRecord)] = []
        var count: Int { fingerprints.count + timeline.count }
        /// Its oldest timeline row (each alert comes with one): how long it has waited.
        var oldest: Int64 { timeline.first?.id ?? .max }
    }

    let inboxLimit: Int
    let mergeChunk: Int
    private(set) var openByKey: [String: IncidentRecord] = [:]
    /// Alerts waiting in the inbox (not moved yet). nil: not known (at start and after a
    /// rollback); `load` reads it back.
    private var inbox: [AlertKey: InboxAlert]?
    private var waiting: [Int: Waiting] = [:]
    private var waitingRows = 0
    /// Rows in the inbox tables, moved or not: they are deleted from the front.
    private var physicalRows = 0
    /// A move happened since the front was last looked for (only a move can advance it).
    private var movedSinceFront = true
    /// Every inbox row below these has been deleted.
    private var alertFront: Int64 = 0
    private var timelineFront: Int64 = 0
    /// Firing alerts of the incident counted in the inbox minus those they replaced in the chunks.
    private var firingDelta: [Int: Int] = [:]
    /// Per incident, its alerts in the chunks (read on first use, then kept up by moves;
    /// forgotten when it resolves). At most `movedLimit` alerts are kept (about 50 bytes each
    /// with Alertmanager's fingerprints, 140 with long string ones):
    /// past that, all are forgotten and read again on use.
    private var moved: [Int: Moved] = [:]
    private var movedCount = 0
    let movedLimit: Int

    init(inboxLimit: Int, mergeChunk: Int = 512, movedLimit: Int = 262_144) {
        self.movedLimit = max(0, movedLimit)
        self.inboxLimit = max(0, inboxLimit)
        self.mergeChunk = max(1, mergeChunk)
    }

    func rolledBack() {
        openByKey.removeAll()
        inbox = nil
        waiting.removeAll()
        moved.removeAll()
        movedCount = 0
    }

    /// The incident's alerts in the chunks, read on first use.
    private func movedAlerts(_ db: Database, _ incident: Int) throws -> Moved {
        if let known = moved[incident] { return known }
        if movedCount >= movedLimit { moved.removeAll(); movedCount = 0 }
        var m = Moved()
        try rows(db, "SELECT id, data FROM alert_chunks WHERE incident = ? ORDER BY id", { h in sqlite3_bind_int64(h, 1, Int64(incident)) }) { h in
            let chunk = sqlite3_column_int64(h, 0)
            try Chunks.alerts(columnBlob(h, 1), body: false) { a in
                m.set(a.fingerprint, chunk: chunk, firing: a.firing)
            }
        }
        moved[incident] = m
        movedCount += m.count
        return m
    }

    /// The chunk holding the latest moved version of the alert, and whether it fires; nil when
    /// none of the incident's chunks has it.
    func movedAlert(_ db: Database, incident: Int, fingerprint: String) throws -> Moved.Entry? {
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

    /// At the start of every write transaction: knows the inbox, moves part of it when full and
    /// deletes what moved from the front.
    func maintain(_ db: Database) throws {
        if inbox == nil { try load(db) }
        if inboxLimit == 0 {
            if waitingRows > 0 || physicalRows > 0 { try mergeAll(db) }
            return
        }
        if waitingRows >= inboxLimit {
            // Busiest first; of equally busy ones the one waiting longest, so the front moves.
            // One sort per transaction, not a search per incident moved.
            let order = waiting.map { (incident: $0.key, count: $0.value.count, oldest: $0.value.oldest) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.oldest < $1.oldest }
            var moved = 0
            for next in order {
                moved += next.count
                try move(db, next.incident)
                if waitingRows < inboxLimit || moved >= mergeChunk { break }
            }
        }
        // An incident whose old rows hold the front back while the inbox grows goes next.
        var guardRounds = 0
        while physicalRows >= 2 * inboxLimit + mergeChunk, guardRounds < 8, let incident = oldestWaiting() {
            try move(db, incident)
            try deleteFront(db)
            guardRounds += 1
        }
        try deleteFront(db)
    }

    /// Moves every waiting row and empties the inbox tables (tests; inbox limit 0).
    func mergeAll(_ db: Database) throws {
        if inbox == nil { try load(db) }
        for incident in waiting.keys.sorted() { try move(db, incident) }
        try deleteFront(db)
    }

    private func load(_ db: Database) throws {
        var marks: [Int: (alerts: Int64, timeline: Int64)] = [:]
        try rows(db, "SELECT incident, alerts_through, timeline_through FROM inbox_merged", { _ in }) { h in
            marks[Int(sqlite3_column_int64(h, 0))] = (sqlite3_column_int64(h, 1), sqlite3_column_int64(h, 2))
        }
        var found: [AlertKey: InboxAlert] = [:]
        var byIncident: [Int: Waiting] = [:]
        var physical = 0
        var firstAlert: Int64?
        try rows(db, "SELECT seq, incident, fingerprint, status, body FROM alert_inbox ORDER BY seq", { _ in }) { h in
            let seq = sqlite3_column_int64(h, 0)
            let incident = Int(sqlite3_column_int64(h, 1))
            physical += 1
            if firstAlert == nil { firstAlert = seq }
            guard seq > marks[incident]?.alerts ?? 0 else { return }
            let key = AlertKey(incident: incident, fingerprint: columnText(h, 2) ?? "")
            let firing = columnText(h, 3) == AlertStatus.firing.rawValue
            found[key] = InboxAlert(seq: seq, firing: firing, firingMoved: false, body: columnText(h, 4) ?? "")
            byIncident[incident, default: Waiting()].fingerprints.append(key.fingerprint)
        }
        var firstTimeline: Int64?
        try rows(db, "SELECT id, incident, at, kind, actor, message FROM timeline_inbox ORDER BY id", { _ in }) { h in
            let id = sqlite3_column_int64(h, 0)
            let incident = Int(sqlite3_column_int64(h, 1))
            physical += 1
            if firstTimeline == nil { firstTimeline = id }
            guard id > marks[incident]?.timeline ?? 0 else { return }
            byIncident[incident, default: Waiting()].timeline.append((id, Chunks.TimelineRecord(
                at: sqlite3_column_double(h, 2), kind: columnText(h, 3) ?? "", actor: columnText(h, 4), message: columnText(h, 5) ?? "")))
        }
        var delta: [Int: Int] = [:]
        for (key, a) in found {
            let before = try movedAlert(db, incident: key.incident, fingerprint: key.fingerprint)?.firing ?? false
            found[key]!.firingMoved = before
            delta[key.incident, default: 0] += (a.firing ? 1 : 0) - (before ? 1 : 0)
        }
        inbox = found
        movedSinceFront = true
        waiting = byIncident
        waitingRows = byIncident.values.reduce(0) { $0 + $1.count }
        physicalRows = physical
        alertFront = firstAlert ?? 0
        timelineFront = firstTimeline ?? 0
        firingDelta = delta
    }

    /// Moves every waiting row of the incident into chunks, in arrival order, and notes how far
    /// it moved. Everything of the incident in the chunks stays older than everything of it
    /// still waiting.
    private func move(_ db: Database, _ incident: Int) throws {
        guard let w = waiting.removeValue(forKey: incident) else { return }
        waitingRows -= w.count
        movedSinceFront = true
        var lastAlert: Int64 = 0
        if !w.fingerprints.isEmpty {
            var seqs: [(Int64, AlertKey)] = []
            seqs.reserveCapacity(w.fingerprints.count)
            for fp in w.fingerprints {
                let key = AlertKey(incident: incident, fingerprint: fp)
                if let a = inbox?[key] { seqs.append((a.seq, key)) }
            }
            seqs.sort { $0.0 < $1.0 }
            // Kept up if known (else read from the chunks, this move's included, on first use).
            // Taken out while it changes, so its dictionary is not copied.
            var known = moved.removeValue(forKey: incident)
            var chunk = Chunks.Writer()
            var inChunk: [(String, Bool)] = []
            func flush() throws {
                guard chunk.count > 0 else { return }
                try run(db, "INSERT INTO alert_chunks (incident, data) VALUES (?, ?)") { h in
                    sqlite3_bind_int64(h, 1, Int64(incident))
                    bindBlob(h, 2, chunk.bytes)
                }
                let id = db.lastInsertedRowID
                if known != nil {
                    for (fp, firing) in inChunk {
                        if known!.set(fp, chunk: id, firing: firing) { movedCount += 1 }
                    }
                }
                chunk = Chunks.Writer()
                inChunk.removeAll(keepingCapacity: true)
            }
            for (seq, key) in seqs {
                let a = inbox![key]!
                chunk.alert(Chunks.AlertRecord(fingerprint: key.fingerprint, firing: a.firing, body: a.body))
                inChunk.append((key.fingerprint, a.firing))
                firingDelta[incident, default: 0] -= (a.firing ? 1 : 0) - (a.firingMoved ? 1 : 0)
                inbox![key] = nil
                lastAlert = max(lastAlert, seq)
                if chunk.count >= Chunks.alertsPerChunk { try flush() }
            }
            try flush()
            if let known { moved[incident] = known }
            if firingDelta[incident] == 0 { firingDelta[incident] = nil }
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
            for (_, entry) in w.timeline {
                chunk.entry(entry)
                if chunk.count >= Chunks.entriesPerChunk { try flush() }
            }
            try flush()
        }
        try run(db, """
            INSERT INTO inbox_merged (incident, alerts_through, timeline_through) VALUES (?, ?, ?)
            ON CONFLICT(incident) DO UPDATE SET alerts_through = MAX(alerts_through, excluded.alerts_through),
                                                timeline_through = MAX(timeline_through, excluded.timeline_through)
            """) { h in
            sqlite3_bind_int64(h, 1, Int64(incident))
            sqlite3_bind_int64(h, 2, lastAlert)
            sqlite3_bind_int64(h, 3, w.timeline.last?.id ?? 0)
        }
    }

    /// The incident of the oldest row still waiting.
    private func oldestWaiting() -> Int? {
        var best: (Int64, Int)?
        for (incident, w) in waiting {
            if let id = w.timeline.first?.id, best == nil || id < best!.0 { best = (id, incident) }
        }
        let oldestTimeline = best
        var bestAlert: (Int64, Int)?
        for (key, a) in inbox ?? [:] where bestAlert == nil || a.seq < bestAlert!.0 { bestAlert = (a.seq, key.incident) }
        // Timeline rows and alerts count alike towards the inbox; move whichever front is further behind.
        switch (oldestTimeline, bestAlert) {
        case let (t?, a?): return (t.0 - timelineFront) >= (a.0 - alertFront) ? t.1 : a.1
        case let (t?, nil): return t.1
        case let (nil, a?): return a.1
        default: return nil
        }
    }

    /// Deletes the inbox rows in front of the oldest waiting one (all moved), and the marks
    /// that no longer guard a row.
    private func deleteFront(_ db: Database) throws {
        guard physicalRows > waitingRows, movedSinceFront else { return }
        movedSinceFront = false
        var alertCut = Int64.max
        for a in (inbox ?? [:]).values where a.seq < alertCut { alertCut = a.seq }
        var timelineCut = Int64.max
        for w in waiting.values { if let id = w.timeline.first?.id, id < timelineCut { timelineCut = id } }
        // Runs of at least 256 rows (or everything), not a few rows every transaction.
        let alertRun = alertCut == .max || alertCut - alertFront >= 256
        let timelineRun = timelineCut == .max || timelineCut - timelineFront >= 256
        // Not yet: the front cannot move before the next move does.
        guard alertRun || timelineRun else { return }
        if alertRun {
            try run(db, "DELETE FROM alert_inbox WHERE seq < ?") { h in sqlite3_bind_int64(h, 1, alertCut) }
            physicalRows -= db.changesCount
            alertFront = alertCut == .max ? 0 : alertCut
        }
        if timelineRun {
            try run(db, "DELETE FROM timeline_inbox WHERE id < ?") { h in sqlite3_bind_int64(h, 1, timelineCut) }
            physicalRows -= db.changesCount
            timelineFront = timelineCut == .max ? 0 : timelineCut
        }
        // An emptied table numbers its next row from 1 again (SQLite takes the largest row id
        // present plus one), so no mark may claim any of its numbers any more.
        if alertCut == .max { try run(db, "UPDATE inbox_merged SET alerts_through = 0 WHERE alerts_through != 0") { _ in } }
        if timelineCut == .max { try run(db, "UPDATE inbox_merged SET timeline_through = 0 WHERE timeline_through != 0") { _ in } }
        // A mark guards rows at or below it; with both fronts past it, none is left.
        try run(db, "DELETE FROM inbox_merged WHERE alerts_through < ? AND timeline_through < ?") { h in
            sqlite3_bind_int64(h, 1, alertCut == .max ? .max : alertFront)
            sqlite3_bind_int64(h, 2, timelineCut == .max ? .max : timelineFront)
        }
        if physicalRows == 0 { alertFront = 0; timelineFront = 0 }
    }

    /// Firing alerts of the incident, the inbox's included.
    func firingCount(_ db: Database, of incident: Int) throws -> Int {
        try movedAlerts(db, incident).firing + (firingDelta[incident] ?? 0)
    }

    /// The inbox rows of the incident's waiting alerts, oldest first (nil: not known yet).
    func waitingAlerts(of incident: Int) -> [Int64]? {
        guard let inbox else { return nil }
        guard let w = waiting[incident] else { return [] }
        return w.fingerprints.compactMap { inbox[AlertKey(incident: incident, fingerprint: $0)]?.seq }.sorted()
    }

    /// The incident's waiting timeline rows, oldest first (nil: not known yet).
    func waitingTimeline(of incident: Int) -> [Int64]? {
        guard inbox != nil else { return nil }
        return waiting[incident]?.timeline.map(\.id) ?? []
    }

    /// Where the alert waits in the inbox, if it does.
    func inboxSeq(incident: Int, fingerprint: String) -> Int64? {
        inbox?[AlertKey(incident: incident, fingerprint: fingerprint)]?.seq
    }

    func save(_ db: Database, _ alert: StoredAlert, body: String) throws {
        let key = AlertKey(incident: alert.incident, fingerprint: alert.alert.fingerprint)
        let firing = alert.alert.status == .firing
        if let existing = inbox?[key] {
            try run(db, "UPDATE alert_inbox SET status = ?, received_at = ?, body = ? WHERE seq = ?") { h in
                bindText(h, 1, alert.alert.status.rawValue)
                sqlite3_bind_double(h, 2, alert.receivedAt.timeIntervalSince1970)
                bindText(h, 3, body)
                sqlite3_bind_int64(h, 4, existing.seq)
            }
            firingDelta[key.incident, default: 0] += (firing ? 1 : 0) - (existing.firing ? 1 : 0)
            inbox![key]!.firing = firing
            inbox![key]!.body = body
        } else {
            let before = try movedAlert(db, incident: key.incident, fingerprint: key.fingerprint)?.firing ?? false
            try run(db, "INSERT INTO alert_inbox (incident, fingerprint, status, received_at, body) VALUES (?, ?, ?, ?, ?)") { h in
                sqlite3_bind_int64(h, 1, Int64(alert.incident))
                bindText(h, 2, alert.alert.fingerprint)
                bindText(h, 3, alert.alert.status.rawValue)
                sqlite3_bind_double(h, 4, alert.receivedAt.timeIntervalSince1970)
                bindText(h, 5, body)
            }
            let seq = db.lastInsertedRowID
            inbox![key] = InboxAlert(seq: seq, firing: firing, firingMoved: before, body: body)
            firingDelta[key.incident, default: 0] += (firing ? 1 : 0) - (before ? 1 : 0)
            waiting[key.incident, default: Waiting()].fingerprints.append(key.fingerprint)
            waitingRows += 1
            physicalRows += 1
            if alertFront == 0 { alertFront = seq }
        }
    }

    func timelineAppended(_ e: TimelineEntry, id: Int64) {
        let incident = e.incident
        waiting[incident, default: Waiting()].timeline.append((id, Chunks.TimelineRecord(at: e.at.timeIntervalSince1970, kind: e.kind, actor: e.actor, message: e.message)))
        waitingRows += 1
        physicalRows += 1
        if timelineFront == 0 { timelineFront = id }
    }
}
