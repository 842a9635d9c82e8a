import Foundation
import KlaxonCore

/// Typed reads from a decoded JSON object that fail with a 400 naming the field.
struct Fields {
    let object: [String: Any]
    let path: String

    init(_ object: [String: Any], path: String = "") { self.object = object; self.path = path }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    func string(_ key: String, required: Bool = false, maxLength: Int? = nil) throws -> String? {
        guard let v = object[key], !(v is NSNull) else {
            if required { throw APIError.badRequest("Field \(name(key)) is required.") }
            return nil
        }
        guard let s = v as? String else { throw APIError.badRequest("Field \(name(key)) must be a string.") }
        if let m = maxLength, s.count > m { throw APIError.badRequest("Field \(name(key)) is longer than \(m) characters.") }
        return s
    }

    func object(_ key: String, required: Bool = false) throws -> Fields? {
        guard let v = object[key], !(v is NSNull) else {
            if required { throw APIError.badRequest("Field \(name(key)) is required.") }
            return nil
        }
        guard let o = v as? [String: Any] else { throw APIError.badRequest("Field \(name(key)) must be an object.") }
        return Fields(o, path: name(key))
    }

    func array(_ key: String, required: Bool = false) throws -> [Any]? {
        guard let v = object[key], !(v is NSNull) else {
            if required { throw APIError.badRequest("Field \(name(key)) is required.") }
            return nil
        }
        guard let a = v as? [Any] else { throw APIError.badRequest("Field \(name(key)) must be an array.") }
        return a
    }

    /// An object of string values (labels, annotations).
    func stringMap(_ key: String) throws -> [String: String] {
        guard let o = try object(key) else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in o.object {
            guard let s = v as? String else { throw APIError.badRequest("Field \(name(key)).\(k) must be a string.") }
            out[k] = s
        }
        return out
    }

    /// An object of numeric values (Grafana values).
    func numberMap(_ key: String) throws -> [String: Double] {
        guard let o = try object(key) else { return [:] }
        var out: [String: Double] = [:]
        for (k, v) in o.object {
            guard let n = jsonNumber(v) else { throw APIError.badRequest("Field \(name(key)).\(k) must be a number.") }
            out[k] = n
        }
        return out
    }

    func date(_ key: String) throws -> Date? {
        guard let s = try string(key) else { return nil }
        guard let d = parseRFC3339(s) else { throw APIError.badRequest("Field \(name(key)) must be an RFC 3339 time, got \"\(s.prefix(40))\".") }
        return d.timeIntervalSince1970 <= -62_135_596_800 + 1 ? nil : d
    }
}

/// A JSON number (booleans are not numbers).
func jsonNumber(_ v: Any) -> Double? {
    if v is Bool, !(v is Int) { return nil }
    if let n = v as? NSNumber {
        let t = String(cString: n.objCType)
        if t == "c" || t == "B" { return nil }
        return n.doubleValue
    }
    return v as? Double
}

/// RFC 3339 with any number of fractional digits (Alertmanager sends nanoseconds).
func parseRFC3339(_ s: String) -> Date? {
    let pattern = #"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"#
    guard let re = try? NSRegularExpression(pattern: pattern),
          let m = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) else { return nil }
    func g(_ i: Int) -> String? { Range(m.range(at: i), in: s).map { String(s[$0]) } }
    guard let y = Int(g(1)!), let mo = Int(g(2)!), let d = Int(g(3)!), let h = Int(g(4)!), let mi = Int(g(5)!), let sec = Int(g(6)!),
          (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61 else { return nil }
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "UTC")!
    guard let base = cal.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: sec)) else { return nil }
    // Milliseconds are kept: enough for incidents, and exact through the store's JSON.
    let frac = ((g(7).flatMap { Double("0" + $0) } ?? 0) * 1000).rounded(.down) / 1000
    var offset = 0
    if let o = g(8), o.uppercased() != "Z" {
        let sign = o.hasPrefix("-") ? -1 : 1
        offset = sign * (Int(o.dropFirst().prefix(2))! * 3600 + Int(o.suffix(2))! * 60)
    }
    return base.addingTimeInterval(frac - Double(offset))
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
