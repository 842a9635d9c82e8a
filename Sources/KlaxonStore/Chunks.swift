import Foundation
import GRDB
import GRDBSQLite

/// Alerts and timeline entries are filed per incident in chunks: one row of `alert_chunks` or
/// `timeline_chunks` holds many of one incident's records, oldest first, in one blob, so an
/// incident's records are one indexed read away and a filing writes one row and one index entry
/// per incident instead of one (plus an index entry) per record.
///
/// Blob layout (little-endian), a format byte first:
/// - format 1 (written by releases before the ingest log; read, never written now): the records
///   themselves. Alerts: per record a flags byte (bit 0: firing), then the fingerprint and the
///   stored alert's JSON, each as a varint length and UTF-8 bytes. Timeline: per record `at` as
///   8 bytes (a Double's bits), then kind, actor and message as varint length and bytes; the
///   actor's length is stored plus one, 0 for none.
/// - format 2: where the records are in `ingest_log` (see `IngestLog`), a `Ref` each (log row,
///   offset and length as varints). Alerts: a flags byte, the fingerprint (varint length and
///   bytes), then the ref. Timeline: the ref alone.
///
/// A later version of an alert comes in a later chunk (or is still waiting in the log) and
/// replaces the earlier one in place; a chunk holds each fingerprint at most once.
enum Chunks {
    /// Records inline (read only) and refs into the log.
    static let inlineFormat: UInt8 = 1
    static let refFormat: UInt8 = 2
    /// Records per chunk at most: a lookup of one alert decodes one chunk.
    static let alertsPerChunk = 256
    static let entriesPerChunk = 1024

    /// Where a record is in `ingest_log`: the row, and the record's bytes in its blob.
    struct Ref: Equatable, Hashable {
        var log: Int64
        var offset: Int
        var length: Int
    }

    /// Where an alert version's stored JSON is: in the chunk (format 1) or in the log.
    enum Body: Equatable {
        case inline(String)
        case log(Ref)
    }

    struct AlertRecord {
        var fingerprint: String
        var firing: Bool
        var body: Body
    }

    struct TimelineRecord: Equatable {
        var at: Double
        var kind: String
        var actor: String?
        var message: String
    }

    // MARK: writing

    struct Writer {
        private(set) var bytes: [UInt8]
        private(set) var count = 0

        init(format: UInt8 = Chunks.refFormat) { bytes = [format] }

        /// An alert version as a ref (format 2).
        mutating func alert(fingerprint: WriterState.FingerprintKey, firing: Bool, at ref: Ref) {
            precondition(bytes[0] == Chunks.refFormat)
            bytes.append(firing ? 1 : 0)
            fingerprint.withUTF8 { put($0) }
            put(ref)
            count += 1
        }

        /// A timeline entry as a ref (format 2).
        mutating func entry(at ref: Ref) {
            precondition(bytes[0] == Chunks.refFormat)
            put(ref)
            count += 1
        }

        /// An alert version inline (format 1; the migration from inbox tables writes these).
        mutating func alert(fingerprint: String, firing: Bool, body: String) {
            precondition(bytes[0] == Chunks.inlineFormat)
            bytes.append(firing ? 1 : 0)
            var fp = fingerprint, b = body
            fp.withUTF8 { put($0) }
            b.withUTF8 { put($0) }
            count += 1
        }

        /// A timeline entry inline (format 1).
        mutating func entry(_ r: TimelineRecord) {
            precondition(bytes[0] == Chunks.inlineFormat)
            Chunks.put(r, into: &bytes)
            count += 1
        }

        private mutating func put(_ r: Ref) {
            Chunks.varint(UInt64(r.log), into: &bytes)
            Chunks.varint(UInt64(r.offset), into: &bytes)
            Chunks.varint(UInt64(r.length), into: &bytes)
        }

        private mutating func put(_ s: UnsafeBufferPointer<UInt8>) {
            Chunks.varint(UInt64(s.count), into: &bytes)
            bytes.append(contentsOf: s)
        }
    }

    static func varint(_ v: UInt64, into bytes: inout [UInt8]) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    static func put(_ s: String, into bytes: inout [UInt8]) {
        utf8(of: s) { u in
            varint(UInt64(u.count), into: &bytes)
            bytes.append(contentsOf: u)
        }
    }

    /// A string's UTF-8 in place (a native string's, or a small one's on the stack); copied
    /// first only when it has none (a bridged one). (`var s = s; s.withUTF8` was a retain and a
    /// release of every string written on the writer thread.)
    @inline(__always) static func utf8<R>(of s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        var s = s
        return s.withUTF8(body)
    }

    /// A timeline entry's fields: `at`, kind, actor (length plus one, 0 for none), message.
    static func put(_ r: TimelineRecord, into bytes: inout [UInt8]) {
        put(at: r.at, kind: r.kind, actor: r.actor, message: r.message, into: &bytes)
    }

    /// The same from the fields (the writer writes a `TimelineEntry`'s without copying them into a record).
    static func put(at: Double, kind: String, actor: String?, message: String, into bytes: inout [UInt8]) {
        put(at: at, into: &bytes)
        put(kind, into: &bytes)
        put(actor: actor, into: &bytes)
        put(message, into: &bytes)
    }

    /// The same with the kind and the message's first and last pieces static (what
    /// `put(at:kind:actor:message:into:)` writes for the joined message, byte for byte).
    static func put(at: Double, kind: StaticString, actor: String, message prefix: StaticString, _ middle: String, _ suffix: StaticString,
                    into bytes: inout [UInt8]) {
        put(at: at, into: &bytes)
        varint(UInt64(kind.utf8CodeUnitCount), into: &bytes)
        bytes.append(contentsOf: UnsafeBufferPointer(start: kind.utf8Start, count: kind.utf8CodeUnitCount))
        put(actor: actor, into: &bytes)
        utf8(of: middle) { m in
            varint(UInt64(prefix.utf8CodeUnitCount + m.count + suffix.utf8CodeUnitCount), into: &bytes)
            bytes.append(contentsOf: UnsafeBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
            bytes.append(contentsOf: m)
            bytes.append(contentsOf: UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount))
        }
    }

    /// An entry's time: its bits, little-endian.
    @inline(__always) private static func put(at: Double, into bytes: inout [UInt8]) {
        var bits = at.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
    }

    /// An entry's actor: its length plus one, then its bytes; 0 for none.
    @inline(__always) private static func put(actor: String?, into bytes: inout [UInt8]) {
        guard let actor else { return varint(0, into: &bytes) }
        utf8(of: actor) { a in
            varint(UInt64(a.count) + 1, into: &bytes)
            bytes.append(contentsOf: a)
        }
    }

    // MARK: reading

    /// Thrown for a blob that is not a chunk this release wrote (a damaged file).
    static func corrupt(_ what: String) -> DatabaseError {
        DatabaseError(resultCode: .SQLITE_CORRUPT, message: "damaged \(what) chunk in the database")
    }

    /// Reads a chunk's or a log record's bytes; every read is bounds-checked (a damaged blob is
    /// an error, never a crash).
    struct Reader {
        let p: UnsafeRawBufferPointer
        var at: Int
        let what: String
        var done: Bool { at >= p.count }

        init(_ p: UnsafeRawBufferPointer, at: Int = 0, what: String) {
            self.p = p; self.at = at; self.what = what
        }

        mutating func byte() throws -> UInt8 {
            guard at < p.count else { throw Chunks.corrupt(what) }
            defer { at += 1 }
            return p[at]
        }

        mutating func varint() throws -> Int {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = try byte()
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
                guard shift < 63 else { throw Chunks.corrupt(what) }
            }
            guard v <= UInt64(Int.max) else { throw Chunks.corrupt(what) }
            return Int(v)
        }

        /// The next `n` bytes, not copied.
        mutating func slice(_ n: Int) throws -> UnsafeRawBufferPointer {
            guard n >= 0, n <= p.count - at else { throw Chunks.corrupt(what) }
            defer { at += n }
            return UnsafeRawBufferPointer(rebasing: p[at..<(at + n)])
        }

        mutating func string() throws -> String {
            String(decoding: try slice(try varint()), as: UTF8.self)
        }

        mutating func double() throws -> Double {
            let s = try slice(8)
            var bits: UInt64 = 0
            withUnsafeMutableBytes(of: &bits) { $0.copyMemory(from: s) }
            return Double(bitPattern: UInt64(littleEndian: bits))
        }

        mutating func ref() throws -> Ref {
            let log = try varint(), offset = try varint(), length = try varint()
            return Ref(log: Int64(log), offset: offset, length: length)
        }

        mutating func timelineRecord() throws -> TimelineRecord {
            let at = try double()
            let kind = try string()
            let actorLength = try varint()
            let actor = actorLength == 0 ? nil : String(decoding: try slice(actorLength - 1), as: UTF8.self)
            let message = try string()
            return TimelineRecord(at: at, kind: kind, actor: actor, message: message)
        }
    }

    /// The reader past the format byte, and the format.
    private static func open(_ blob: UnsafeRawBufferPointer, _ what: String) throws -> (Reader, UInt8) {
        guard blob.count >= 1, blob[0] == inlineFormat || blob[0] == refFormat else { throw corrupt(what) }
        return (Reader(blob, at: 1, what: what), blob[0])
    }

    /// Each alert of the chunk, in order; `body` false skips the JSON of inline records (a
    /// cheaper pass: their body is then empty).
    static func alerts(_ blob: UnsafeRawBufferPointer, body: Bool = true, _ each: (AlertRecord) throws -> Void) throws {
        var (r, format) = try open(blob, "alert")
        while !r.done {
            let flags = try r.byte()
            guard flags <= 1 else { throw corrupt("alert") }
            let fp = try r.string()
            if format == refFormat {
                try each(AlertRecord(fingerprint: fp, firing: flags == 1, body: .log(try r.ref())))
            } else {
                let json = try r.slice(try r.varint())
                try each(AlertRecord(fingerprint: fp, firing: flags == 1, body: .inline(body ? String(decoding: json, as: UTF8.self) : "")))
            }
        }
    }

    /// The chunk's alert with this fingerprint, if it holds one.
    static func alert(_ blob: UnsafeRawBufferPointer, fingerprint: String) throws -> AlertRecord? {
        var (r, format) = try open(blob, "alert")
        var want = fingerprint
        return try want.withUTF8 { target -> AlertRecord? in
            while !r.done {
                let flags = try r.byte()
                guard flags <= 1 else { throw corrupt("alert") }
                let fp = try r.slice(try r.varint())
                let match = fp.count == target.count && (fp.count == 0 || memcmp(fp.baseAddress!, target.baseAddress!, fp.count) == 0)
                if format == refFormat {
                    let ref = try r.ref()
                    if match { return AlertRecord(fingerprint: fingerprint, firing: flags == 1, body: .log(ref)) }
                } else {
                    let json = try r.slice(try r.varint())
                    if match { return AlertRecord(fingerprint: fingerprint, firing: flags == 1, body: .inline(String(decoding: json, as: UTF8.self))) }
                }
            }
            return nil
        }
    }

    /// A timeline chunk's item: the entry itself (format 1) or where it is in the log.
    enum TimelineItem {
        case inline(TimelineRecord)
        case log(Ref)
    }

    static func entries(_ blob: UnsafeRawBufferPointer, _ each: (TimelineItem) throws -> Void) throws {
        var (r, format) = try open(blob, "timeline")
        while !r.done {
            if format == refFormat {
                try each(.log(try r.ref()))
            } else {
                try each(.inline(try r.timelineRecord()))
            }
        }
    }
}

/// The blob in column `i` of the current row (empty when NULL).
func columnBlob(_ h: OpaquePointer, _ i: Int32) -> UnsafeRawBufferPointer {
    guard let p = sqlite3_column_blob(h, i) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
    return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(h, i)))
}

func bindBlob(_ h: OpaquePointer, _ i: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { b in _ = sqlite3_bind_blob(h, i, b.baseAddress, Int32(b.count), SQLITE_TRANSIENT) }
}
