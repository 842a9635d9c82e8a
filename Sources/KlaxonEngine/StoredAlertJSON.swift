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
        // The few bytes before the alert are written on the stack (this runs on the writer thread).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 128) { stack in
            var w = JSONBytes(stack: stack)
            w.raw("{\"incident\":"); w.int(incident)
            w.raw(",\"severity\":"); w.string(severity.rawValue)
            w.raw(",\"receivedAt\":"); w.number(receivedAt.timeIntervalSince1970)
            w.raw(",\"alert\":")
            w.append(to: &bytes)
        }
        bytes.append(contentsOf: alertObject)
        bytes.append(UInt8(ascii: "}"))
    }

    /// The JSON of `a` as `StoredAlert`'s `alert` member.
    public static func alertObject(_ a: Alert) -> [UInt8] {
        // Written on the stack first, then copied once into the array (a usual Alertmanager
        // alert takes about 500 bytes; a bigger one moves to the heap as it grows): a buffer
        // allocated for it was one more allocation and free per alert on the event loops.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { stack in
            alertObject(a, into: JSONBytes(stack: stack))
        }
    }

    private static func alertObject(_ a: Alert, into writer: consuming JSONBytes) -> [UInt8] {
        var w = writer
        w.raw("{\"fingerprint\":"); w.string(a.fingerprint)
        w.raw(",\"status\":"); w.string(a.status.rawValue)
        w.raw(",\"labels\":"); w.map(a.labels)
        w.raw(",\"annotations\":"); w.map(a.annotations)
        w.raw(",\"values\":{")
        if !a.values.isEmpty {
            for (i, k) in a.values.keys.sorted().enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(k); w.byte(UInt8(ascii: ":")); w.number(a.values[k]!)
            }
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
        return w.finish()
    }
}

/// A small JSON writer into a buffer of its own: every write is a capacity check and a copy,
/// the bytes are copied into an array once at the end. (Appending to a `[UInt8]` piece by piece,
/// each append with its own uniqueness and capacity checks, and scanning strings byte by byte,
/// took about 1.5 µs for a usual Alertmanager alert, 7% of Klaxon's CPU under `make bench`.)
struct JSONBytes: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// Whether `base` was allocated here (not the caller's buffer).
    private var owned = true

    init(capacity: Int = 512) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    /// Writes into `stack` (the caller's, which must outlive this writer) until it is full.
    init(stack: UnsafeMutableBufferPointer<UInt8>) {
        base = stack.baseAddress!
        capacity = stack.count
        owned = false
    }

    deinit { if owned { base.deallocate() } }

    /// The bytes written, as an array.
    consuming func finish() -> [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// Appends the bytes written to `bytes`.
    func append(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
    }

    @inline(__always) private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        b.update(from: base, count: count)
        if owned { base.deallocate() }
        base = b
        capacity = c
        owned = true
    }

    @inline(__always) mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func append(_ p: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        (base + count).update(from: p, count: n)
        count += n
    }

    mutating func raw(_ s: StaticString) { append(s.utf8Start, s.utf8CodeUnitCount) }

    /// Decimal digits written straight into the bytes (through `String(v)` it was a tenth of
    /// writing a stored alert on the writer thread).
    mutating func int(_ v: Int) {
        reserve(20)
        count += writeDecimal(v, at: UnsafeMutableRawPointer(base + count))
    }

    /// The shortest text that reads back as the same Double (finite values only).
    mutating func number(_ d: Double) {
        guard d.isFinite else { byte(UInt8(ascii: "0")); return }
        if d == 0, d.sign == .minus { raw("-0"); return }
        if d == d.rounded(), abs(d) < 1e15 { int(Int(d)); return }
        // `description`'s digits, through `TextOutputStream` into the stack: `description` made
        // a String, an allocation for anything over 15 characters (every timestamp with a
        // fraction: one per alert stored on the writer thread under `make bench`).
        var out = DigitsOut()
        d.write(to: &out)
        if var text = out.overflow {
            text.withUTF8 { append($0.baseAddress!, $0.count) }
        } else {
            let n = out.count
            withUnsafeBytes(of: &out.storage) { append($0.baseAddress!.assumingMemoryBound(to: UInt8.self), n) }
        }
    }

    /// A JSON string, escaped as `ScheduleRendering.jsonString` does (U+2028/2029 too).
    /// Runs of bytes that need no escape are copied at once; eight bytes at a time are checked
    /// for anything that might (a quote, a backslash, a control character, any non-ASCII byte).
    mutating func string(_ s: String) {
        if let done = s.utf8.withContiguousStorageIfAvailable({ string(utf8: $0) }) { return done }
        var s = s
        s.withUTF8 { string(utf8: $0) }
    }

    private mutating func string(utf8 u: UnsafeBufferPointer<UInt8>) {
        reserve(u.count + 2)
        base[count] = UInt8(ascii: "\"")
        count += 1
        guard let p = u.baseAddress else { byte(UInt8(ascii: "\"")); return }
        let n = u.count
        var run = 0
        var i = 0
        while i < n {
            // Eight plain ASCII bytes at once: none below 0x20, none a quote or a backslash, none
            // with the high bit (a UTF-8 sequence, checked byte by byte below for U+2028/2029).
            if i + 8 <= n {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
                let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
                let special = ((w &- ones &* 0x20) | (quote &- ones) & ~quote | (backslash &- ones) & ~backslash | w) & high
                if special == 0 { i += 8; continue }
            }
            let b = p[i]
            // Plain: anything but a quote, a backslash, a control character, or the lead byte
            // of U+2028/U+2029 (0xE2, checked below).
            if b >= 0x20, b != UInt8(ascii: "\""), b != UInt8(ascii: "\\"), b != 0xE2 { i += 1; continue }
            if b == 0xE2, !(i + 2 < n && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9)) { i += 1; continue }
            if run < i { append(p + run, i - run) }
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte(UInt8(ascii: "\\")); byte(b)
            case UInt8(ascii: "\n"): byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "t"))
            case 0xE2:
                escape(p[i + 2] == 0xA8 ? 0x2028 : 0x2029)
                i += 2
            default: escape(UInt32(b))
            }
            i += 1
            run = i
        }
        if run < n { append(p + run, n - run) }
        byte(UInt8(ascii: "\""))
    }

    private mutating func escape(_ v: UInt32) {
        @inline(__always) func hex(_ d: UInt32) -> UInt8 { d < 10 ? UInt8(ascii: "0") + UInt8(d) : UInt8(ascii: "a") + UInt8(d - 10) }
        reserve(6)
        base[count] = UInt8(ascii: "\\"); base[count + 1] = UInt8(ascii: "u")
        base[count + 2] = hex(v >> 12 & 0xF); base[count + 3] = hex(v >> 8 & 0xF)
        base[count + 4] = hex(v >> 4 & 0xF); base[count + 5] = hex(v & 0xF)
        count += 6
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
        byte(UInt8(ascii: "{"))
        if m.count == 1, let (k, v) = m.first {
            string(k); byte(UInt8(ascii: ":")); string(v)
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
                    if i > 0 { byte(UInt8(ascii: ",")) }
                    string(m[order[i]].key); byte(UInt8(ascii: ":")); string(m[order[i]].value)
                }
                _ = UnsafeMutableBufferPointer(rebasing: order[0..<n]).deinitialize()
            }
        }
        byte(UInt8(ascii: "}"))
    }
}

/// What a number writes of itself (`TextOutputStreamable`), kept on the stack: 32 bytes, where
/// a `Double`'s shortest form takes at most 24; anything longer goes to a String.
struct DigitsOut: TextOutputStream {
    var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    var count = 0
    var overflow: String?

    mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { _writeASCII($0) }
    }

    /// The standard library's numbers write their ASCII digits through this.
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress, buffer.count > 0 else { return }
        if overflow == nil, count + buffer.count <= MemoryLayout.size(ofValue: storage) {
            let at = count
            withUnsafeMutableBytes(of: &storage) { ($0.baseAddress! + at).copyMemory(from: source, byteCount: buffer.count) }
            count += buffer.count
        } else {
            let n = count
            var text = overflow ?? withUnsafeBytes(of: &storage) { String(decoding: UnsafeRawBufferPointer(rebasing: $0[..<n]), as: UTF8.self) }
            text += String(decoding: buffer, as: UTF8.self)
            overflow = text
        }
    }
}
