import Foundation
import KlaxonCore
import Yams

/// A YAML node with the file it came from, and typed accessors that report problems at the
/// node's `file:line:column` instead of throwing, so one run reports every error.
struct YNode {
    let node: Node
    let file: String
    let sink: DiagnosticSink

    var line: Int { node.mark?.line ?? 1 }
    var column: Int { node.mark?.column ?? 1 }

    func error(_ message: String) { sink.error(file, line, column, message) }
    func warning(_ message: String) { sink.warning(file, line, column, message) }

    /// Reports at a character offset inside this scalar's value (for matchers, durations…), at
    /// the line and column where that character was written: after escapes such as `\"` or
    /// `\u00e9`, on the right line of a folded or literal block. Where the file cannot be read
    /// back to the same value, at the scalar's start.
    func error(atOffset offset: Int, _ message: String) {
        let (l, c) = position(atOffset: offset)
        sink.error(file, l, c, message)
    }

    func position(atOffset offset: Int) -> (line: Int, column: Int) {
        guard let s = node.scalar, let mark = node.mark,
              let text = try? String(contentsOfFile: file, encoding: .utf8),
              let style = ScalarSource.Style(s.style),
              let p = ScalarSource.position(offset: offset, value: s.string, style: style, line: mark.line, column: mark.column, text: text)
        else { return (line, column) }
        return p
    }

    var kindName: String {
        switch node {
        case .scalar(let s): return s.style == .plain && s.string.isEmpty ? "nothing" : "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    var isNull: Bool {
        if case .scalar(let s) = node, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return true }
        return false
    }

    /// The entries of a mapping. Unknown keys are errors at the key; `required` keys that are
    /// missing are errors at the mapping.
    func mapping(_ what: String, allowed: [String], required: [String] = []) -> YMap? {
        guard case .mapping(let m) = node else {
            error("expected \(what) (a mapping), got \(kindName)")
            return nil
        }
        var entries: [String: YNode] = [:]
        var keys: [String: YNode] = [:]
        var order: [String] = []
        for (k, v) in m {
            let keyNode = YNode(node: k, file: file, sink: sink)
            guard let key = k.scalar?.string else { keyNode.error("expected a plain key in \(what)"); continue }
            guard allowed.contains(key) else {
                keyNode.error("unknown key \"\(key)\" in \(what); expected one of: \(allowed.joined(separator: ", "))")
                continue
            }
            if entries[key] != nil { keyNode.error("duplicate key \"\(key)\" in \(what)"); continue }
            entries[key] = YNode(node: v, file: file, sink: sink)
            keys[key] = keyNode
            order.append(key)
        }
        var ok = true
        for r in required where entries[r] == nil {
            error("missing key \"\(r)\" in \(what)")
            ok = false
        }
        return YMap(owner: self, entries: entries, keys: keys, order: order, complete: ok)
    }

    /// A list; a single scalar is not accepted (YAML lists are explicit).
    func list(_ what: String) -> [YNode]? {
        guard case .sequence(let s) = node else {
            if isNull { return [] }
            error("expected \(what) (a list), got \(kindName)")
            return nil
        }
        return s.map { YNode(node: $0, file: file, sink: sink) }
    }

    func string(_ what: String) -> String? {
        guard case .scalar(let s) = node else {
            error("expected \(what) (a string), got \(kindName)")
            return nil
        }
        return s.string
    }

    /// A non-empty string.
    func name(_ what: String) -> String? {
        guard let s = string(what) else { return nil }
        guard !s.trimmingCharacters(in: .whitespaces).isEmpty else { error("\(what) must not be empty"); return nil }
        return s
    }

    func int(_ what: String, min: Int? = nil) -> Int? {
        guard case .scalar(let s) = node, s.style == .plain, let v = Int(s.string) else {
            error("expected \(what) (a whole number), got \(scalarShown)")
            return nil
        }
        if let m = min, v < m { error("\(what) must be at least \(m), got \(v)"); return nil }
        return v
    }

    func bool(_ what: String) -> Bool? {
        guard case .scalar(let s) = node, s.style == .plain else {
            error("expected \(what) (true or false), got \(scalarShown)")
            return nil
        }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error("expected \(what) (true or false), got \"\(s.string)\"")
            return nil
        }
    }

    func stringList(_ what: String) -> [(String, YNode)]? {
        guard let items = list(what) else { return nil }
        var out: [(String, YNode)] = []
        for item in items {
            if let s = item.string("an entry of \(what)") { out.append((s, item)) }
        }
        return out
    }

    func duration(_ what: String) -> TimeInterval? {
        guard let text = string(what) else { return nil }
        do { return try DurationText.parse(text) } catch let e as DurationText.ParseError {
            error(atOffset: e.offset, "bad duration for \(what): \(e.message)")
            return nil
        } catch { return nil }
    }

    func timeZone(_ what: String) -> TimeZone? {
        guard let id = string(what) else { return nil }
        guard let tz = knownTimeZone(id) else {
            error("unknown time zone \"\(id)\" for \(what); use an IANA name such as Europe/Berlin or America/New_York")
            return nil
        }
        return tz
    }

    func severity(_ what: String) -> Severity? {
        guard let s = string(what) else { return nil }
        guard let sev = Severity(text: s) else {
            error("expected a severity P0, P1, P2, P3 or P4 for \(what), got \"\(s)\"")
            return nil
        }
        return sev
    }

    func matcher(_ what: String) -> Matcher? {
        guard let text = string(what) else { return nil }
        do { return try Matcher(parsing: text) } catch let e as Matcher.ParseError {
            error(atOffset: e.offset, "bad matcher: \(e.message)")
            return nil
        } catch { return nil }
    }

    /// One matcher string or a list of them, all of which must hold.
    func matcherGroup(_ what: String) -> [Matcher]? {
        if case .scalar = node { return matcher(what).map { [$0] } }
        guard let items = list(what) else { return nil }
        var out: [Matcher] = []
        var ok = true
        for item in items { if let m = item.matcher(what) { out.append(m) } else { ok = false } }
        return ok ? out : nil
    }

    private var scalarShown: String {
        if case .scalar(let s) = node { return "\"\(s.string)\"" }
        return kindName
    }
}

/// The checked entries of a YAML mapping.
struct YMap {
    let owner: YNode
    let entries: [String: YNode]
    let keys: [String: YNode]
    let order: [String]
    /// False when a required key was missing.
    let complete: Bool

    subscript(_ key: String) -> YNode? {
        guard let n = entries[key], !n.isNull else { return nil }
        return n
    }

    func has(_ key: String) -> Bool { entries[key] != nil }
}

/// IANA zone lookup that refuses Foundation's lenient abbreviations and offsets.
func knownTimeZone(_ id: String) -> TimeZone? {
    if id == "UTC" || id == "GMT" { return TimeZone(identifier: id) }
    guard TimeZone.knownTimeZoneIdentifiers.contains(id) else { return nil }
    return TimeZone(identifier: id)
}

/// Where each character of a scalar's value was written in its file. The scalar's source is
/// read again from its mark as libyaml reads it (`scanner.c`: escapes, `''`, line folding, block
/// indentation), and the result is used only when it gives back exactly the value libyaml gave.
enum ScalarSource {
    /// One decoded character and the source it came from (`start..<end`, scalar indices).
    typealias Piece = (value: UInt32, start: Int, end: Int)

    enum Style: Sendable {
        case plain, singleQuoted, doubleQuoted, literal, folded

        init?(_ s: Node.Scalar.Style) {
            switch s {
            case .plain, .any: self = .plain
            case .singleQuoted: self = .singleQuoted
            case .doubleQuoted: self = .doubleQuoted
            case .literal: self = .literal
            case .folded: self = .folded
            @unknown default: return nil
            }
        }
    }

    /// The 1-based line and column (in Unicode scalars, as libyaml counts) of the character at
    /// `offset` in `value` (or just after the last one when `offset == value` length), for a
    /// scalar whose mark is `line`:`column` in `text`; nil when the source does not give `value`
    /// back.
    static func position(offset: Int, value: String, style: Style, line: Int, column: Int, text: String) -> (line: Int, column: Int)? {
        let src = Array(text.unicodeScalars)
        let expected = value.unicodeScalars.map(\.value)
        guard offset >= 0, offset <= expected.count else { return nil }
        let starts = lineStarts(src)
        guard line >= 1, line <= starts.count, column >= 1 else { return nil }
        var k = starts[line - 1] + column - 1
        guard k <= src.count else { return nil }
        k = skipProperties(src, k)
        func fits(_ pieces: [Piece]?) -> [Piece]? {
            guard let pieces, pieces.count >= expected.count,
                  zip(pieces, expected).allSatisfy({ $0.0.value == $0.1 }) else { return nil }
            return pieces
        }
        var pieces: [Piece]? = nil
        switch style {
        case .plain:
            pieces = fits(flow(src, k, quote: nil, limit: expected.count))
        case .singleQuoted:
            guard k < src.count, src[k] == "'" else { return nil }
            pieces = fits(flow(src, k + 1, quote: "'", limit: expected.count))
        case .doubleQuoted:
            guard k < src.count, src[k] == "\"" else { return nil }
            pieces = fits(flow(src, k + 1, quote: "\"", limit: expected.count))
        case .literal, .folded:
            guard let header = blockHeader(src, k) else { return nil }
            if let explicit = header.indent {
                // The indentation indicator counts from the parent node's indentation, which the
                // mark does not tell: accept the one reading that gives the value back.
                let maxParent = max(0, column - 1)
                let found = (0...maxParent).compactMap { p in
                    fits(block(src, header.contentStart, literal: header.literal, indent: explicit + p, limit: expected.count))
                }
                guard found.count == 1 else { return nil }
                pieces = found[0]
            } else {
                pieces = fits(block(src, header.contentStart, literal: header.literal, indent: nil, limit: expected.count))
            }
        }
        guard let pieces else { return nil }
        let at: Int
        if offset < expected.count { at = pieces[offset].start }
        else if offset > 0 { at = pieces[offset - 1].end }
        else { return nil }   // an empty value: nothing to point into
        return place(at, starts)
    }

    // MARK: Lines, as libyaml counts them

    static func isBreak(_ c: Unicode.Scalar) -> Bool {
        c == "\n" || c == "\r" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}"
    }
    static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" }

    /// The length of the line break at `i` (`\r\n` is one break).
    static func breakLength(_ src: [Unicode.Scalar], _ i: Int) -> Int {
        src[i] == "\r" && i + 1 < src.count && src[i + 1] == "\n" ? 2 : 1
    }

    /// A line break as libyaml stores it in a value: `\n` for CR, LF, CRLF and NEL.
    static func breakValue(_ c: Unicode.Scalar) -> UInt32 { c == "\u{2028}" || c == "\u{2029}" ? c.value : 0x0A }

    /// Index of the first scalar of every line (a leading byte order mark is not counted).
    static func lineStarts(_ src: [Unicode.Scalar]) -> [Int] {
        var starts = [src.first == "\u{FEFF}" ? 1 : 0]
        var i = starts[0]
        while i < src.count {
            if isBreak(src[i]) { i += breakLength(src, i); starts.append(i) } else { i += 1 }
        }
        return starts
    }

    static func place(_ index: Int, _ starts: [Int]) -> (line: Int, column: Int) {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= index { lo = mid } else { hi = mid - 1 }
        }
        return (lo + 1, index - starts[lo] + 1)
    }

    static func column0(_ src: [Unicode.Scalar], _ i: Int) -> Int {
        var j = i
        while j > 0, !isBreak(src[j - 1]) { j -= 1 }
        if j == 0, src.first == "\u{FEFF}" { return i - 1 }
        return i - j
    }

    /// A scalar event's mark sits on its anchor or tag when it has one.
    static func skipProperties(_ src: [Unicode.Scalar], _ start: Int) -> Int {
        var k = start
        while k < src.count, src[k] == "&" || src[k] == "!" {
            while k < src.count, !isBlank(src[k]), !isBreak(src[k]) { k += 1 }
            while k < src.count, isBlank(src[k]) || isBreak(src[k]) { k += 1 }
        }
        return k
    }

    // MARK: Plain and quoted scalars

    /// A plain (`quote == nil`), single- or double-quoted scalar whose text starts at `start`,
    /// up to `limit` characters.
    static func flow(_ src: [Unicode.Scalar], _ start: Int, quote: Unicode.Scalar?, limit: Int) -> [Piece]? {
        let n = src.count
        var out: [Piece] = []
        var i = start
        var spaces: [Piece] = []            // blanks inside a line, kept if the text goes on
        var leadingBreak: Piece? = nil      // the first line break of a run (nil: an escaped one)
        var trailing: [Piece] = []          // the line breaks after it
        var folding = false                 // inside a run of blanks and line breaks
        func join() {
            if folding {
                if let lb = leadingBreak, lb.value == 0x0A {
                    if trailing.isEmpty { out.append((0x20, lb.start, lb.end)) } else { out += trailing }
                } else {
                    if let lb = leadingBreak { out.append(lb) }
                    out += trailing
                }
                folding = false
                leadingBreak = nil
                trailing = []
            } else {
                out += spaces
            }
            spaces = []
        }
        while out.count < limit {
            // Characters up to the next blank or line break.
            var ended = false
            while i < n, !isBlank(src[i]), !isBreak(src[i]) {
                let c = src[i]
                if quote == "'", c == "'" {
                    guard i + 1 < n, src[i + 1] == "'" else { ended = true; break }
                    join(); out.append((0x27, i, i + 2)); i += 2
                } else if quote == "\"", c == "\"" {
                    ended = true; break
                } else if quote == "\"", c == "\\", i + 1 < n, isBreak(src[i + 1]) {
                    i += 1 + breakLength(src, i + 1)   // an escaped line break joins the lines
                    join()
                    folding = true
                    leadingBreak = nil
                    break
                } else if quote == "\"", c == "\\" {
                    guard let (v, end) = escape(src, i) else { return nil }
                    join(); out.append((v, i, end)); i = end
                } else {
                    if quote == nil, c == ":", i + 1 >= n || isBlank(src[i + 1]) || isBreak(src[i + 1]) { ended = true; break }
                    join(); out.append((c.value, i, i + 1)); i += 1
                }
                if out.count >= limit { return out }
            }
            if ended || i >= n { break }
            // Blanks and line breaks.
            while i < n, isBlank(src[i]) || isBreak(src[i]) {
                if isBlank(src[i]) {
                    if !folding { spaces.append((src[i].value, i, i + 1)) }
                    i += 1
                } else {
                    let len = breakLength(src, i)
                    let piece: Piece = (breakValue(src[i]), i, i + len)
                    if !folding { spaces = []; leadingBreak = piece; folding = true } else { trailing.append(piece) }
                    i += len
                }
            }
            if quote == nil {
                if i < n, src[i] == "#" { break }   // a comment ends a plain scalar
            } else {
                join()   // inside quotes the blanks belong to the value even before the closing quote
            }
        }
        return out
    }

    /// A double-quoted scalar's escape at `i` (a backslash): its value and the index after it.
    static func escape(_ src: [Unicode.Scalar], _ i: Int) -> (UInt32, Int)? {
        guard i + 1 < src.count else { return nil }
        let simple: [Unicode.Scalar: UInt32] = [
            "0": 0, "a": 7, "b": 8, "t": 9, "\t": 9, "n": 0x0A, "v": 0x0B, "f": 0x0C, "r": 0x0D, "e": 0x1B,
            " ": 0x20, "\"": 0x22, "/": 0x2F, "\\": 0x5C, "N": 0x85, "_": 0xA0, "L": 0x2028, "P": 0x2029,
        ]
        let e = src[i + 1]
        if let v = simple[e] { return (v, i + 2) }
        let digits: Int
        switch e {
        case "x": digits = 2
        case "u": digits = 4
        case "U": digits = 8
        default: return nil
        }
        guard i + 2 + digits <= src.count else { return nil }
        var v: UInt32 = 0
        for d in src[(i + 2)..<(i + 2 + digits)] {
            guard d.isASCII, let h = UInt32(String(d), radix: 16) else { return nil }
            v = v &* 16 &+ h
        }
        return (v, i + 2 + digits)
    }

    // MARK: Block scalars

    /// `|` or `>` at `k` with its indicators, comment and line break: where the content starts.
    static func blockHeader(_ src: [Unicode.Scalar], _ k: Int) -> (literal: Bool, indent: Int?, contentStart: Int)? {
        let n = src.count
        guard k < n, src[k] == "|" || src[k] == ">" else { return nil }
        var i = k + 1
        var indent: Int? = nil
        for _ in 0..<2 where i < n {
            if src[i] == "+" || src[i] == "-" { i += 1 }
            else if ("1"..."9").contains(src[i]) { indent = Int(src[i].value - 48); i += 1 }
        }
        while i < n, isBlank(src[i]) { i += 1 }
        if i < n, src[i] == "#" { while i < n, !isBreak(src[i]) { i += 1 } }
        guard i >= n || isBreak(src[i]) else { return nil }
        if i < n { i += breakLength(src, i) }
        return (src[k] == "|", indent, i)
    }

    /// The content of a literal or folded block scalar from `start` (libyaml's
    /// `yaml_parser_scan_block_scalar`); `indent` nil: found from the first non-empty line.
    static func block(_ src: [Unicode.Scalar], _ start: Int, literal: Bool, indent fixed: Int?, limit: Int) -> [Piece]? {
        let n = src.count
        var out: [Piece] = []
        var i = start
        var indent = fixed ?? 0
        var leadingBreak: Piece? = nil
        var trailing: [Piece] = []
        var leadingBlank = false
        func breaks() {
            var maxIndent = 0
            while true {
                while indent == 0 || column0(src, i) < indent, i < n, src[i] == " " { i += 1 }
                maxIndent = max(maxIndent, column0(src, i))
                guard i < n, isBreak(src[i]) else { break }
                let len = breakLength(src, i)
                trailing.append((breakValue(src[i]), i, i + len))
                i += len
            }
            if indent == 0 { indent = max(maxIndent, 1) }
        }
        breaks()
        while i < n, column0(src, i) == indent, out.count < limit {
            let trailingBlank = isBlank(src[i])
            if !literal, let lb = leadingBreak, lb.value == 0x0A, !leadingBlank, !trailingBlank {
                if trailing.isEmpty { out.append((0x20, lb.start, lb.end)) }
            } else if let lb = leadingBreak {
                out.append(lb)
            }
            out += trailing
            trailing = []
            leadingBreak = nil
            leadingBlank = isBlank(src[i])
            while i < n, !isBreak(src[i]) { out.append((src[i].value, i, i + 1)); i += 1 }
            guard i < n else { break }
            let len = breakLength(src, i)
            leadingBreak = (breakValue(src[i]), i, i + len)
            i += len
            breaks()
        }
        // Chomping keeps some of the final line breaks; offsets past the text may point at them.
        if let lb = leadingBreak { out.append(lb) }
        return out + trailing
    }
}
