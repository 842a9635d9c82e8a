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
        op.isNumeric ? "\(name) \(op.rawValue) \(value)" : "\(name) \(op.rawValue) \"\(value)\""
    }

    public static func == (a: Matcher, b: Matcher) -> Bool { a.name == b.name && a.op == b.op && a.value == b.value }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(op); h.combine(value) }

    /// Parses `name op value`; the value may be double-quoted (with `\"` and `\\` escapes).
    public init(parsing text: String) throws {
        let chars = Array(text)
        var i = 0
        func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }
        skipSpaces()
        let nameStart = i
        while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "." || chars[i] == "-" { i += 1 }
        guard i > nameStart else {
            throw ParseError(offset: nameStart, message: "expected a label name at the start of matcher \"\(text)\"")
        }
        let name = String(chars[nameStart..<i])
        guard name.first!.isLetter || name.first! == "_" else {
            throw ParseError(offset: nameStart, message: "label name \"\(name)\" must start with a letter or _")
        }
        skipSpaces()
        let opStart = i
        var opText = ""
        while i < chars.count, "=!~<>".contains(chars[i]) { opText.append(chars[i]); i += 1 }
        guard let op = Op(rawValue: opText) else {
            let shown = opText.isEmpty ? (i < chars.count ? String(chars[i]) : "end of text") : opText
            throw ParseError(offset: opStart, message: "expected an operator (=, !=, =~, !~, >, >=, <, <=) after \"\(name)\", got \"\(shown)\"")
        }
        skipSpaces()
        let valueStart = i
        var value = ""
        if i < chars.count, chars[i] == "\"" {
            i += 1
            var closed = false
            while i < chars.count {
                let c = chars[i]
                if c == "\\", i + 1 < chars.count { value.append(chars[i + 1]); i += 2; continue }
                if c == "\"" { closed = true; i += 1; break }
                value.append(c); i += 1
            }
            guard closed else { throw ParseError(offset: valueStart, message: "unterminated quoted value in matcher \"\(text)\"") }
            skipSpaces()
            guard i == chars.count else {
                throw ParseError(offset: i, message: "unexpected text after the quoted value in matcher \"\(text)\"")
            }
        } else {
            value = String(chars[i...]).trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty || !op.isNumeric else {
                throw ParseError(offset: valueStart, message: "expected a number after \"\(name) \(op.rawValue)\"")
            }
        }
        var number: Double? = nil
        var regex: AnchoredRegex? = nil
        if op.isNumeric {
            guard let n = Double(value), n.isFinite else {
                throw ParseError(offset: valueStart, message: "operator \(op.rawValue) needs a number, got \"\(value)\"")
            }
            number = n
        } else if op == .matches || op == .notMatches {
            do { regex = try AnchoredRegex(value) } catch {
                throw ParseError(offset: valueStart, message: "invalid regular expression \"\(value)\"")
            }
        }
        self.name = name
        self.op = op
        self.value = value
        self.number = number
        self.regex = regex
    }

    /// Whether the matcher holds for `alert`. A missing label is the empty string for `=`, `!=`,
    /// `=~`, `!~` (as in Alertmanager); a numeric matcher on a missing or non-numeric value does
    /// not hold.
    public func holds(for alert: Alert) -> Bool {
        holds(for: alert.lookup(name))
    }

    public func holds(for found: MatchValue?) -> Bool {
        switch op {
        case .equal: return (found?.text ?? "") == value
        case .notEqual: return (found?.text ?? "") != value
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
}

/// A fully anchored regular expression (`^(?:re)$`), as Alertmanager anchors its matchers.
final class AnchoredRegex: @unchecked Sendable {
    // NSRegularExpression is immutable after creation and safe to share across threads.
    private let regex: NSRegularExpression

    init(_ pattern: String) throws {
        regex = try NSRegularExpression(pattern: "^(?:\(pattern))$", options: [])
    }

    func matches(_ s: String) -> Bool {
        let range = NSRange(s.startIndex..<s.endIndex, in: s)
        return regex.firstMatch(in: s, options: [], range: range) != nil
    }
}

/// Matchers that must all hold.
public typealias MatcherGroup = [Matcher]

extension Array where Element == Matcher {
    /// All matchers hold (an empty group holds).
    public func allHold(for alert: Alert) -> Bool { allSatisfy { $0.holds(for: alert) } }
}
