import Foundation
import GRDB
import GRDBSQLite

/// The ingest log: each write transaction's new alert versions and timeline entries, whatever
/// their incidents, appended as one row of `ingest_log` (schema v7). A group commit of many
/// alerts thus inserts one row into a table ordered by row id only: a few sequential pages, no
/// index, no row or statement per alert. (Until v7 each alert and each timeline entry was a row
/// of the inbox tables, and a move later copied it into the chunks and deleted it; the writer
/// spent about 30 µs per alert under `make bench` and 18 µs without those rows.)
///
/// Records stay in the log for good; per incident they are later filed into its chunks as
/// references (see `Chunks`, format 2, and `WriterState`), so an incident's records are found
/// through its chunks without reading the log from the start.
///
/// Blob layout: a format byte (1), then records, each a tag byte and the incident (varint):
/// - alert (tag 1): a flags byte (bit 0: firing), the fingerprint and the stored alert's JSON,
///   each as a varint length and UTF-8 bytes;
/// - timeline entry (tag 2): `at` as 8 bytes (a Double's bits), then kind, actor and message as
///   varint length and bytes; the actor's length is stored plus one, 0 for none.
///
/// A record is addressed by a `Chunks.Ref`: its row, and its offset and length in the blob.
enum IngestLog {
    static let format: UInt8 = 1
    static let alertTag: UInt8 = 1
    static let entryTag: UInt8 = 2

    /// Appends an alert version to a log row's bytes (which start empty); its offset and length.
    static func appendAlert(into bytes: inout [UInt8], incident: Int, fingerprint: String, firing: Bool, body: String) -> (offset: Int, length: Int) {
        var body = body
        return body.withUTF8 { appendAlert(into: &bytes, incident: incident, fingerprint: fingerprint, firing: firing, body: $0) }
    }

    static func appendAlert(into bytes: inout [UInt8], incident: Int, fingerprint: String, firing: Bool, body: UnsafeBufferPointer<UInt8>) -> (offset: Int, length: Int) {
        if bytes.isEmpty { bytes.append(format) }
        let start = bytes.count
        bytes.append(alertTag)
        Chunks.varint(UInt64(incident), into: &bytes)
        bytes.append(firing ? 1 : 0)
        Chunks.put(fingerprint, into: &bytes)
        Chunks.varint(UInt64(body.count), into: &bytes)
        bytes.append(contentsOf: body)
        return (start, bytes.count - start)
    }

    /// Appends a timeline entry; its offset and length.
    static func appendEntry(into bytes: inout [UInt8], incident: Int, _ entry: Chunks.TimelineRecord) -> (offset: Int, length: Int) {
        appendEntry(into: &bytes, incident: incident, at: entry.at, kind: entry.kind, actor: entry.actor, message: entry.message)
    }

    /// The same from the entry's parts, its message in three pieces.
    static func appendEntry(into bytes: inout [UInt8], incident: Int, at: Double, kind: StaticString, actor: String,
                            message prefix: StaticString, _ middle: String, _ suffix: StaticString) -> (offset: Int, length: Int) {
        appendEntry(into: &bytes, incident: incident) { Chunks.put(at: at, kind: kind, actor: actor, message: prefix, middle, suffix, into: &$0) }
    }

    /// The same from the entry's fields.
    static func appendEntry(into bytes: inout [UInt8], incident: Int, at: Double, kind: String, actor: String?, message: String) -> (offset: Int, length: Int) {
        appendEntry(into: &bytes, incident: incident) { Chunks.put(at: at, kind: kind, actor: actor, message: message, into: &$0) }
    }

    /// A timeline record's head (its tag and incident), then its fields as `fields` writes them.
    @inline(__always) private static func appendEntry(into bytes: inout [UInt8], incident: Int,
                                                      _ fields: (inout [UInt8]) -> Void) -> (offset: Int, length: Int) {
        if bytes.isEmpty { bytes.append(format) }
        let start = bytes.count
        bytes.append(entryTag)
        Chunks.varint(UInt64(incident), into: &bytes)
        fields(&bytes)
        return (start, bytes.count - start)
    }

    /// A record found by `records`: its bytes are valid only inside the callback.
    struct Scanned {
        var isAlert: Bool
        var incident: Int
        var ref: Chunks.Ref
        var bytes: UnsafeRawBufferPointer
    }

    /// Each record of log row `log`'s blob, in order.
    static func records(_ blob: UnsafeRawBufferPointer, log: Int64, _ each: (Scanned) throws -> Void) throws {
        guard blob.count >= 1, blob[0] == format else { throw corrupt }
        var r = Chunks.Reader(blob, at: 1, what: "log")
        while !r.done {
            let start = r.at
            let tag = try r.byte()
            let incident = try r.varint()
            switch tag {
            case alertTag:
                _ = try r.byte()
                _ = try r.slice(try r.varint())
                _ = try r.slice(try r.varint())
            case entryTag:
                _ = try r.timelineRecord()
            default:
                throw corrupt
            }
            try each(Scanned(isAlert: tag == alertTag, incident: incident, ref: Chunks.Ref(log: log, offset: start, length: r.at - start),
                             bytes: UnsafeRawBufferPointer(rebasing: blob[start..<r.at])))
        }
    }

    static var corrupt: DatabaseError { DatabaseError(resultCode: .SQLITE_CORRUPT, message: "damaged ingest log row in the database") }

    /// An alert record's fingerprint and whether it fires (its JSON not read).
    static func alertHead(_ record: UnsafeRawBufferPointer) throws -> (fingerprint: String, firing: Bool) {
        var r = Chunks.Reader(record, what: "log")
        guard try r.byte() == alertTag else { throw corrupt }
        _ = try r.varint()
        let flags = try r.byte()
        guard flags <= 1 else { throw corrupt }
        return (try r.string(), flags == 1)
    }

    /// An alert record: fingerprint, firing, stored JSON.
    static func alert(_ record: UnsafeRawBufferPointer) throws -> (fingerprint: String, firing: Bool, body: String) {
        var r = Chunks.Reader(record, what: "log")
        guard try r.byte() == alertTag else { throw corrupt }
        _ = try r.varint()
        let flags = try r.byte()
        guard flags <= 1 else { throw corrupt }
        let fp = try r.string()
        let body = try r.string()
        guard r.done else { throw corrupt }
        return (fp, flags == 1, body)
    }

    /// A timeline record.
    static func entry(_ record: UnsafeRawBufferPointer) throws -> Chunks.TimelineRecord {
        var r = Chunks.Reader(record, what: "log")
        guard try r.byte() == entryTag else { throw corrupt }
        _ = try r.varint()
        let e = try r.timelineRecord()
        guard r.done else { throw corrupt }
        return e
    }
}

/// Reads log records by ref through SQLite's incremental blob I/O: only the pages that hold the
/// record, not the whole row. One handle, moved from row to row; `close` when done (an open
/// handle would keep its statement alive past the transaction).
final class LogBlobs {
    private let db: Database
    private var handle: OpaquePointer?
    private var row: Int64 = 0
    /// The writer's log row not inserted yet, if any, and its id.
    private let pending: (log: Int64, bytes: [UInt8])?
    private var buffer: [UInt8] = []

    init(_ db: Database, pending: (log: Int64, bytes: [UInt8])? = nil) {
        self.db = db
        self.pending = pending
    }

    deinit { close() }

    func close() {
        if let handle { sqlite3_blob_close(handle) }
        handle = nil
    }

    /// The record's bytes, handed to `body` (valid only inside it).
    func read<T>(_ ref: Chunks.Ref, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        guard ref.offset >= 0, ref.length > 0 else { throw IngestLog.corrupt }
        if let pending, ref.log == pending.log {
            guard ref.offset <= pending.bytes.count - ref.length else { throw IngestLog.corrupt }
            return try pending.bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[ref.offset..<(ref.offset + ref.length)])) }
        }
        if handle == nil {
            var h: OpaquePointer?
            let rc = sqlite3_blob_open(db.sqliteConnection, "main", "ingest_log", "data", ref.log, 0, &h)
            guard rc == SQLITE_OK, let h else {
                if let h { sqlite3_blob_close(h) }
                throw IngestLog.corrupt
            }
            handle = h
            row = ref.log
        } else if row != ref.log {
            guard sqlite3_blob_reopen(handle, ref.log) == SQLITE_OK else {
                close()
                throw IngestLog.corrupt
            }
            row = ref.log
        }
        guard ref.length <= Int(Int32.max), ref.offset <= Int(sqlite3_blob_bytes(handle)) - ref.length else { throw IngestLog.corrupt }
        if buffer.count < ref.length { buffer = [UInt8](repeating: 0, count: max(ref.length, 1024)) }
        let rc = buffer.withUnsafeMutableBytes { sqlite3_blob_read(handle, $0.baseAddress, Int32(ref.length), Int32(ref.offset)) }
        guard rc == SQLITE_OK else { throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: "reading the ingest log: \(String(cString: sqlite3_errmsg(db.sqliteConnection)))") }
        return try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<ref.length])) }
    }

    func alert(_ ref: Chunks.Ref) throws -> (fingerprint: String, firing: Bool, body: String) {
        try read(ref, IngestLog.alert)
    }

    func entry(_ ref: Chunks.Ref) throws -> Chunks.TimelineRecord {
        try read(ref, IngestLog.entry)
    }
}
