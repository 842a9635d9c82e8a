import Foundation
import Testing
import KlaxonCore
import KlaxonEngine
import GRDB
@testable import KlaxonStore

/// Filed alerts and timeline entries live in chunks, many records to a row (`Chunks`), as refs
/// into the ingest log (`IngestLog`) or, from earlier releases, inline.
struct ChunkTests {
    let t0 = Date(timeIntervalSince1970: 1_795_420_800)

    /// A deterministic generator (the same runs every time).
    struct Rand {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        mutating func text() -> String {
            let pieces = ["", "a", "é", "日本", "\u{0}", "🚨", "x y", String(repeating: "z", count: 200), "\"quoted\""]
            return (0..<next(4)).map { _ in pieces[next(pieces.count)] }.joined()
        }
    }

    /// What an alert chunk and a timeline chunk read back as.
    func readBack(_ a: Chunks.Writer, _ t: Chunks.Writer) throws -> ([Chunks.AlertRecord], [Chunks.TimelineItem]) {
        var alerts: [Chunks.AlertRecord] = []
        var items: [Chunks.TimelineItem] = []
        try a.bytes.withUnsafeBytes { b in try Chunks.alerts(b) { alerts.append($0) } }
        try t.bytes.withUnsafeBytes { b in try Chunks.entries(b) { items.append($0) } }
        return (alerts, items)
    }

    /// Format 1 chunks (the records themselves, as releases before the log wrote them).
    @Test func inlineRecordsReadBackAsWritten() throws {
        var rand = Rand(state: 7)
        for _ in 0..<200 {
            var alerts: [(String, Bool, String)] = []
            var entries: [Chunks.TimelineRecord] = []
            var a = Chunks.Writer(format: Chunks.inlineFormat), t = Chunks.Writer(format: Chunks.inlineFormat)
            for i in 0..<rand.next(40) {
                let r = ("\(i)-" + rand.text(), rand.next(2) == 0, rand.text())
                alerts.append(r)
                a.alert(fingerprint: r.0, firing: r.1, body: r.2)
            }
            for _ in 0..<rand.next(40) {
                let at = [0, -1.5, 1_795_420_800.123456, .greatestFiniteMagnitude][rand.next(4)]
                let r = Chunks.TimelineRecord(at: at, kind: rand.text(), actor: rand.next(3) == 0 ? nil : rand.text(), message: rand.text())
                entries.append(r)
                t.entry(r)
            }
            let (readAlerts, items) = try readBack(a, t)
            let readEntries = items.compactMap { if case .inline(let e) = $0 { e } else { nil } }
            #expect(readAlerts.map(\.fingerprint) == alerts.map(\.0))
            #expect(readAlerts.map(\.firing) == alerts.map(\.1))
            #expect(readAlerts.map(\.body) == alerts.map { .inline($0.2) })
            #expect(readEntries == entries, "every entry inline, as written")
            // Every alert is found by its fingerprint; one that is not there is not.
            for r in alerts {
                let found = try a.bytes.withUnsafeBytes { b in try Chunks.alert(b, fingerprint: r.0) }
                #expect(found?.body == .inline(r.2) && found?.firing == r.1)
            }
            #expect(try a.bytes.withUnsafeBytes { b in try Chunks.alert(b, fingerprint: "absent") } == nil)
        }
    }

    /// Format 2 chunks (refs into the log) and the log's own records read back as written.
    @Test func logRecordsAndRefsReadBackAsWritten() throws {
        var rand = Rand(state: 11)
        for round in 0..<200 {
            var log: [UInt8] = []
            var alerts: [(incident: Int, fp: String, firing: Bool, body: String, ref: Chunks.Ref)] = []
            var entries: [(incident: Int, entry: Chunks.TimelineRecord, ref: Chunks.Ref)] = []
            var kinds: [Bool] = []
            for i in 0..<(1 + rand.next(40)) {
                let incident = [1, 127, 128, 1 << 40][rand.next(4)]
                if rand.next(2) == 0 {
                    let (fp, firing, body) = ("\(i)-" + rand.text(), rand.next(2) == 0, rand.text())
                    let (offset, length) = IngestLog.appendAlert(into: &log, incident: incident, fingerprint: fp, firing: firing, body: body)
                    alerts.append((incident, fp, firing, body, Chunks.Ref(log: Int64(round + 1), offset: offset, length: length)))
                    kinds.append(true)
                } else {
                    let at = [0, -1.5, 1_795_420_800.123456, .greatestFiniteMagnitude][rand.next(4)]
                    let e = Chunks.TimelineRecord(at: at, kind: rand.text(), actor: rand.next(3) == 0 ? nil : rand.text(), message: rand.text())
                    let (offset, length) = IngestLog.appendEntry(into: &log, incident: incident, e)
                    entries.append((incident, e, Chunks.Ref(log: Int64(round + 1), offset: offset, length: length)))
                    kinds.append(false)
                }
            }
            #expect(log.first == IngestLog.format)
            // Scanned in order, each with its incident and ref; each read back from its bytes.
            var scanned: [IngestLog.Scanned] = []
            var readAlerts: [(String, Bool, String)] = []
            var readEntries: [Chunks.TimelineRecord] = []
            try log.withUnsafeBytes { b in
                try IngestLog.records(b, log: Int64(round + 1)) { r in
                    scanned.append(r)
                    if r.isAlert {
                        readAlerts.append(try IngestLog.alert(r.bytes))
                        let head = try IngestLog.alertHead(r.bytes)
                        #expect(head.fingerprint == readAlerts.last!.0 && head.firing == readAlerts.last!.1)
                    } else {
                        readEntries.append(try IngestLog.entry(r.bytes))
                    }
                }
            }
            #expect(scanned.map(\.isAlert) == kinds)
            #expect(scanned.filter(\.isAlert).map(\.ref) == alerts.map(\.ref))
            #expect(scanned.filter { !$0.isAlert }.map(\.ref) == entries.map(\.ref))
            #expect(scanned.filter(\.isAlert).map(\.incident) == alerts.map(\.incident))
            #expect(readAlerts.map(\.0) == alerts.map(\.fp) && readAlerts.map(\.1) == alerts.map(\.firing) && readAlerts.map(\.2) == alerts.map(\.body))
            #expect(readEntries == entries.map(\.entry))
            // A chunk of refs to them.
            var a = Chunks.Writer(), t = Chunks.Writer()
            for r in alerts { a.alert(fingerprint: r.fp, firing: r.firing, at: r.ref) }
            for e in entries { t.entry(at: e.ref) }
            let (chunkAlerts, items) = try readBack(a, t)
            let chunkEntries = items.compactMap { if case .log(let ref) = $0 { ref } else { nil } }
            #expect(chunkAlerts.map(\.fingerprint) == alerts.map(\.fp))
            #expect(chunkAlerts.map(\.firing) == alerts.map(\.firing))
            #expect(chunkAlerts.map(\.body) == alerts.map { .log($0.ref) })
            #expect(chunkEntries == entries.map(\.ref))
            for r in alerts {
                let found = try a.bytes.withUnsafeBytes { b in try Chunks.alert(b, fingerprint: r.fp) }
                #expect(found?.body == .log(r.ref) && found?.firing == r.firing)
            }
            #expect(try a.bytes.withUnsafeBytes { b in try Chunks.alert(b, fingerprint: "absent") } == nil)
        }
    }

    /// A damaged blob is refused with SQLITE_CORRUPT, whatever the damage; it never crashes.
    @Test func aDamagedChunkOrLogRowIsAnErrorNotACrash() throws {
        var a = Chunks.Writer(format: Chunks.inlineFormat), t = Chunks.Writer(format: Chunks.inlineFormat)
        a.alert(fingerprint: "fp1", firing: true, body: "{\"x\":1}")
        a.alert(fingerprint: "", firing: false, body: "")
        t.entry(Chunks.TimelineRecord(at: 1, kind: "alert.firing", actor: "am", message: "Firing: x"))
        t.entry(Chunks.TimelineRecord(at: 2, kind: "note", actor: nil, message: ""))
        var ra = Chunks.Writer(), rt = Chunks.Writer()
        ra.alert(fingerprint: "fp1", firing: true, at: Chunks.Ref(log: 300, offset: 1, length: 40))
        ra.alert(fingerprint: "", firing: false, at: Chunks.Ref(log: 1, offset: 200, length: 1))
        rt.entry(at: Chunks.Ref(log: 1 << 40, offset: 0, length: 5))
        var log: [UInt8] = []
        _ = IngestLog.appendAlert(into: &log, incident: 3, fingerprint: "fp1", firing: true, body: "{}")
        _ = IngestLog.appendEntry(into: &log, incident: 300, Chunks.TimelineRecord(at: 1, kind: "note", actor: "p", message: "m"))
        /// Whether `read` took the bytes; a refusal must be SQLITE_CORRUPT.
        func accepted(_ read: () throws -> Void) -> Bool {
            do {
                try read()
                return true
            } catch let e as DatabaseError {
                #expect(e.resultCode == .SQLITE_CORRUPT)
                return false
            } catch {
                Issue.record("unexpected error \(error)")
                return false
            }
        }
        func attempt(_ bytes: [UInt8]) -> Bool {
            accepted {
                try bytes.withUnsafeBytes { b in
                    try Chunks.alerts(b) { _ in }
                    _ = try Chunks.alert(b, fingerprint: "fp1")
                    try Chunks.entries(b) { _ in }
                }
            }
        }
        func attemptLog(_ bytes: [UInt8]) -> Bool {
            accepted {
                try bytes.withUnsafeBytes { b in
                    try IngestLog.records(b, log: 1) { r in
                        if r.isAlert { _ = try IngestLog.alert(r.bytes); _ = try IngestLog.alertHead(r.bytes) } else { _ = try IngestLog.entry(r.bytes) }
                    }
                    // A record read by a ref that does not fit it.
                    for start in 0..<b.count {
                        let r = UnsafeRawBufferPointer(rebasing: b[start...])
                        _ = try? IngestLog.alert(r)
                        _ = try? IngestLog.entry(r)
                    }
                }
            }
        }
        #expect(!attempt([]), "an empty blob")
        #expect(!attemptLog([]), "an empty log row")
        #expect(!attempt([9] + Array(a.bytes.dropFirst())), "an unknown format")
        #expect(!attemptLog([9] + Array(log.dropFirst())), "an unknown log format")
        #expect(!attemptLog(log + [7, 1]), "an unknown record tag")
        for (whole, check) in [(a.bytes, attempt), (t.bytes, attempt), (ra.bytes, attempt), (rt.bytes, attempt), (log, attemptLog)] {
            for cut in 1..<whole.count { _ = check(Array(whole.prefix(cut))) }
            var rand = Rand(state: UInt64(whole.count))
            for _ in 0..<2_000 {
                var bytes = whole
                for _ in 0...rand.next(3) { bytes[1 + rand.next(bytes.count - 1)] = UInt8(rand.next(256)) }
                _ = check(bytes)
            }
        }
        // A length that runs past the end.
        #expect(!attempt([Chunks.inlineFormat, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]))
        #expect(!attempt([Chunks.refFormat, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]))
        #expect(!attemptLog([IngestLog.format, IngestLog.alertTag, 1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]))
    }

    /// A chunk damaged on disk makes its incident's reads fail with SQLITE_CORRUPT (an error the
    /// API turns into its JSON 500), never a crash; other incidents go on as before.
    @Test func aDamagedChunkFailsOnlyItsIncident() async throws {
        let db = TempDB()
        let t0 = self.t0
        let store = try SQLiteStore(path: db.path, inboxLimit: 0)
        try await store.write { tx in
            for n in 1...2 {
                try tx.save(IncidentRecord(number: n, key: "k\(n)", integration: "x", title: "t", severity: .p2, category: .other,
                                           team: "ml-platform", policy: nil, playbook: nil, openedAt: t0))
                try tx.save(StoredAlert(incident: n, alert: Alert(fingerprint: "a", status: .firing, summary: "a\(n)"), severity: .p2, receivedAt: t0))
            }
        }
        try await store.mergeInbox()
        try await store.pool.write { db in
            try db.execute(sql: "UPDATE alert_chunks SET data = x'01017fff' WHERE incident = 1")
        }
        for inWriter in [false, true] {
            @Sendable func one(_ tx: any StoreTransaction) throws -> [StoredAlert] { try tx.alerts(of: 1) }
            @Sendable func two(_ tx: any StoreTransaction) throws -> [String] { try tx.alerts(of: 2).map(\.alert.summary) }
            do {
                _ = inWriter ? try await store.write(one) : try await store.read(one)
                Issue.record("a damaged chunk was read as alerts")
            } catch let e as DatabaseError {
                #expect(e.resultCode == .SQLITE_CORRUPT)
            }
            #expect(try await (inWriter ? store.write(two) : store.read(two)) == ["a2"])
        }
        // The writer's lookup of the damaged incident's alert fails; the other incident's works.
        await #expect(throws: DatabaseError.self) {
            try await store.write { tx in _ = try tx.alert(of: 1, fingerprint: "a") }
        }
        try await store.write { tx in
            try tx.save(StoredAlert(incident: 2, alert: Alert(fingerprint: "a", status: .resolved, summary: "a2-2"), severity: .p2, receivedAt: t0))
        }
        #expect(try await store.read { tx in try tx.alerts(of: 2).map(\.alert.summary) } == ["a2-2"])
    }

    /// The ingest path writes each alert's timeline entry from its parts; the record must be
    /// byte for byte the one of the joined entry, and read back the same, waiting or filed.
    @Test func anAlertEntryFromItsPartsIsTheJoinedEntry() async throws {
        let t0 = self.t0
        let summaries = ["", "bench alert i1-1", "ünïcödé ✓ \u{1F6A8}", String(repeating: "x", count: 300)]
        let cases: [(AlertStatus, Bool, Bool, String)] = [AlertStatus.firing, .resolved].flatMap { status in
            [false, true].flatMap { wasFiring in [false, true].flatMap { acknowledged in summaries.map { (status, wasFiring, acknowledged, $0) } } }
        }
        for (status, wasFiring, acknowledged, summary) in cases {
            let joined = IncidentService.alertEntry(incident: 7, at: t0, actor: "am", status: status, summary: summary,
                                                    wasFiring: wasFiring, acknowledged: acknowledged)
            let parts = IncidentService.alertEntryParts(status: status, wasFiring: wasFiring, acknowledged: acknowledged)
            var a: [UInt8] = [], b: [UInt8] = []
            _ = IngestLog.appendEntry(into: &a, incident: 7, at: t0.timeIntervalSince1970, kind: joined.kind, actor: joined.actor, message: joined.message)
            _ = IngestLog.appendEntry(into: &b, incident: 7, at: t0.timeIntervalSince1970, kind: parts.kind, actor: "am",
                                      message: parts.prefix, summary, parts.suffix)
            #expect(a == b, "\(status) \(wasFiring) \(acknowledged) \(summary)")
        }
        // Through a store: incident 1 from the parts, incident 2 joined; waiting, then filed.
        let db = TempDB()
        let store = try SQLiteStore(path: db.path, inboxLimit: 1000)
        try await store.write { tx in
            for n in 1...2 {
                try tx.save(IncidentRecord(number: n, key: "k\(n)", integration: "x", title: "t", severity: .p2, category: .other,
                                           team: "ml-platform", policy: nil, playbook: nil, openedAt: t0))
            }
            for (status, wasFiring, acknowledged, summary) in cases {
                try tx.appendAlertEntry(incident: 1, at: t0, actor: "am", status: status, summary: summary, wasFiring: wasFiring, acknowledged: acknowledged)
                try tx.append(IncidentService.alertEntry(incident: 2, at: t0, actor: "am", status: status, summary: summary,
                                                         wasFiring: wasFiring, acknowledged: acknowledged))
            }
        }
        for filed in [false, true] {
            if filed { try await store.mergeInbox() }
            let (one, two) = try await store.read { tx in (try tx.timeline(of: 1), try tx.timeline(of: 2)) }
            #expect(one.count == cases.count)
            #expect(one.map { [$0.kind, $0.actor ?? "-", $0.message] } == two.map { [$0.kind, $0.actor ?? "-", $0.message] })
            #expect(one.map(\.at) == two.map(\.at))
            #expect(one.first?.message == "Firing: " && one.last?.message == "Resolved: " + summaries.last!)
        }
    }

    /// A log row damaged on disk (or a ref that does not fit it) makes the reads that need it
    /// fail with SQLITE_CORRUPT, never a crash; records in other rows read as before.
    @Test func aDamagedLogRowIsAnErrorNotACrash() async throws {
        let db = TempDB()
        let t0 = self.t0
        for filed in [false, true] {
            let store = try SQLiteStore(path: db.path + "\(filed)", inboxLimit: 1000)
            try await store.write { tx in
                for n in 1...2 {
                    try tx.save(IncidentRecord(number: n, key: "k\(n)", integration: "x", title: "t", severity: .p2, category: .other,
                                               team: "ml-platform", policy: nil, playbook: nil, openedAt: t0))
                }
                try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "a", status: .firing, summary: "a1"), severity: .p2, receivedAt: t0))
                try tx.append(TimelineEntry(incident: 1, at: t0, kind: "note", actor: nil, message: "one"))
            }
            try await store.write { tx in
                try tx.save(StoredAlert(incident: 2, alert: Alert(fingerprint: "a", status: .firing, summary: "a2"), severity: .p2, receivedAt: t0))
            }
            if filed { try await store.mergeInbox() }
            // Incident 1's row loses its last bytes: the records no longer fit.
            try await store.pool.write { db in
                try db.execute(sql: "UPDATE ingest_log SET data = substr(data, 1, length(data) - 3) WHERE id = 1")
            }
            let reopened = try SQLiteStore(path: db.path + "\(filed)", inboxLimit: 1000)
            for s in [store, reopened] {
                for inWriter in [false, true] {
                    @Sendable func one(_ tx: any StoreTransaction) throws -> Int { try tx.alerts(of: 1).count + tx.timeline(of: 1).count }
                    @Sendable func two(_ tx: any StoreTransaction) throws -> [String] { try tx.alerts(of: 2).map(\.alert.summary) }
                    do {
                        _ = inWriter ? try await s.write(one) : try await s.read(one)
                        Issue.record("a damaged log row was read (filed: \(filed), writer: \(inWriter))")
                    } catch let e as DatabaseError {
                        #expect(e.resultCode == .SQLITE_CORRUPT)
                    }
                    if filed {
                        // Filed, incident 2's records are read by ref.
                        #expect(try await (inWriter ? s.write(two) : s.read(two)) == ["a2"], "filed: \(filed), writer: \(inWriter)")
                    } else {
                        // Waiting records are found by scanning the log from the front, past the
                        // damaged row: on a reader, or a writer reading its memory back (as it
                        // does after any failed transaction).
                        do {
                            _ = inWriter ? try await s.write(two) : try await s.read(two)
                            Issue.record("a scan read past a damaged log row")
                        } catch let e as DatabaseError {
                            #expect(e.resultCode == .SQLITE_CORRUPT)
                        }
                    }
                }
            }
        }
    }

    /// The writer keeps Alertmanager-shaped fingerprints by value: no two fingerprints may meet.
    @Test func movedAlertKeysNeverConfuseTwoFingerprints() {
        #expect(WriterState.Moved.hexValue("00000000000000ab") == 0xab)
        #expect(WriterState.Moved.hexValue("ffffffffffffffff") == .max)
        for notHex in ["00000000000000AB", "00000000000000a", "000000000000000ab", "00000000000000ag", "", "0x000000000000ab", "٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠٠"] {
            #expect(WriterState.Moved.hexValue(notHex) == nil, "\(notHex)")
        }
        typealias Key = WriterState.FingerprintKey
        // One form per fingerprint: Alertmanager's by value, any other as its string, and each
        // written back exactly as it came.
        #expect(Key("00000000000000ab") == .hex(0xab))
        #expect(Key("00000000000000AB") == .text("00000000000000AB"))
        for fp in ["00000000000000ab", "0123456789abcdef", "ffffffffffffffff", "0000000000000000", "00000000000000AB", "ab", "", "ü-fingerprint"] {
            #expect(Key(fp).withUTF8 { Array($0) } == Array(fp.utf8))
        }
        let m = WriterState.Moved()
        let keys = ["00000000000000ab", "00000000000000AB", "ab", "171", "0000000000000171"].map(Key.init)
        for (i, k) in keys.enumerated() {
            let new = m.set(k, chunk: Int64(i), firing: i % 2 == 0)
            #expect(new)
        }
        #expect(m.count == keys.count)
        for (i, k) in keys.enumerated() { #expect(m[k]?.chunk == Int64(i) && m[k]?.firing == (i % 2 == 0)) }
        #expect(m.firing == 3)
        // A later version replaces the earlier one and keeps the count of firing alerts right.
        let again = [m.set(Key("00000000000000ab"), chunk: 9, firing: false), m.set(Key("ab"), chunk: 9, firing: false), m.set(Key("00000000000000AB"), chunk: 9, firing: true)]
        #expect(again == [false, false, false])
        #expect(m.firing == 2)
        #expect(m.count == keys.count)
        #expect(m[Key("00000000000000cd")] == nil && m[Key("cd")] == nil)
        // In the writer's tables the two forms of one value never meet.
        var table: [WriterState.AlertKey: Int] = [:]
        for (i, k) in keys.enumerated() { table[WriterState.AlertKey(incident: 1, fingerprint: k)] = i }
        table[WriterState.AlertKey(incident: 2, fingerprint: Key("00000000000000ab"))] = 99
        #expect(table.count == keys.count + 1)
        for (i, k) in keys.enumerated() { #expect(table[WriterState.AlertKey(incident: 1, fingerprint: k)] == i) }
    }

    /// One incident's move of more alerts than a chunk holds makes several chunks; every lookup,
    /// count and list still answers as before, in the writer and on a reader, and after reopening.
    @Test func aLargeMoveSplitsIntoChunks() async throws {
        let db = TempDB()
        let t0 = self.t0
        var store = try SQLiteStore(path: db.path, inboxLimit: 1, mergeChunk: 1)
        try await store.write { tx in
            try tx.save(IncidentRecord(number: 1, key: "k", integration: "x", title: "t", severity: .p2, category: .other,
                                       team: "ml-platform", policy: nil, playbook: nil, openedAt: t0))
        }
        let n = Chunks.alertsPerChunk * 2 + 100
        try await store.write { tx in
            for i in 0..<n {
                try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "f\(i)", status: i % 3 == 0 ? .resolved : .firing, summary: "s\(i)"),
                                        severity: .p2, receivedAt: t0))
            }
            for i in 0..<(Chunks.entriesPerChunk + 10) {
                try tx.append(TimelineEntry(incident: 1, at: t0, kind: "note", actor: i % 2 == 0 ? nil : "p", message: "m\(i)"))
            }
        }
        // The next write moves them.
        try await store.write { tx in
            try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "f5", status: .resolved, summary: "s5-2"), severity: .p2, receivedAt: t0))
        }
        let (alertChunks, timelineChunks) = try await store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alert_chunks")!, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM timeline_chunks")!)
        }
        #expect(alertChunks == 3)
        #expect(timelineChunks == 2)
        let firing = (0..<n).filter { $0 % 3 != 0 && $0 != 5 }.count
        for round in 0..<2 {
            for inWriter in [true, false] {
                @Sendable func read(_ tx: any StoreTransaction) throws -> ([String], Int, [String], String?, String?, String?) {
                    (try tx.alerts(of: 1).map { "\($0.alert.fingerprint)=\($0.alert.summary)" }, try tx.firingAlertCount(of: 1),
                     try tx.timeline(of: 1).map { "\($0.actor ?? "-") \($0.message)" },
                     try tx.alert(of: 1, fingerprint: "f5")?.alert.summary, try tx.alert(of: 1, fingerprint: "f\(n - 1)")?.alert.summary,
                     try tx.alert(of: 1, fingerprint: "nope")?.alert.summary)
                }
                let (list, count, timeline, f5, last, none) = inWriter ? try await store.write(read) : try await store.read(read)
                #expect(list == (0..<n).map { "f\($0)=s\($0)\($0 == 5 ? "-2" : "")" }, "round \(round), writer \(inWriter)")
                #expect(count == firing)
                #expect(timeline == (0..<(Chunks.entriesPerChunk + 10)).map { "\($0 % 2 == 0 ? "-" : "p") m\($0)" })
                #expect(f5 == "s5-2")
                #expect(last == "s\(n - 1)")
                #expect(none == nil)
            }
            try await store.mergeInbox()
            store = try SQLiteStore(path: db.path, inboxLimit: 1, mergeChunk: 1)
        }
    }
}

/// A database written by the previous release (schema v5: moved rows in `alerts` and
/// `timeline`, some waiting in the inbox) opens with its moved rows in chunks, nothing lost and
/// nothing out of order.
struct MigrationV6Tests {
    @Test func aVersion5DatabaseBecomesChunks() async throws {
        let many = Chunks.alertsPerChunk + 50
        let db = try await earlierDatabase(upTo: "v5: inbox moves by incident") { db in
            try db.execute(sql: "INSERT INTO incidents (number, key, status, opened_at, body) SELECT 2, 'k2', status, opened_at, replace(body, '\"number\":1', '\"number\":2') FROM incidents WHERE number = 1")
            func insert(_ table: String, _ incident: Int, _ fp: String, _ status: String, _ summary: String) throws {
                let body = StoredAlertJSON.encode(StoredAlert(incident: incident, alert: Alert(fingerprint: fp, status: AlertStatus(rawValue: status)!, summary: summary),
                                                              severity: .p2, receivedAt: Date(timeIntervalSince1970: 0)))
                try db.execute(sql: "INSERT INTO \(table) (incident, fingerprint, status, received_at, body) VALUES (?, ?, ?, 0, ?)", arguments: [incident, fp, status, body])
            }
            // Incident 1: more moved alerts than one chunk holds, interleaved with incident 2's.
            for i in 0..<many {
                try insert("alerts", 1, "z\(many - i)", i % 4 == 0 ? "resolved" : "firing", "one-\(i)")
                if i % 100 == 0 { try insert("alerts", 2, "b\(i)", "firing", "two-\(i)") }
            }
            for i in 0..<30 {
                try db.execute(sql: "INSERT INTO timeline (incident, at, kind, actor, message) VALUES (?, ?, 'note', ?, ?)",
                               arguments: [1 + i % 2, Double(i), i % 3 == 0 ? nil : "p\(i)", "t\(i)"])
            }
            // Waiting in the inbox: a newer version of a moved alert of incident 2, and one row
            // that had already moved (at or below its mark), which readers must skip.
            try insert("alert_inbox", 2, "b0", "firing", "two-0 stale copy")
            try insert("alert_inbox", 2, "b0", "resolved", "two-0 again")
            try db.execute(sql: "INSERT INTO inbox_merged (incident, alerts_through, timeline_through) VALUES (2, 1, 0)")
            try db.execute(sql: "INSERT INTO timeline_inbox (incident, at, kind, actor, message) VALUES (2, 99, 'note', NULL, 'waiting')")
        }
        let store = try SQLiteStore(path: db.path, inboxLimit: 1000)
        let tables = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(!tables.contains("alerts") && !tables.contains("timeline"))
        let chunks = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alert_chunks WHERE incident = 1") }
        #expect(chunks == 2)
        let one = (0..<many).map { "z\(many - $0)=one-\($0)" }
        let two = [0, 100, 200, 300].filter { $0 < many }.map { "b\($0)=two-\($0)\($0 == 0 ? " again" : "")" }
        for inWriter in [false, true] {
            @Sendable func read(_ tx: any StoreTransaction) throws -> ([String], [String], Int, Int, [String], [String], String?) {
                (try tx.alerts(of: 1).map { "\($0.alert.fingerprint)=\($0.alert.summary)" },
                 try tx.alerts(of: 2).map { "\($0.alert.fingerprint)=\($0.alert.summary)" },
                 try tx.firingAlertCount(of: 1), try tx.firingAlertCount(of: 2),
                 try tx.timeline(of: 1).map { "\($0.actor ?? "-") \($0.message)" }, try tx.timeline(of: 2).map(\.message),
                 try tx.alert(of: 1, fingerprint: "z1")?.alert.summary)
            }
            let (a1, a2, f1, f2, t1, t2, z1) = inWriter ? try await store.write(read) : try await store.read(read)
            #expect(a1 == one)
            #expect(a2 == two)
            #expect(f1 == (0..<many).filter { $0 % 4 != 0 }.count)
            #expect(f2 == two.count - 1)
            #expect(t1 == stride(from: 0, to: 30, by: 2).map { "\($0 % 3 == 0 ? "-" : "p\($0)") t\($0)" })
            #expect(t2 == stride(from: 1, to: 30, by: 2).map { "t\($0)" } + ["waiting"])
            #expect(z1 == "one-\(many - 1)")
        }
    }
}

/// A database written by the previous release (schema v6: alerts waiting in the inbox tables,
/// some already moved) opens with its waiting rows filed as chunks, nothing lost and nothing
/// out of order, and new records go to the log.
struct MigrationV7Tests {
    @Test func aVersion6InboxBecomesChunks() async throws {
        let db = try await earlierDatabase(upTo: "v6: alert and timeline chunks") { db in
            func body(_ fp: String, _ status: String, _ summary: String) -> String {
                StoredAlertJSON.encode(StoredAlert(incident: 1, alert: Alert(fingerprint: fp, status: AlertStatus(rawValue: status)!, summary: summary),
                                                   severity: .p2, receivedAt: Date(timeIntervalSince1970: 0)))
            }
            var chunk = Chunks.Writer(format: Chunks.inlineFormat)
            chunk.alert(fingerprint: "m", firing: true, body: body("m", "firing", "m1"))
            chunk.alert(fingerprint: "n", firing: true, body: body("n", "firing", "n1"))
            try db.execute(sql: "INSERT INTO alert_chunks (incident, data) VALUES (1, ?)", arguments: [Data(chunk.bytes)])
            var entries = Chunks.Writer(format: Chunks.inlineFormat)
            entries.entry(Chunks.TimelineRecord(at: 0, kind: "note", actor: "p", message: "first"))
            try db.execute(sql: "INSERT INTO timeline_chunks (incident, data) VALUES (1, ?)", arguments: [Data(entries.bytes)])
            // Waiting: a row already moved (at its mark), a newer version of "m", a new one.
            for (fp, status, summary) in [("x", "firing", "moved copy"), ("m", "resolved", "m2"), ("z", "firing", "z1")] {
                try db.execute(sql: "INSERT INTO alert_inbox (incident, fingerprint, status, received_at, body) VALUES (1, ?, ?, 0, ?)",
                               arguments: [fp, status, body(fp, status, summary)])
            }
            try db.execute(sql: "INSERT INTO timeline_inbox (incident, at, kind, actor, message) VALUES (1, 1, 'note', NULL, 'moved copy')")
            try db.execute(sql: "INSERT INTO timeline_inbox (incident, at, kind, actor, message) VALUES (1, 2, 'note', NULL, 'second')")
            try db.execute(sql: "INSERT INTO inbox_merged (incident, alerts_through, timeline_through) VALUES (1, 1, 1)")
        }
        let store = try SQLiteStore(path: db.path, inboxLimit: 1000)
        let tables = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'") }
        #expect(!tables.contains("alert_inbox") && !tables.contains("timeline_inbox") && !tables.contains("inbox_merged"))
        @Sendable func read(_ tx: any StoreTransaction) throws -> ([String], [String], Int, String?) {
            (try tx.alerts(of: 1).map { "\($0.alert.fingerprint)=\($0.alert.summary)" }, try tx.timeline(of: 1).map(\.message),
             try tx.firingAlertCount(of: 1), try tx.alert(of: 1, fingerprint: "m")?.alert.summary)
        }
        #expect(try await store.read(read) == (["m=m2", "n=n1", "z=z1"], ["first", "second"], 2, "m2"))
        #expect(try await store.write(read) == (["m=m2", "n=n1", "z=z1"], ["first", "second"], 2, "m2"))
        #expect(try await movedAlerts(store) == ["m=firing", "n=firing", "m=resolved", "z=firing"])
        try await store.write { tx in
            try tx.save(StoredAlert(incident: 1, alert: Alert(fingerprint: "n", status: .resolved, summary: "n2"), severity: .p2, receivedAt: Date(timeIntervalSince1970: 5)))
            try tx.append(TimelineEntry(incident: 1, at: Date(timeIntervalSince1970: 5), kind: "note", actor: nil, message: "third"))
        }
        #expect(try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ingest_log") } == 1)
        for s in [store, try SQLiteStore(path: db.path, inboxLimit: 0)] {
            #expect(try await s.read(read) == (["m=m2", "n=n2", "z=z1"], ["first", "second", "third"], 1, "m2"))
            #expect(try await s.write(read) == (["m=m2", "n=n2", "z=z1"], ["first", "second", "third"], 1, "m2"))
        }
    }
}

extension Chunks.Writer {
    /// An alert version as a ref, its fingerprint given as the text sources send.
    mutating func alert(fingerprint: String, firing: Bool, at ref: Chunks.Ref) {
        alert(fingerprint: WriterState.FingerprintKey(fingerprint), firing: firing, at: ref)
    }
}
