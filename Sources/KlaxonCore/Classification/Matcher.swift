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
    private let regex: RE2Program?

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
        var regex: RE2Program? = nil
        if op.isNumeric {
            guard let n = Double(value), n.isFinite else {
                throw ParseError(offset: valueStart, message: "operator \(op.rawValue) needs a number, got \"\(value)\"")
            }
            number = n
        } else if op == .matches || op == .notMatches {
            let pattern = Array(decoded)
            do {
                try RE2Syntax.check(pattern)
                regex = try RE2Program(pattern)
            } catch let p as RE2Syntax.Problem {
                let at = p.index < origin.count ? origin[p.index] : valueStart
                throw ParseError(offset: at, message: "regular expression \"\(value)\": \(p.message)")
            } catch { throw ParseError(offset: valueStart, message: "invalid regular expression \"\(value)\": \(error)") }
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

/// The syntax of Alertmanager's regular expressions (Go's RE2): what it refuses is refused when
/// the configuration loads, at its place; what it takes, `RE2Program` runs.
enum RE2Syntax {
    struct Problem: Error, Equatable {
        /// Index of the offending scalar in the pattern.
        var index: Int
        var message: String
    }
    static let unsupported = "is not supported by Alertmanager's regular expressions (RE2)"

    /// Checks `p` (a decoded matcher value) and throws the first problem found.
    static func check(_ p: [Unicode.Scalar]) throws {
        let n = p.count
        var i = 0
        var afterRepeat = false   // the previous token was a quantifier (with its lazy `?`)
        // RE2 refuses counted repeats nested beyond 1000 copies of the innermost thing: along
        // any path, the product of the counts ({n,m} counts m, {n,} counts n; {0} ends the
        // path). Per open group, the largest product inside it so far; `atom` is the product
        // inside the last thing read (1 for a character, its largest for a group just closed).
        var largest: [Int] = [1]
        var names = Set<String>()
        var openedAt: [Int] = []  // where each open group starts
        var atom = 1
        func at(_ k: Int) -> Unicode.Scalar? { k < n ? p[k] : nil }
        func element(_ product: Int) { largest[largest.count - 1] = max(largest[largest.count - 1], product) }
        while i < n {
            let c = p[i]
            switch c {
            case "\\":
                if at(i + 1) == "Q" {
                    // Literal text up to `\E`.
                    var j = i + 2
                    while j < n, !(p[j] == "\\" && at(j + 1) == "E") { j += 1 }
                    // RE2 alone would quote to the end, but Alertmanager compiles `^(?:re)$`, so
                    // the quote would swallow its closing `)$`: the matcher is an error there.
                    guard j < n else {
                        throw Problem(index: i, message: "\\Q without \\E \(unsupported) (the quote would run past the end of the matcher); close it with \\E")
                    }
                    i = j + 2
                } else {
                    i = try escape(p, i, inClass: false)
                }
                afterRepeat = false
            case "[":
                i = try characterClass(p, i)
                afterRepeat = false
            case "(":
                if at(i + 1) == "?" { try groupPrefix(p, i, names: &names) }
                openedAt.append(i)
                largest.append(1)
                i += 1
                afterRepeat = false
                continue
            case ")":
                // Alertmanager compiles `^(?:re)$`: a `)` without its `(` would close that group.
                guard openedAt.popLast() != nil else { throw Problem(index: i, message: "a ) without its opening (") }
                atom = largest.removeLast()
                element(atom)
                i += 1
                afterRepeat = false
                continue
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
                    let copies = counts.count == 2 ? counts[1] : counts[0]
                    let product = copies * atom
                    if product > 1000, counts.contains(where: { $0 >= 2 }) {
                        throw Problem(index: i, message: "repeats nested to \(product) copies (over 1000) \(unsupported)")
                    }
                    element(product)
                    atom = product
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
            if !afterRepeat { atom = 1 }
        }
        if let start = openedAt.last {
            throw Problem(index: start, message: "a ( without its closing )")
        }
    }

    private static func repeatProblem(_ p: [Unicode.Scalar], _ i: Int) -> Problem {
        p[i] == "+"
            ? Problem(index: i, message: "a possessive quantifier (…\(p[i - 1])+) \(unsupported)")
            : Problem(index: i, message: "a repetition of a repetition (…\(p[i - 1])\(p[i])) \(unsupported); use a group")
    }

    /// `{n}`, `{n,}` or `{n,m}` at `i`: the index after it and its counts; nil when RE2 reads the
    /// brace as a literal.
    static func repeatCount(_ p: [Unicode.Scalar], _ i: Int) -> (Int, [Int])? {
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

    /// `(?` at `i`: refuses lookaround, atomic groups, comments and flags RE2 does not have.
    /// Named groups are taken (RE2's `(?P<name>…)`, and `(?<name>…)` of Go 1.22 on), each name
    /// once; a matcher only asks whether the whole value matches, so they are plain groups.
    private static func groupPrefix(_ p: [Unicode.Scalar], _ i: Int, names: inout Set<String>) throws {
        func at(_ k: Int) -> Unicode.Scalar? { k < p.count ? p[k] : nil }
        switch at(i + 2) {
        case "=", "!": throw Problem(index: i, message: "lookahead (?\(at(i + 2)!)…) \(unsupported)")
        case ">": throw Problem(index: i, message: "an atomic group (?>…) \(unsupported)")
        case "#": throw Problem(index: i, message: "a comment (?#…) \(unsupported)")
        case "<":
            if at(i + 3) == "=" || at(i + 3) == "!" {
                throw Problem(index: i, message: "lookbehind (?<\(at(i + 3)!)…) \(unsupported)")
            }
            try groupName(p, i, from: i + 3, names: &names)
        case "P":
            guard at(i + 3) == "<" else {
                throw Problem(index: i, message: "(?P\(at(i + 3).map { String($0) } ?? "")…) \(unsupported); a named group is written (?P<name>…)")
            }
            try groupName(p, i, from: i + 4, names: &names)
        default:
            // RE2's flags: i, m, s and U, then at most one `-` with at least one flag after it.
            var j = i + 2, negated = false, flagAfterMinus = false
            while let f = at(j), f != ")", f != ":" {
                if f == "-" {
                    if negated { throw Problem(index: j, message: "a second - in a flag group \(unsupported)") }
                    negated = true
                } else if "imsU".unicodeScalars.contains(f) {
                    flagAfterMinus = negated
                } else {
                    throw Problem(index: j, message: "the regex flag \"\(f)\" is not supported; use i, m, s or U")
                }
                j += 1
            }
            if negated, !flagAfterMinus {
                throw Problem(index: i, message: "a flag group with - and no flag after it \(unsupported)")
            }
        }
    }

    /// The name of a named group, from `start` up to its `>`: letters, digits and `_`, not
    /// empty, not used before.
    private static func groupName(_ p: [Unicode.Scalar], _ i: Int, from start: Int, names: inout Set<String>) throws {
        var j = start
        while j < p.count, p[j] != ">" { j += 1 }
        let name = p[start..<min(j, p.count)]
        guard j < p.count, !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }) else {
            throw Problem(index: i, message: "a named group needs a name of letters, digits and _ closed by >, as in (?P<name>…)")
        }
        guard names.insert(String(String.UnicodeScalarView(name))).inserted else {
            throw Problem(index: i, message: "the group name \(String(String.UnicodeScalarView(name))) is used twice; RE2 refuses that")
        }
    }

    /// The index after a named group's opening `(?P<name>` or `(?<name>` at `i`, or nil when
    /// the group at `i` has no name.
    static func namedGroupEnd(_ p: [Unicode.Scalar], _ i: Int) -> Int? {
        func at(_ k: Int) -> Unicode.Scalar? { k < p.count ? p[k] : nil }
        guard at(i + 1) == "?", at(i + 2) == "<" && at(i + 3) != "=" && at(i + 3) != "!" || at(i + 2) == "P" && at(i + 3) == "<" else { return nil }
        var j = i + 3
        while j < p.count, p[j] != ">" { j += 1 }
        return min(j + 1, p.count)
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
                // `[:alpha:]`; any other `[` is a literal (so are `&&` and `--`), as in RE2.
                if at(j + 1) == ":" {
                    var k = j + 2
                    while k + 1 < n, !(p[k] == ":" && p[k + 1] == "]") { k += 1 }
                    if k + 1 < n { j = k + 2; continue }
                }
                j += 1
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
            // \1 to \7 before another octal digit start an octal escape, as \0 does; alone,
            // or \8 and \9, they would be backreferences.
            guard isOctal(e), isOctal(at(i + 2)) else {
                throw Problem(index: i, message: "a backreference (\\\(e)) \(unsupported)")
            }
            return try character(p, i).1
        case "0":
            return try character(p, i).1
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

/// The character classes and escapes of RE2, as `RE2Program` reads them.
extension RE2Syntax {
    /// Inclusive ranges of scalar values.
    typealias Ranges = [(UInt32, UInt32)]

    static let digit: Ranges = [(0x30, 0x39)]
    static let space: Ranges = [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)]   // \t \n \f \r and space: no \v
    static let word: Ranges = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]

    /// Go's `posixGroup` (regexp/syntax/perl_groups.go): ASCII only.
    static let posix: [String: Ranges] = [
        "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
        "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
        "ascii": [(0x00, 0x7F)],
        "blank": [(0x09, 0x09), (0x20, 0x20)],
        "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
        "digit": [(0x30, 0x39)],
        "graph": [(0x21, 0x7E)],
        "lower": [(0x61, 0x7A)],
        "print": [(0x20, 0x7E)],
        "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
        "space": [(0x09, 0x0D), (0x20, 0x20)],
        "upper": [(0x41, 0x5A)],
        "word": [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)],
        "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
    ]

    /// `\d`, `\s`, `\w` and their negations.
    static func perlClass(_ e: Unicode.Scalar) -> (ranges: Ranges, negated: Bool)? {
        switch e {
        case "d": return (digit, false)
        case "D": return (digit, true)
        case "s": return (space, false)
        case "S": return (space, true)
        case "w": return (word, false)
        case "W": return (word, true)
        default: return nil
        }
    }

    /// A literal character at `i`, plain or escaped as RE2's `parseEscape` reads it: its value and
    /// the index after it.
    static func character(_ p: [Unicode.Scalar], _ i: Int) throws -> (UInt32, Int) {
        let n = p.count
        func at(_ k: Int) -> Unicode.Scalar? { k < n ? p[k] : nil }
        func octal(_ s: Unicode.Scalar?) -> UInt32? { s.flatMap { ("0"..."7").contains($0) ? $0.value - 48 : nil } }
        func hex(_ s: Unicode.Scalar?) -> UInt32? {
            guard let s, s.isASCII, s.properties.isASCIIHexDigit else { return nil }
            return UInt32(String(s), radix: 16)
        }
        guard p[i] == "\\" else { return (p[i].value, i + 1) }
        guard let e = at(i + 1) else { throw Problem(index: i, message: "a trailing backslash \(unsupported)") }
        switch e {
        case "0"..."7":
            guard e == "0" || octal(at(i + 2)) != nil else {
                throw Problem(index: i, message: "a backreference (\\\(e)) \(unsupported)")
            }
            var v = e.value - 48, j = i + 2
            while j < i + 4, let d = octal(at(j)) { v = v * 8 + d; j += 1 }
            return (v, j)
        case "x":
            if at(i + 2) == "{" {
                var v: UInt32 = 0, j = i + 3
                while let d = hex(at(j)) { v = min(v * 16 + d, 0x110000); j += 1 }
                guard j > i + 3, at(j) == "}", v <= 0x10FFFF else {
                    throw Problem(index: i, message: "write \\x{…} with 1 to 6 hex digits up to 10FFFF")
                }
                return (v, j + 1)
            }
            guard let h = hex(at(i + 2)), let l = hex(at(i + 3)) else {
                throw Problem(index: i, message: "write \\x with exactly two hex digits or as \\x{…}")
            }
            return (h * 16 + l, i + 4)
        case "a": return (0x07, i + 2)
        case "f": return (0x0C, i + 2)
        case "n": return (0x0A, i + 2)
        case "r": return (0x0D, i + 2)
        case "t": return (0x09, i + 2)
        case "v": return (0x0B, i + 2)   // the vertical tab only (ICU's \v is any vertical space)
        default:
            guard e.isASCII, !e.properties.isAlphabetic, !("0"..."9").contains(e) else {
                throw Problem(index: i, message: "the escape \\\(e) is not a character here; Alertmanager's regular expressions (RE2) reject it")
            }
            return (e.value, i + 2)
        }
    }

    /// `\pL`, `\p{Greek}`, `\P{…}`, `\p{^…}` at `i` as a class item, and the index after it.
    static func unicodeItem(_ p: [Unicode.Scalar], _ i: Int) throws -> (ClassItem, Int) {
        let n = p.count
        var negated = p[i + 1] == "P"
        var name: [Unicode.Scalar], end: Int
        guard i + 2 < n else { throw Problem(index: i, message: "\\\(p[i + 1]) needs a class name such as \\\(p[i + 1]){Greek}") }
        if p[i + 2] == "{" {
            guard let close = p[(i + 3)...].firstIndex(of: "}") else {
                throw Problem(index: i, message: "\\\(p[i + 1]){ without its closing }")
            }
            name = Array(p[(i + 3)..<close]); end = close + 1
        } else {
            name = [p[i + 2]]; end = i + 3
        }
        if name.first == "^" { negated.toggle(); name.removeFirst() }
        let text = String(String.UnicodeScalarView(name))
        // Spelled as Go spells it: Any, a general category or a script.
        let set: ClassItem.Set
        if text == "Any" {
            set = .anyScalar
        } else if goCategories.contains(text) {
            set = .category(text)
        } else if goScripts.contains(text) {
            set = .script(try ScriptClass(text))
        } else {
            throw Problem(index: i, message: "unknown Unicode class \(String(String.UnicodeScalarView(p[i..<end]))); Alertmanager's regular expressions (RE2) know Any, the general categories (L, Lu, Nd, P, ...) and the script names (Greek, Latin, Han, ...), spelled as Unicode spells them")
        }
        return (ClassItem(set: set, negated: negated), end)
    }

    /// The general categories Go's `regexp` knows (Go 1.19, Alertmanager 0.25's).
    static let goCategories: Set<String> = [
        "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn",
        "N", "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm",
        "So", "Z", "Zl", "Zp", "Zs",
    ]

    /// The script names Go's `regexp` knows: Unicode 15.0's (Go 1.21 on; Alertmanager 0.25's Go
    /// 1.19 had Unicode 13.0's, without Cypro_Minoan, Kawi, Nag_Mundari, Old_Uyghur, Tangsa, Toto
    /// and Vithkuqi).
    static let goScripts: Set<String> = [
        "Adlam", "Ahom", "Anatolian_Hieroglyphs", "Arabic", "Armenian", "Avestan", "Balinese", "Bamum",
        "Bassa_Vah", "Batak", "Bengali", "Bhaiksuki", "Bopomofo", "Brahmi", "Braille", "Buginese", "Buhid",
        "Canadian_Aboriginal", "Carian", "Caucasian_Albanian", "Chakma", "Cham", "Cherokee", "Chorasmian",
        "Common", "Coptic", "Cuneiform", "Cypriot", "Cypro_Minoan", "Cyrillic", "Deseret", "Devanagari",
        "Dives_Akuru", "Dogra", "Duployan", "Egyptian_Hieroglyphs", "Elbasan", "Elymaic", "Ethiopic",
        "Georgian", "Glagolitic", "Gothic", "Grantha", "Greek", "Gujarati", "Gunjala_Gondi", "Gurmukhi",
        "Han", "Hangul", "Hanifi_Rohingya", "Hanunoo", "Hatran", "Hebrew", "Hiragana", "Imperial_Aramaic",
        "Inherited", "Inscriptional_Pahlavi", "Inscriptional_Parthian", "Javanese", "Kaithi", "Kannada",
        "Katakana", "Kawi", "Kayah_Li", "Kharoshthi", "Khitan_Small_Script", "Khmer", "Khojki", "Khudawadi",
        "Lao", "Latin", "Lepcha", "Limbu", "Linear_A", "Linear_B", "Lisu", "Lycian", "Lydian", "Mahajani",
        "Makasar", "Malayalam", "Mandaic", "Manichaean", "Marchen", "Masaram_Gondi", "Medefaidrin",
        "Meetei_Mayek", "Mende_Kikakui", "Meroitic_Cursive", "Meroitic_Hieroglyphs", "Miao", "Modi",
        "Mongolian", "Mro", "Multani", "Myanmar", "Nabataean", "Nag_Mundari", "Nandinagari", "New_Tai_Lue",
        "Newa", "Nko", "Nushu", "Nyiakeng_Puachue_Hmong", "Ogham", "Ol_Chiki", "Old_Hungarian", "Old_Italic",
        "Old_North_Arabian", "Old_Permic", "Old_Persian", "Old_Sogdian", "Old_South_Arabian", "Old_Turkic",
        "Old_Uyghur", "Oriya", "Osage", "Osmanya", "Pahawh_Hmong", "Palmyrene", "Pau_Cin_Hau", "Phags_Pa",
        "Phoenician", "Psalter_Pahlavi", "Rejang", "Runic", "Samaritan", "Saurashtra", "Sharada", "Shavian",
        "Siddham", "SignWriting", "Sinhala", "Sogdian", "Sora_Sompeng", "Soyombo", "Sundanese",
        "Syloti_Nagri", "Syriac", "Tagalog", "Tagbanwa", "Tai_Le", "Tai_Tham", "Tai_Viet", "Takri", "Tamil",
        "Tangsa", "Tangut", "Telugu", "Thaana", "Thai", "Tibetan", "Tifinagh", "Tirhuta", "Toto", "Ugaritic",
        "Vai", "Vithkuqi", "Wancho", "Warang_Citi", "Yezidi", "Yi", "Zanabazar_Square",
    ]
}

/// Matchers that must all hold.
public typealias MatcherGroup = [Matcher]

extension Array where Element == Matcher {
    /// All matchers hold (an empty group holds).
    public func allHold(for alert: Alert) -> Bool { allSatisfy { $0.holds(for: alert) } }
}
