import Foundation

/// A JSON value as `FastJSON` reads it: Swift's own types, no `Any` to box or cast.
enum JSONValue: Sendable {
    case object(JSONObject)
    case array([JSONValue])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    /// The same value as Foundation-style `Any` (`[String: Any]`, `[Any]`, `String`, `Double`,
    /// `Bool`, `NSNull`), for readers written against that.
    var any: Any {
        switch self {
        case .object(let o): o.any
        case .array(let a): a.map(\.any)
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b
        case .null: NSNull()
        }
    }

    /// A Foundation-style value (from JSONSerialization, or built by hand) as a JSON value;
    /// nil when it is not one.
    init?(any value: Any) {
        switch value {
        case let s as String: self = .string(s)
        case is NSNull: self = .null
        case let o as [String: Any]:
            var members: [(key: String, value: JSONValue)] = []
            for (k, v) in o {
                guard let j = JSONValue(any: v) else { return nil }
                members.append((k, j))
            }
            self = .object(JSONObject(members: members))
        case let a as [Any]:
            var items: [JSONValue] = []
            for v in a {
                guard let j = JSONValue(any: v) else { return nil }
                items.append(j)
            }
            self = .array(items)
        default:
            if let n = jsonNumber(value) { self = .number(n) }
            else if let b = value as? Bool { self = .bool(b) }
            else { return nil }
        }
    }
}

/// A JSON object: its members in the order written. Objects in request bodies are small, so a
/// look-up scans them rather than hashing every key; when a key is repeated, the last value
/// counts, as it would in a dictionary.
struct JSONObject: Sendable {
    var members: [(key: String, value: JSONValue)]

    init(members: [(key: String, value: JSONValue)] = []) { self.members = members }

    subscript(key: String) -> JSONValue? {
        var i = members.count
        while i > 0 {
            i -= 1
            if members[i].key == key { return members[i].value }
        }
        return nil
    }

    /// Whether `key` is given again after member `index` (so member `index` does not count).
    func isRepeated(after index: Int) -> Bool {
        let key = members[index].key
        return members[(index + 1)...].contains { $0.key == key }
    }

    var any: [String: Any] {
        var o: [String: Any] = [:]
        for m in members { o[m.key] = m.value.any }
        return o
    }
}

/// A small strict JSON reader (RFC 8259) into `JSONValue`. Every request body goes through it,
/// so it avoids Foundation's bridging and `Any`, and it refuses nesting deeper than `maxDepth`
/// instead of recursing until the stack runs out.
struct FastJSON {
    struct Failure: Error { var message: String }

    static let maxDepth = 64

    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0

    private init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    /// Parses one JSON value that fills `bytes` (whitespace around it allowed), as `Any`.
    static func parse(_ bytes: [UInt8]) throws(Failure) -> Any {
        let result: Result<JSONValue, Failure> = bytes.withUnsafeBytes { buf in
            do throws(Failure) { return .success(try parse(buf)) } catch { return .failure(error) }
        }
        return try result.get().any
    }

    /// Parses one JSON value that fills `bytes` (whitespace around it allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> JSONValue {
        let buf = UnsafeBufferPointer(start: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        var p = FastJSON(buf)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == buf.count else { throw Failure(message: "unexpected text after the JSON value") }
        return v
    }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard i < b.count else { throw Failure(message: "unexpected end of JSON") }
        switch b[i] {
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw Failure(message: "nested more than \(Self.maxDepth) levels deep") }
            i += 1
            var members: [(key: String, value: JSONValue)] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(JSONObject(members: members)) }
            members.reserveCapacity(8)
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Failure(message: "expected a string key") }
                let key = try string()
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Failure(message: "expected ':' after a key") }
                i += 1
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard i < b.count else { throw Failure(message: "unexpected end of JSON") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(JSONObject(members: members)) }
                throw Failure(message: "expected ',' or '}' in an object")
            }
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw Failure(message: "nested more than \(Self.maxDepth) levels deep") }
            i += 1
            var array: [JSONValue] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
            while true {
                skipSpace()
                array.append(try value(depth: depth + 1))
                skipSpace()
                guard i < b.count else { throw Failure(message: "unexpected end of JSON") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
                throw Failure(message: "expected ',' or ']' in an array")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try literal("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null"); return .null
        default:
            return .number(try number())
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let n = word.utf8CodeUnitCount
        guard i + n <= b.count else { throw Failure(message: "unexpected end of JSON") }
        for k in 0..<n where b[i + k] != word.utf8Start[k] { throw Failure(message: "unexpected character") }
        i += n
    }

    private mutating func number() throws(Failure) -> Double {
        let start = i
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        guard i < b.count, b[i] >= 0x30, b[i] <= 0x39 else { throw Failure(message: "unexpected character") }
        if b[i] == 0x30 { i += 1 } else { while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 } }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let digits = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > digits else { throw Failure(message: "a number needs digits after '.'") }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            let digits = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
            guard i > digits else { throw Failure(message: "a number needs digits in its exponent") }
        }
        guard let d = Double(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)), d.isFinite else {
            throw Failure(message: "number out of range")
        }
        return d
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard i + 4 <= b.count else { throw Failure(message: "unexpected end of JSON") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = b[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw Failure(message: "bad \\u escape")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }

    /// The byte a one-character escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`) stands
    /// for; nil for any other (`\u` included).
    static func escaped(_ e: UInt8) -> UInt8? {
        switch e {
        case UInt8(ascii: "\""): 0x22
        case UInt8(ascii: "\\"): 0x5C
        case UInt8(ascii: "/"): 0x2F
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
    }

    private mutating func string() throws(Failure) -> String {
        i += 1 // opening quote
        let start = i
        // Fast path: no escapes.
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            guard c >= 0x20 else { throw Failure(message: "control character in a string") }
            i += 1
        }
        var bytes = Array(b[start..<i])
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return String(decoding: bytes, as: UTF8.self) }
            guard c >= 0x20 else { throw Failure(message: "control character in a string") }
            if c != UInt8(ascii: "\\") { bytes.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { break }
            let e = b[i]
            i += 1
            if let byte = Self.escaped(e) { bytes.append(byte); continue }
            switch e {
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 2 <= b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else { throw Failure(message: "lone surrogate in a \\u escape") }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw Failure(message: "lone surrogate in a \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw Failure(message: "lone surrogate in a \\u escape")
                }
                guard let u = Unicode.Scalar(scalar) else { throw Failure(message: "bad \\u escape") }
                bytes.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw Failure(message: "bad escape in a string")
            }
        }
        throw Failure(message: "unterminated string")
    }
}
