import Foundation
import GRDB
import GRDBSQLite

/// Alerts and timeline entries that left the inbox are kept in chunks: one row of
/// `alert_chunks` or `timeline_chunks` holds many of one incident's records, oldest first, in
/// one blob. A move out of the inbox thus writes one row and one index entry per incident
/// instead of one (plus an index entry) per record: on the `make bench` load that took the
/// writer from 35 to 27 µs per alert and the whole server from about 75 to 65.
///
/// Blob layout (little-endian), a format byte first:
/// - alerts (format 1): per record a flags byte (bit 0: firing), then the fingerprint and the
///   stored alert's JSON, each as a varint length and UTF-8 bytes;
/// - timeline (format 1): per record `at` as 8 bytes (a Double's bits), then kind, actor and
///   message as varint length and bytes; the actor's length is stored plus one, 0 for none.
///
/// A later version of an alert comes in a later chunk (or the inbox) and replaces the earlier
/// one in place; a chunk holds each fingerprint at most once.
enum Chunks {
    static let format: UInt8 = 1
    /// Records per chunk at most: a lookup of one alert decodes one chunk.
    static let alertsPerChunk = 256
    static let entriesPerChunk = 1024

    struct AlertRecord {
        var fingerprint: String
        var firing: Bool
        var body: String
    }

    struct TimelineRecord {
        var at: Double
        var kind: String
        var actor: String?
        var message: String
    }

    // MARK: writing

    struct Writer {
        private(set) var bytes: [UInt8] = [Chunks.format]
        private(set) var count = 0

        mutating func alert(fingerprint: UnsafeBufferPointer<UInt8>, firing: Bool, body: UnsafeBufferPointer<UInt8>) {
            bytes.append(firing ? 1 : 0)
            put(fingerprint)
            put(body)
            count += 1
        }

        mutating func alert(_ r: AlertRecord) {
            var fp = r.fingerprint, body = r.body
            fp.withUTF8 { f in body.withUTF8 { b in alert(fingerprint: f, firing: r.firing, body: b) } }
        }

        mutating func entry(at: Double, kind: UnsafeBufferPointer<UInt8>, actor: UnsafeBufferPointer<UInt8>?, message: UnsafeBufferPointer<UInt8>) {
            var bits = at.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
            put(kind)
            if let actor { varint(UInt64(actor.count) + 1); bytes.append(contentsOf: actor) } else { varint(0) }
            put(message)
            count += 1
        }

        mutating func entry(_ r: TimelineRecord) {
            var kind = r.kind, message = r.message
            kind.withUTF8 { k in
                message.withUTF8 { m in
                    if var actor = r.actor {
                        actor.withUTF8 { a in entry(at: r.at, kind: k, actor: a, message: m) }
                    } else {
                        entry(at: r.at, kind: k, actor: nil, message: m)
                    }
                }
            }
        }

        private mutating func put(_ s: UnsafeBufferPointer<UInt8>) {
            varint(UInt64(s.count))
            bytes.append(contentsOf: s)
        }

        private mutating func varint(_ v: UInt64) {
            var v = v
            while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            bytes.append(UInt8(v))
        }
    }

    // MARK: reading

    /// Thrown for a blob that is not a chunk this release wrote (a damaged file).
    static func corrupt(_ what: String) -> DatabaseError {
        DatabaseError(resultCode: .SQLITE_CORRUPT, message: "damaged \(what) chunk in the database")
    }

    private struct Reader {
        let p: UnsafeRawBufferPointer
        var at = 1
        let what: String
        var done: Bool { at >= p.count }

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
                guard shift < 35 else { throw Chunks.corrupt(what) }
            }
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
    }

    private static func open(_ blob: UnsafeRawBufferPointer, _ what: String) throws -> Reader {
        guard blob.count >= 1, blob[0] == format else { throw corrupt(what) }
        return Reader(p: blob, what: what)
    }

    /// Each alert of the chunk, in order; `body` false skips the JSON (a cheaper pass).
    static func alerts(_ blob: UnsafeRawBufferPointer, body: Bool = true, _ each: (AlertRecord) throws -> Void) throws {
        var r = try open(blob, "alert")
        while !r.done {
            let flags = try r.byte()
            guard flags <= 1 else { throw corrupt("alert") }
            let fp = try r.string()
            let json = try r.slice(try r.varint())
            try each(AlertRecord(fingerprint: fp, firing: flags == 1, body: body ? String(decoding: json, as: UTF8.self) : ""))
        }
    }

    /// The JSON of the chunk's alert with this fingerprint, if it holds one.
    static func alert(_ blob: UnsafeRawBufferPointer, fingerprint: String) throws -> AlertRecord? {
        var r = try open(blob, "alert")
        var want = fingerprint
        return try want.withUTF8 { target -> AlertRecord? in
            while !r.done {
                let flags = try r.byte()
                guard flags <= 1 else { throw corrupt("alert") }
                let fp = try r.slice(try r.varint())
                let json = try r.slice(try r.varint())
                if fp.count == target.count, fp.count == 0 || memcmp(fp.baseAddress!, target.baseAddress!, fp.count) == 0 {
                    return AlertRecord(fingerprint: fingerprint, firing: flags == 1, body: String(decoding: json, as: UTF8.self))
                }
            }
            return nil
        }
    }

    static func entries(_ blob: UnsafeRawBufferPointer, _ each: (TimelineRecord) throws -> Void) throws {
        var r = try open(blob, "timeline")
        while !r.done {
            let at = try r.double()
            let kind = try r.string()
            let actorLength = try r.varint()
            let actor = actorLength == 0 ? nil : String(decoding: try r.slice(actorLength - 1), as: UTF8.self)
            let message = try r.string()
            try each(TimelineRecord(at: at, kind: kind, actor: actor, message: message))
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
