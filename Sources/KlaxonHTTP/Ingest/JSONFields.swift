import Foundation
import KlaxonCore

/// Typed reads from a decoded JSON object that fail with a 400 naming the field.
struct Fields {
    let object: JSONObject
    let path: String

    init(_ object: JSONObject, path: String = "") { self.object = object; self.path = path }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool {
        switch object[key] {
        case nil, .null?: false
        default: true
        }
    }

    /// The value at `key`; nil when absent or null (400 if `required`).
    private func value(_ key: String, required: Bool) throws -> JSONValue? {
        switch object[key] {
        case nil, .null?:
            if required { throw APIError.badRequest("Field \(name(key)) is required.") }
            return nil
        case let v?:
            return v
        }
    }

    func string(_ key: String, required: Bool = false, maxLength: Int? = nil) throws -> String? {
        guard let v = try value(key, required: required) else { return nil }
        guard case .string(let s) = v else { throw APIError.badRequest("Field \(name(key)) must be a string.") }
        if let m = maxLength, s.count > m { throw APIError.badRequest("Field \(name(key)) is longer than \(m) characters.") }
        return s
    }

    func object(_ key: String, required: Bool = false) throws -> Fields? {
        guard let v = try value(key, required: required) else { return nil }
        guard case .object(let o) = v else { throw APIError.badRequest("Field \(name(key)) must be an object.") }
        return Fields(o, path: name(key))
    }

    func array(_ key: String, required: Bool = false) throws -> [JSONValue]? {
        guard let v = try value(key, required: required) else { return nil }
        guard case .array(let a) = v else { throw APIError.badRequest("Field \(name(key)) must be an array.") }
        return a
    }

    /// An object of string values (labels, annotations).
    func stringMap(_ key: String) throws -> [String: String] {
        guard let o = try object(key) else { return [:] }
        var out: [String: String] = [:]
        out.reserveCapacity(o.object.members.count)
        for (i, m) in o.object.members.enumerated() {
            if case .string(let s) = m.value { out[m.key] = s; continue }
            if o.object.isRepeated(after: i) { continue }
            throw APIError.badRequest("Field \(name(key)).\(m.key) must be a string.")
        }
        return out
    }

    /// An object of numeric values (Grafana values).
    func numberMap(_ key: String) throws -> [String: Double] {
        guard let o = try object(key) else { return [:] }
        var out: [String: Double] = [:]
        for (i, m) in o.object.members.enumerated() {
            if case .number(let n) = m.value { out[m.key] = n; continue }
            if o.object.isRepeated(after: i) { continue }
            throw APIError.badRequest("Field \(name(key)).\(m.key) must be a number.")
        }
        return out
    }

    func date(_ key: String) throws -> Date? {
        guard let s = try string(key) else { return nil }
        guard let d = parseRFC3339(s) else { throw APIError.badRequest("Field \(name(key)) must be an RFC 3339 time, got \"\(s.prefix(40))\".") }
        return Self.sourceTime(d)
    }

    /// A source's time as kept: Go's zero time (`0001-01-01T00:00:00Z`, Alertmanager's "no end") is none.
    static func sourceTime(_ d: Date) -> Date? {
        d.timeIntervalSince1970 <= -62_135_596_800 + 1 ? nil : d
    }
}

/// A JSON number (booleans are not numbers).
func jsonNumber(_ v: Any) -> Double? {
    if let d = v as? Double, !(v is Bool) { return d }
    if v is Bool, !(v is Int) { return nil }
    if let n = v as? NSNumber {
        let t = String(cString: n.objCType)
        if t == "c" || t == "B" { return nil }
        return n.doubleValue
    }
    return v as? Double
}

/// RFC 3339 with any number of fractional digits (Alertmanager sends nanoseconds), parsed by
/// hand: this runs twice per alert on the ingest path.
func parseRFC3339(_ s: String) -> Date? {
    var s = s
    return s.withUTF8 { parseRFC3339(bytes: $0) }
}

func parseRFC3339(bytes b: UnsafeBufferPointer<UInt8>) -> Date? {
    func digits(_ at: Int, _ n: Int) -> Int? {
        guard at + n <= b.count else { return nil }
        var v = 0
        for i in at..<(at + n) {
            let c = b[i]
            guard c >= 48, c <= 57 else { return nil }
            v = v * 10 + Int(c - 48)
        }
        return v
    }
    guard b.count >= 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
          b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
          let y = digits(0, 4), let mo = digits(5, 2), let d = digits(8, 2), let h = digits(11, 2), let mi = digits(14, 2), let sec = digits(17, 2),
          (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
    var i = 19
    var frac = 0.0
    if i < b.count, b[i] == UInt8(ascii: ".") {
        i += 1
        var scale = 0.1
        let start = i
        while i < b.count, b[i] >= 48, b[i] <= 57 {
            frac += Double(b[i] - 48) * scale
            scale /= 10
            i += 1
        }
        guard i > start else { return nil }
    }
    var offset = 0
    guard i < b.count else { return nil }
    if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
        i += 1
    } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
        guard i + 6 == b.count, b[i + 3] == UInt8(ascii: ":"), let oh = digits(i + 1, 2), let om = digits(i + 4, 2), oh < 24, om < 60 else { return nil }
        offset = (b[i] == UInt8(ascii: "-") ? -1 : 1) * (oh * 3600 + om * 60)
        i += 6
    } else {
        return nil
    }
    guard i == b.count else { return nil }
    // Days from the civil date (Howard Hinnant's algorithm), then seconds.
    let yy = mo <= 2 ? y - 1 : y
    let era = (yy >= 0 ? yy : yy - 399) / 400
    let yoe = yy - era * 400
    let doy = (153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    let seconds = days * 86_400 + h * 3600 + mi * 60 + sec - offset
    // Milliseconds are kept: enough for incidents, and exact through the store's JSON.
    return Date(timeIntervalSince1970: Double(seconds) + (frac * 1000).rounded(.down) / 1000)
}

/// A stable fingerprint of a label set, for sources that send none.
func fingerprint(of labels: [String: String]) -> String {
    var h: UInt64 = 0xcbf29ce484222325
    for (k, v) in labels.sorted(by: { $0.key < $1.key }) {
        for b in k.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        h = (h ^ 0xff) &* 0x100000001b3
        for b in v.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        h = (h ^ 0xfe) &* 0x100000001b3
    }
    return String(h, radix: 16)
}
