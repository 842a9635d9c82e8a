import Foundation
import KlaxonCore

/// Writes a `StoredAlert` as the same JSON its `Codable` form reads back, straight into bytes:
/// one is written for every alert received, and the encoder's (or String appends') per-value
/// overhead was a tenth of the ingest path.
///
/// The `alert` object is most of it and depends on the alert alone, so the ingest path writes it
/// on the caller's thread (`alertObject`) and the writer thread, which runs one commit at a time
/// and bounds the ingest rate, only puts the incident, severity and time around it.
public enum StoredAlertJSON {
    public static func encode(_ s: StoredAlert) -> String {
        encode(s, alertObject: alertObject(s.alert))
    }

    /// `s` with `alertObject` (`alertObject(s.alert)`, written earlier) as its alert.
    public static func encode(_ s: StoredAlert, alertObject: [UInt8]) -> String {
        var bytes: [UInt8] = []
        write(s, alertObject: alertObject, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The same, appended to `bytes` (the store writes it straight into its log row: no String
    /// made and checked on the writer thread).
    public static func write(_ s: StoredAlert, alertObject: [UInt8], into bytes: inout [UInt8]) {
        write(incident: s.incident, severity: s.severity, receivedAt: s.receivedAt, alertObject: alertObject, into: &bytes)
    }

    /// The same, from a stored alert's parts.
    public static func write(incident: Int, severity: Severity, receivedAt: Date, alertObject: [UInt8], into bytes: inout [UInt8]) {
        var w = JSONBytes(taking: &bytes, capacity: alertObject.count + 96)
        w.raw("{\"incident\":"); w.int(incident)
        w.raw(",\"severity\":"); w.string(severity.rawValue)
        w.raw(",\"receivedAt\":"); w.number(receivedAt.timeIntervalSince1970)
        w.raw(",\"alert\":")
        w.bytes.append(contentsOf: alertObject)
        w.byte(UInt8(ascii: "}"))
        bytes = w.bytes
    }

    /// The JSON of `a` as `StoredAlert`'s `alert` member.
    public static func alertObject(_ a: Alert) -> [UInt8] {
        var w = JSONBytes()
        w.raw("{\"fingerprint\":"); w.string(a.fingerprint)
        w.raw(",\"status\":"); w.string(a.status.rawValue)
        w.raw(",\"labels\":"); w.map(a.labels)
        w.raw(",\"annotations\":"); w.map(a.annotations)
        w.raw(",\"values\":{")
        for (i, k) in a.values.keys.sorted().enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.string(k); w.byte(UInt8(ascii: ":")); w.number(a.values[k]!)
        }
        w.raw("},\"summary\":"); w.string(a.summary)
        if let v = a.source { w.raw(",\"source\":"); w.string(v) }
        if let v = a.sourceSeverity { w.raw(",\"sourceSeverity\":"); w.string(v) }
        if let v = a.startsAt { w.raw(",\"startsAt\":"); w.number(v.timeIntervalSince1970) }
        if let v = a.endsAt { w.raw(",\"endsAt\":"); w.number(v.timeIntervalSince1970) }
        w.raw(",\"links\":[")
        for (i, l) in a.links.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.raw("{\"href\":"); w.string(l.href); w.raw(",\"text\":"); w.string(l.text); w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "]"))
        if let f = a.sourceFields { w.raw(",\"sourceFields\":"); w.object(f) }
        if let f = a.notificationFields { w.raw(",\"notificationFields\":"); w.object(f) }
        w.byte(UInt8(ascii: "}"))
        return w.bytes
    }
}

/// A small JSON writer over a byte array.
struct JSONBytes {
    var bytes: [UInt8] = []
    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }
    /// Appends to `bytes` (left empty meanwhile, so it is not copied).
    init(taking bytes: inout [UInt8], capacity: Int) {
        swap(&self.bytes, &bytes)
        self.bytes.reserveCapacity(self.bytes.count + capacity)
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }

    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    /// Decimal digits written straight into the bytes (through `String(v)` it was a tenth of
    /// writing a stored alert on the writer thread).
    mutating func int(_ v: Int) {
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = 20
            repeat {
                n -= 1
                digits[n] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
            } while m > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[n..<20]))
        }
    }

    /// The shortest text that reads back as the same Double (finite values only).
    mutating func number(_ d: Double) {
        guard d.isFinite else { bytes.append(UInt8(ascii: "0")); return }
        if d == 0, d.sign == .minus { raw("-0"); return }
        if d == d.rounded(), abs(d) < 1e15 { int(Int(d)); return }
        bytes.append(contentsOf: d.description.utf8)    // not interpolated: a fifth less work
    }

    /// A JSON string, escaped as `ScheduleRendering.jsonString` does (U+2028/2029 too).
    /// Runs of bytes that need no escape are copied at once (appending byte by byte, with a
    /// uniqueness and capacity check each, was a twentieth of an event loop under `make bench`).
    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { u in
            bytes.append(UInt8(ascii: "\""))
            var run = 0
            var i = 0
            while i < u.count {
                let b = u[i]
                // Plain: anything but a quote, a backslash, a control character, or the lead byte
                // of U+2028/U+2029 (0xE2, checked below).
                if b >= 0x20, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\"), b != 0xE2 { i += 1; continue }
                if b == 0xE2, !(i + 2 < u.count && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) { i += 1; continue }
                if run < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<i])) }
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
                case UInt8(ascii: "\n"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                case UInt8(ascii: "\t"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                case 0xE2:
                    escape(u[i + 2] == 0xA8 ? 0x2028 : 0x2029)
                    i += 2
                default: escape(UInt32(b))
                }
                i += 1
                run = i
            }
            if run < u.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<u.count])) }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    private mutating func escape(_ v: UInt32) {
        let hex = Array("0123456789abcdef".utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), hex[Int(v >> 12 & 0xF)], hex[Int(v >> 8 & 0xF)], hex[Int(v >> 4 & 0xF)], hex[Int(v & 0xF)]])
    }

    /// A kept source value, as `SourceValue`'s `Codable` form reads it back.
    mutating func value(_ v: SourceValue) {
        switch v {
        case .string(let s): string(s)
        case .number(let d): number(d)
        case .bool(let b): if b { raw("true") } else { raw("false") }
        case .null: raw("null")
        case .array(let a):
            byte(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                value(e)
            }
            byte(UInt8(ascii: "]"))
        case .object(let o): object(o)
        }
    }

    mutating func object(_ o: [String: SourceValue]) {
        byte(UInt8(ascii: "{"))
        for (i, k) in o.keys.sorted().enumerated() {
            if i > 0 { byte(UInt8(ascii: ",")) }
            string(k); byte(UInt8(ascii: ":")); value(o[k]!)
        }
        byte(UInt8(ascii: "}"))
    }

    mutating func map(_ m: [String: String]) {
        bytes.append(UInt8(ascii: "{"))
        if m.count == 1, let (k, v) = m.first {
            string(k); bytes.append(UInt8(ascii: ":")); string(v)
        } else if !m.isEmpty {
            // Pairs in key order, through a sorted list of the table's positions on the stack
            // (`sorted()` made an array of copied pairs: an allocation, and a retain and a release
            // for every string in it). The standard sort: an insertion sort for a few labels, and
            // n log n for a hostile alert with tens of thousands.
            withUnsafeTemporaryAllocation(of: Dictionary<String, String>.Index.self, capacity: m.count) { order in
                var n = 0
                var at = m.startIndex
                while at != m.endIndex {
                    order.initializeElement(at: n, to: at)
                    n += 1
                    at = m.index(after: at)
                }
                order[0..<n].sort { m[$0].key < m[$1].key }
                for i in 0..<n {
                    if i > 0 { bytes.append(UInt8(ascii: ",")) }
                    string(m[order[i]].key); bytes.append(UInt8(ascii: ":")); string(m[order[i]].value)
                }
                _ = UnsafeMutableBufferPointer(rebasing: order[0..<n]).deinitialize()
            }
        }
        bytes.append(UInt8(ascii: "}"))
    }
}
