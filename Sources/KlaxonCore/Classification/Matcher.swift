import Foundation

/// One condition on an alert: Alertmanager's `=`, `!=`, `=~`, `!~` (regexes fully anchored) plus
/// numeric `>`, `>=`, `<`, `<=`. Parsed once, when the configuration loads.
public struct Matcher: Sendable, Hashable, CustomStringConvertible {
    public enum Op: String, Sendable, Hashable, CaseIterable {
        case equal = "=", notEqual = "!=", matches = "=~", notMatches = "!~"
        case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<="

        var isNumeric: Bool { [.greater, .greaterOrEqual, .less, .lessOrEqual].contains(self) }
    }

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// 0-based character offset within the matcher text.
        public var offset: Int
        public var message: String
        public var description: String { message }
    }

    public let name: String
    public let op: Op
    public let value: String
    /// The parsed number for numeric operators.
    public let number: Double?
    private let regex: AnchoredRegex?

    public var description: String {
        op.isNumeric ? "\(name) \(op.rawValue) \(value)" : "\(name) \(op.rawValue) \"\(Matcher.quoted(value))\""
    }

    public static func == (a: Matcher, b: Matcher) -> Bool { a.name == b.name && a.op == b.op && a.value == b.value }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(op); h.combine(value) }

    /// Parses `name op value`. The value is decoded as Alertmanager 0.25 decodes matcher values
    /// (`pkg/labels/parse.go`), quoted or not: after a backslash, `n` is a newline and `"` and `\`
    /// are themselves; a backslash before any other character, or as the very last character,
    /// stays a backslash (so `"5\d\d"` is the regex `5\d\d`); an unescaped `"` inside the
    /// value is an error.
    public init(parsing text: String) throws {
        let chars = Array(text.unicodeScalars)
        var i = 0
        func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        func isNameChar(_ c: Unicode.Scalar) -> Bool {
            let ch = Character(c)
            return ch.isLetter || ch.isNumber || c == "_" || c == "." || c == "-"
        }
        skipSpaces()
        let nameStart = i
        while i < chars.count, isNameChar(chars[i]) { i += 1 }
        guard i > nameStart else {
            throw ParseError(offset: nameStart, message: "expected a label name at the start of matcher \"\(text)\"")
        }
        let name = String(String.UnicodeScalarView(chars[nameStart..<i]))
        guard Character(chars[nameStart]).isLetter || chars[nameStart] == "_" else {
            throw ParseError(offset: nameStart, message: "label name \"\(name)\" must start with a letter or _")
        }
        skipSpaces()
        let opStart = i
        var opText = ""
        while i < chars.count, "=!~<>".unicodeScalars.contains(chars[i]) { opText.unicodeScalars.append(chars[i]); i += 1 }
        guard let op = Op(rawValue: opText) else {
            let shown = opText.isEmpty ? (i < chars.count ? String(chars[i]) : "end of text") : opText
            throw ParseError(offset: opStart, message: "expected an operator (=, !=, =~, !~, >, >=, <, <=) after \"\(name)\", got \"\(shown)\"")
        }
        skipSpaces()
        let valueStart = i
        // The decoded value, and for each of its scalars the offset in `text` it came from.
        var decoded = String.UnicodeScalarView()
        var origin: [Int] = []
        func append(_ c: Unicode.Scalar, from offset: Int) { decoded.append(c); origin.append(offset) }
        /// Decodes `chars[from..<to]`; a `"` in it is an error.
        func decode(from: Int, to: Int, quoted: Bool) throws -> Int {
            var j = from
            while j < to {
                let c = chars[j]
                if c == "\\" {
                    guard j + 1 < to else { append("\\", from: j); j += 1; continue }
                    let e = chars[j + 1]
                    switch e {
                    case "n": append("\n", from: j)
                    case "\"", "\\": append(e, from: j)
                    default: append("\\", from: j); append(e, from: j + 1)   // a spurious escape stays
                    }
                    j += 2
                    continue
                }
                if c == "\"" {
                    if quoted { return j }
                    throw ParseError(offset: j, message: "matcher value contains unescaped double quote in \"\(text)\"; write \\\" for a quote")
                }
                append(c, from: j)
                j += 1
            }
            return j
        }
        if i < chars.count, chars[i] == "\"" {
            let close = try decode(from: i + 1, to: chars.count, quoted: true)
            guard close < chars.count else {
                throw ParseError(offset: valueStart, message: "unterminated quoted value in matcher \"\(text)\"")
            }
            i = close + 1
            skipSpaces()
            guard i == chars.count else {
                throw ParseError(offset: i, message: "unexpected text after the quoted value in matcher \"\(text)\"")
            }
        } else {
            var end = chars.count
            while end > i, chars[end - 1] == " " || chars[end - 1] == "\t" { end -= 1 }
            _ = try decode(from: i, to: end, quoted: false)
            guard !decoded.isEmpty || !op.isNumeric else {
                throw ParseError(offset: valueStart, message: "expected a number after \"\(name) \(op.rawValue)\"")
            }
        }
        let value = String(decoded)
        var number: Double? = nil
        var regex: AnchoredRegex? = nil
        if op.isNumeric {
            guard let n = Double(value), n.isFinite else {
                throw ParseError(offset: valueStart, message: "operator \(op.rawValue) needs a number, got \"\(value)\"")
            }
            number = n
        } else if op == .matches || op == .notMatches {
            let pattern = Array(decoded)
            let scan: RE2Syntax.Scan
            do { scan = try RE2Syntax.check(pattern) } catch let p as RE2Syntax.Problem {
                let at = p.index < origin.count ? origin[p.index] : valueStart
                throw ParseError(offset: at, message: "regular expression \"\(value)\": \(p.message)")
            } catch { throw ParseError(offset: valueStart, message: "invalid regular expression \"\(value)\"") }
            do { regex = try AnchoredRegex(value, closeQuote: scan.unterminatedQuote) } catch {
                throw ParseError(offset: valueStart, message: "invalid regular expression \"\(value)\"")
            }
        }
        self.name = name
        self.op = op
        self.value = value
        self.number = number
        self.regex = regex
    }

    /// `value` written so that parsing it back between double quotes gives `value` again.
    static func quoted(_ value: String) -> String {
        let s = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        for (k, c) in s.enumerated() {
            switch c {
            case "\"": out.append(contentsOf: #"\""#.unicodeScalars)
            case "\n": out.append(contentsOf: #"\n"#.unicodeScalars)
            case "\\":
                // A lone backslash before an ordinary character stays as it is (`5\d`).
                let next = k + 1 < s.count ? s[k + 1] : nil
                if next == nil || next == "n" || next == "\"" || next == "\\" || next == "\n" {
                    out.append(contentsOf: #"\\"#.unicodeScalars)
                } else { out.append(c) }
            default: out.append(c)
            }
        }
        return String(out)
    }

    /// Whether the matcher holds for `alert`. A missing label is the empty string for `=`, `!=`,
    /// `=~`, `!~` (as in Alertmanager); a numeric matcher on a missing or non-numeric value does
    /// not hold.
    public func holds(for alert: Alert) -> Bool {
        holds(for: alert.lookup(name))
    }

    public func holds(for found: MatchValue?) -> Bool {
        switch op {
        case .equal: return Matcher.sameText(found?.text ?? "", value)
        case .notEqual: return !Matcher.sameText(found?.text ?? "", value)
        case .matches: return regex!.matches(found?.text ?? "")
        case .notMatches: return !regex!.matches(found?.text ?? "")
        case .greater, .greaterOrEqual, .less, .lessOrEqual:
            guard let x = found?.number, let n = number else { return false }
            switch op {
            case .greater: return x > n
            case .greaterOrEqual: return x >= n
            case .less: return x < n
            default: return x <= n
            }
        }
    }

    /// Byte-for-byte equality, as in Alertmanager (Swift's `==` would also equate canonically
    /// equivalent texts such as a precomposed "é" and "e" + combining accent).
    static func sameText(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }
}

/// A fully anchored regular expression (`\A(?:re)\z`), as Alertmanager anchors its matchers:
/// the whole value must match (ICU's `$` would also match before a trailing newline). `.` stops
/// only at `\n`, as in Go.
final class AnchoredRegex: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and safe to share across threads.
    private let regex: NSRegularExpression

    /// `closeQuote`: `pattern` ends inside `\Q…` (literal to the end in RE2), so close it first.
    init(_ pattern: String, closeQuote: Bool = false) throws {
        let body = closeQuote ? pattern + #"\E"# : pattern
        regex = try NSRegularExpression(pattern: #"\A(?:"# + body + #")\z"#, options: [.useUnixLineSeparators])
    }

    func matches(_ s: String) -> Bool {
        let range = NSRange(s.startIndex..<s.endIndex, in: s)
        return regex.firstMatch(in: s, options: [], range: range) != nil
    }
}

/// Regular-expression syntax that ICU (Klaxon's engine) accepts but Alertmanager's RE2 rejects
/// or reads differently; such matchers are refused when the configuration loads.
enum RE2Syntax {
    struct Problem: Error, Equatable {
        /// Index of the offending scalar in the pattern.
        var index: Int
        var message: String
    }
    struct Scan: Equatable {
        /// The pattern ends inside `\Q…` without `\E`.
        var unterminatedQuote = false
    }

    static let unsupported = "is not supported by Alertmanager's regular expressions (RE2)"

    /// Checks `p` (a decoded matcher value) and throws the first problem found.
    static func check(_ p: [Unicode.Scalar]) throws -> Scan {
        var scan = Scan()
        let n = p.count
        var i = 0
        var afterRepeat = false   // the previous token was a quantifier (with its lazy `?`)
        func at(_ k: Int) -> Unicode.Scalar? { k < n ? p[k] : nil }
        while i < n {
            let c = p[i]
            switch c {
            case "\\":
                if at(i + 1) == "Q" {
                    // Literal text up to `\E` (or the end).
                    var j = i + 2
                    while j < n, !(p[j] == "\\" && at(j + 1) == "E") { j += 1 }
                    if j >= n { scan.unterminatedQuote = true; i = n } else { i = j + 2 }
                } else {
                    i = try escape(p, i, inClass: false)
                }
                afterRepeat = false
            case "[":
                i = try characterClass(p, i)
                afterRepeat = false
            case "(":
                if at(i + 1) == "?" { try groupPrefix(p, i) }
                i += 1
                afterRepeat = false
            case "*", "+", "?":
                if afterRepeat { throw repeatProblem(p, i) }
                i += 1
                if at(i) == "?" { i += 1 }   // lazy
                afterRepeat = true
            case "{":
                if let (end, counts) = repeatCount(p, i) {
                    if afterRepeat { throw repeatProblem(p, i) }
                    if counts.contains(where: { $0 > 1000 }) {
                        throw Problem(index: i, message: "a repeat count above 1000 \(unsupported)")
                    }
                    i = end
                    if at(i) == "?" { i += 1 }
                    afterRepeat = true
                } else {
                    i += 1   // a literal `{` in RE2
                    afterRepeat = false
                }
            default:
                i += 1
                afterRepeat = false
            }
        }
        return scan
    }

    private static func repeatProblem(_ p: [Unicode.Scalar], _ i: Int) -> Problem {
        p[i] == "+"
            ? Problem(index: i, message: "a possessive quantifier (…\(p[i - 1])+) \(unsupported)")
            : Problem(index: i, message: "a repetition of a repetition (…\(p[i - 1])\(p[i])) \(unsupported); use a group")
    }

    /// `{n}`, `{n,}` or `{n,m}` at `i`: the index after it and its counts; nil when RE2 reads the
    /// brace as a literal.
    private static func repeatCount(_ p: [Unicode.Scalar], _ i: Int) -> (Int, [Int])? {
        var j = i + 1
        var counts: [Int] = []
        func number() -> Bool {
            var v = 0, digits = 0
            while j < p.count, ("0"..."9").contains(p[j]) {
                v = min(v * 10 + Int(p[j].value - 48), 100_000); digits += 1; j += 1
            }
            if digits > 0 { counts.append(v) }
            return digits > 0
        }
        guard number() else { return nil }
        if j < p.count, p[j] == "," {
            j += 1
            _ = number()
        }
        guard j < p.count, p[j] == "}" else { return nil }
        return (j + 1, counts)
    }

    /// `(?` at `i`: refuses lookaround, atomic groups, comments, named groups and flags RE2
    /// does not have.
    private static func groupPrefix(_ p: [Unicode.Scalar], _ i: Int) throws {
        func at(_ k: Int) -> Unicode.Scalar? { k < p.count ? p[k] : nil }
        switch at(i + 2) {
        case "=", "!": throw Problem(index: i, message: "lookahead (?\(at(i + 2)!)…) \(unsupported)")
        case ">": throw Problem(index: i, message: "an atomic group (?>…) \(unsupported)")
        case "#": throw Problem(index: i, message: "a comment (?#…) \(unsupported)")
        case "<":
            if at(i + 3) == "=" || at(i + 3) == "!" {
                throw Problem(index: i, message: "lookbehind (?<\(at(i + 3)!)…) \(unsupported)")
            }
            throw Problem(index: i, message: "a named group (?<name>…) \(unsupported); use a plain group (…)")
        case "P":
            throw Problem(index: i, message: "named groups (?P<name>…) are not supported by Klaxon; a plain group (…) matches the same")
        default:
            var j = i + 2
            while let f = at(j), f != ")", f != ":" {
                if f != "-", !"ims".unicodeScalars.contains(f) {
                    throw Problem(index: j, message: "the regex flag \"\(f)\" is not supported; use i, m or s")
                }
                j += 1
            }
        }
    }

    /// A character class starting at `i`, read as RE2 reads it; returns the index after its `]`.
    private static func characterClass(_ p: [Unicode.Scalar], _ i: Int) throws -> Int {
        let n = p.count
        func at(_ k: Int) -> Unicode.Scalar? { k < n ? p[k] : nil }
        var j = i + 1
        if at(j) == "^" { j += 1 }
        var first = true   // a `]` right after `[` or `[^` is a literal
        while j < n {
            let c = p[j]
            defer { first = false }
            switch c {
            case "]" where !first:
                return j + 1
            case "[":
                if at(j + 1) == ":" {
                    var k = j + 2
                    while k + 1 < n, !(p[k] == ":" && p[k + 1] == "]") { k += 1 }
                    if k + 1 < n { j = k + 2; continue }   // [:alpha:]
                }
                throw Problem(index: j, message: "a [ inside a character class is a literal to Alertmanager but a nested class to Klaxon's regex engine; write \\[")
            case "&" where at(j + 1) == "&", "-" where at(j + 1) == "-":
                throw Problem(index: j, message: "\(c)\(c) inside a character class is a set operation to Klaxon's regex engine but literal text to Alertmanager; write \\\(c)")
            case "\\":
                j = try escape(p, j, inClass: true)
            default:
                j += 1
            }
        }
        return n   // unterminated: the regex engine reports it
    }

    /// The escape at `i` (a backslash); returns the index after it.
    private static func escape(_ p: [Unicode.Scalar], _ i: Int, inClass: Bool) throws -> Int {
        let n = p.count
        func at(_ k: Int) -> Unicode.Scalar? { k < n ? p[k] : nil }
        func isOctal(_ s: Unicode.Scalar?) -> Bool { s.map { ("0"..."7").contains($0) } ?? false }
        func isHex(_ s: Unicode.Scalar?) -> Bool { s.map { $0.isASCII && $0.properties.isASCIIHexDigit } ?? false }
        guard let e = at(i + 1) else { throw Problem(index: i, message: "a trailing backslash \(unsupported)") }
        switch e {
        case "1"..."9":
            if isOctal(e), isOctal(at(i + 2)) {
                throw Problem(index: i, message: "\\\(e)\(at(i + 2)!) is an octal escape to Alertmanager but a backreference to Klaxon's regex engine; write \\x{…}")
            }
            throw Problem(index: i, message: "a backreference (\\\(e)) \(unsupported)")
        case "0":
            if isOctal(at(i + 2)), isOctal(at(i + 3)), isOctal(at(i + 4)) {
                throw Problem(index: i, message: "an octal escape with more than two digits after \\0 reads differently in Alertmanager; write \\x{…}")
            }
            return i + 2
        case "k":
            throw Problem(index: i, message: "a named backreference (\\k<name>) \(unsupported)")
        case "x":
            if at(i + 2) == "{" {
                var k = i + 3
                while k < n, p[k] != "}" { k += 1 }
                return min(k + 1, n)
            }
            guard isHex(at(i + 2)), isHex(at(i + 3)) else {
                throw Problem(index: i, message: "write \\x with exactly two hex digits or as \\x{…}")
            }
            return i + 4
        case "p", "P":
            if at(i + 2) == "{" {
                var k = i + 3
                while k < n, p[k] != "}" { k += 1 }
                return min(k + 1, n)
            }
            return min(i + 3, n)
        default:
            let allowed = inClass ? "dDsSwWafnrtv" : "AzbBdDsSwWafnrtv"
            if e.isASCII, Character(e).isLetter || Character(e).isNumber, !allowed.unicodeScalars.contains(e) {
                throw Problem(index: i, message: "the escape \\\(e) \(unsupported)\(inClass ? " inside a character class" : "")")
            }
            if !e.isASCII {
                throw Problem(index: i, message: "a backslash before \"\(e)\" \(unsupported)")
            }
            return i + 2
        }
    }
}

/// Matchers that must all hold.
public typealias MatcherGroup = [Matcher]

extension Array where Element == Matcher {
    /// All matchers hold (an empty group holds).
    public func allHold(for alert: Alert) -> Bool { allSatisfy { $0.holds(for: alert) } }
}
