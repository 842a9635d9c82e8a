import Foundation

/// A regex that passed `RE2Syntax.check`, matched against whole values in linear time, as RE2
/// (Alertmanager's engine) matches: a Thompson NFA over Unicode scalars, with no backtracking, so
/// no value can make a playbook's regex slow. Its meaning is RE2's: ASCII `\d`, `\s`, `\w`, `\b`
/// and POSIX classes; `(?i)` folding one character to one; `$` the end of the text without
/// `(?m)`; `.` everything but `\n` without `(?s)`.
final class RE2Program: Sendable {
    private let code: [Inst]
    private let classes: [ScalarClass]
    /// The most steps a program may have (each match needs a mark per step).
    static let largest = 100_000

    enum Assertion: Sendable { case beginText, endText, beginLine, endLine, wordBoundary, notWordBoundary }

    enum Inst: Sendable {
        /// One scalar in `classes[i]`, then the next instruction.
        case scalar(Int)
        /// Both `x` and `y`.
        case split(Int, Int)
        case jump(Int)
        /// Only where the assertion holds, then the next instruction.
        case assert(Assertion)
        case match
    }

    /// `p`: a pattern `RE2Syntax.check` accepted.
    init(_ p: [Unicode.Scalar]) throws {
        var parser = RE2Parser(p)
        let node = try parser.parse()
        var compiler = RE2Compiler()
        compiler.emit(node)
        compiler.code.append(.match)
        guard compiler.code.count <= RE2Program.largest else {
            throw RE2Syntax.Problem(index: 0, message: "the regular expression is too large once its repeats are written out (over \(RE2Program.largest) steps); repeat less")
        }
        code = compiler.code
        classes = compiler.classes
    }

    /// Whether the whole of `s` matches.
    func matches(_ s: String) -> Bool {
        let m = code.count
        // One scratch buffer: the states now, the states next, the closure's stack, and per step
        // the position it was last added at (-1: never).
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: 4 * m) { buffer in
            let base = buffer.baseAddress!
            var current = base, next = base + m
            let stack = base + 2 * m, seen = base + 3 * m
            for k in 0..<m { seen[k] = -1 }
            var count = 0, nextCount = 0
            let scalars = s.unicodeScalars
            var index = scalars.startIndex
            var previous: Unicode.Scalar?
            var position: Int32 = 0

            /// Every step reachable from `pc` without reading, at this position, into `list`. A
            /// step is marked when pushed, so the stack never holds more than `m`.
            func add(_ pc: Int, into list: UnsafeMutablePointer<Int32>, _ n: inout Int) {
                var top = 0
                func push(_ pc: Int) {
                    if seen[pc] != position { seen[pc] = position; stack[top] = Int32(pc); top += 1 }
                }
                push(pc)
                while top > 0 {
                    top -= 1
                    let pc = Int(stack[top])
                    switch code[pc] {
                    case .jump(let x): push(x)
                    case .split(let x, let y): push(y); push(x)
                    case .assert(let a): if holds(a) { push(pc + 1) }
                    case .scalar, .match: list[n] = Int32(pc); n += 1
                    }
                }
            }
            func holds(_ a: Assertion) -> Bool {
                let after: Unicode.Scalar? = index < scalars.endIndex ? scalars[index] : nil
                switch a {
                case .beginText: return previous == nil
                case .endText: return after == nil
                case .beginLine: return previous == nil || previous == "\n"
                case .endLine: return after == nil || after == "\n"
                case .wordBoundary, .notWordBoundary:
                    let before = previous.map(RE2Program.isWord) ?? false
                    let behind = after.map(RE2Program.isWord) ?? false
                    return (before != behind) == (a == .wordBoundary)
                }
            }

            add(0, into: current, &count)
            while index < scalars.endIndex {
                let c = scalars[index]
                previous = c
                scalars.formIndex(after: &index)
                position += 1
                nextCount = 0
                for k in 0..<count {
                    let pc = Int(current[k])
                    if case .scalar(let j) = code[pc], classes[j].contains(c.value) {
                        add(pc + 1, into: next, &nextCount)
                    }
                }
                if nextCount == 0 { return false }
                swap(&current, &next)
                count = nextCount
            }
            for k in 0..<count {
                if case .match = code[Int(current[k])] { return true }
            }
            return false
        }
    }

    static func isWord(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) || v == 0x5F
    }
}

/// Which scalars one step of a regex reads.
struct ScalarClass: Sendable {
    enum Kind: Sendable {
        /// Exactly this scalar.
        case one(UInt32)
        /// Any of these (a literal under `(?i)`: its case-fold orbit).
        case few([UInt32])
        /// Everything, or everything but `\n`.
        case any(newline: Bool)
        /// A bracket class, Perl class or Unicode class.
        case items([ClassItem], negated: Bool, folded: Bool)
    }
    var kind: Kind

    func contains(_ c: UInt32) -> Bool {
        switch kind {
        case .one(let v): return c == v
        case .few(let vs): return vs.contains(c)
        case .any(let newline): return newline || c != 0x0A
        case .items(let items, let negated, let folded):
            var member = false
            for item in items where item.contains(c, folded: folded) { member = true; break }
            return member != negated
        }
    }
}

/// One item of a class: ranges or a Unicode property, perhaps negated. Under `(?i)` an item holds
/// a scalar when it holds any scalar of its fold orbit, before its own negation (RE2 folds, then
/// negates).
struct ClassItem: Sendable {
    enum Set: Sendable {
        case ranges([(UInt32, UInt32)])
        case category(String)
        case script(ScriptClass)
        case anyScalar
    }
    var set: Set
    var negated: Bool

    func contains(_ c: UInt32, folded: Bool) -> Bool {
        var member = has(c)
        if !member, folded {
            for o in CaseFold.orbit(c) where has(o) { member = true; break }
        }
        return member != negated
    }

    private func has(_ c: UInt32) -> Bool {
        switch set {
        case .ranges(let r):
            for (lo, hi) in r where lo <= c && c <= hi { return true }
            return false
        case .category(let name):
            guard let s = Unicode.Scalar(c) else { return false }
            let category = CaseFold.category(s.properties.generalCategory)
            // Go's C is Cc, Cf, Co and Cs: unassigned scalars (Cn) are in no class.
            return category.hasPrefix(name) && category != "Cn"
        case .script(let script): return script.contains(c)
        case .anyScalar: return true
        }
    }
}

/// A Unicode script, asked of ICU one scalar at a time (Swift has no script property), each
/// answer kept.
final class ScriptClass: @unchecked Sendable {
    private let regex: NSRegularExpression
    private let lock = NSLock()
    private var known: [UInt32: Bool] = [:]

    init(_ name: String) throws {
        regex = try NSRegularExpression(pattern: "\\A\\p{sc=\(name)}\\z")
    }

    func contains(_ c: UInt32) -> Bool {
        lock.lock()
        if let k = known[c] { lock.unlock(); return k }
        lock.unlock()
        guard let s = Unicode.Scalar(c) else { return false }
        let text = String(Character(s))
        let hit = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        lock.lock()
        if known.count >= 65_536 { known.removeAll() }
        known[c] = hit
        lock.unlock()
        return hit
    }
}

/// RE2's simple case folding: scalars that fold to each other one to one (k, K and the Kelvin
/// sign; σ, ς and Σ; ß and ẞ), not the full folding that makes ß "ss".
enum CaseFold {
    /// The scalar a scalar folds to: its uppercase's lowercase, where both are one scalar.
    static func key(_ v: UInt32) -> UInt32 {
        // Dotted and dotless i fold only in Turkish; RE2 leaves them alone.
        if v == 0x130 || v == 0x131 { return v }
        guard let s = Unicode.Scalar(v) else { return v }
        let upper = single(s.properties.uppercaseMapping) ?? s
        return (single(upper.properties.lowercaseMapping) ?? single(s.properties.lowercaseMapping) ?? s).value
    }

    private static func single(_ text: String) -> Unicode.Scalar? {
        var it = text.unicodeScalars.makeIterator()
        guard let first = it.next(), it.next() == nil else { return nil }
        return first
    }

    /// Every scalar that folds as `v` does, `v` left out.
    static func orbit(_ v: UInt32) -> [UInt32] { others[v] ?? [] }

    /// For every scalar that folds with another, the others. Cased scalars are all below
    /// U+20000; built once (11 ms in a release build).
    private static let others: [UInt32: [UInt32]] = {
        var byKey: [UInt32: [UInt32]] = [:]
        for v in UInt32(0)..<0x20000 {
            guard let s = Unicode.Scalar(v), s.properties.changesWhenCaseMapped || s.properties.changesWhenCaseFolded else { continue }
            let k = key(v)
            byKey[k, default: [k]].append(v)
        }
        var others: [UInt32: [UInt32]] = [:]
        for members in byKey.values {
            let orbit = Array(Swift.Set(members)).sorted()
            guard orbit.count > 1 else { continue }
            for v in orbit { others[v] = orbit.filter { $0 != v } }
        }
        return others
    }()

    /// Go's two-letter name of a general category.
    static func category(_ c: Unicode.GeneralCategory) -> String {
        switch c {
        case .uppercaseLetter: return "Lu"
        case .lowercaseLetter: return "Ll"
        case .titlecaseLetter: return "Lt"
        case .modifierLetter: return "Lm"
        case .otherLetter: return "Lo"
        case .nonspacingMark: return "Mn"
        case .spacingMark: return "Mc"
        case .enclosingMark: return "Me"
        case .decimalNumber: return "Nd"
        case .letterNumber: return "Nl"
        case .otherNumber: return "No"
        case .connectorPunctuation: return "Pc"
        case .dashPunctuation: return "Pd"
        case .openPunctuation: return "Ps"
        case .closePunctuation: return "Pe"
        case .initialPunctuation: return "Pi"
        case .finalPunctuation: return "Pf"
        case .otherPunctuation: return "Po"
        case .mathSymbol: return "Sm"
        case .currencySymbol: return "Sc"
        case .modifierSymbol: return "Sk"
        case .otherSymbol: return "So"
        case .spaceSeparator: return "Zs"
        case .lineSeparator: return "Zl"
        case .paragraphSeparator: return "Zp"
        case .control: return "Cc"
        case .format: return "Cf"
        case .surrogate: return "Cs"
        case .privateUse: return "Co"
        case .unassigned: return "Cn"   // in no class RE2 names: Go's C is Cc, Cf, Co and Cs
        @unknown default: return "Cn"
        }
    }
}

/// The parsed regex.
indirect enum RE2Node {
    case empty
    case scalar(ScalarClass)
    case assert(RE2Program.Assertion)
    case concat([RE2Node])
    case alternate([RE2Node])
    /// `max` nil: no upper bound.
    case `repeat`(RE2Node, min: Int, max: Int?)
}

/// Reads a pattern that `RE2Syntax.check` accepted into `RE2Node`s.
struct RE2Parser {
    private let p: [Unicode.Scalar]
    private var i = 0
    private struct Flags { var caseless = false, multiline = false, dotNewline = false }
    private var flags = [Flags()]

    init(_ p: [Unicode.Scalar]) { self.p = p }

    private func at(_ k: Int) -> Unicode.Scalar? { k < p.count ? p[k] : nil }
    private var f: Flags { flags[flags.count - 1] }

    mutating func parse() throws -> RE2Node {
        let node = try alternation()
        guard i == p.count else { throw RE2Syntax.Problem(index: i, message: "a ) without its opening (") }
        return node
    }

    private mutating func alternation() throws -> RE2Node {
        var branches = [try concatenation()]
        while at(i) == "|" {
            i += 1
            branches.append(try concatenation())
        }
        return branches.count == 1 ? branches[0] : .alternate(branches)
    }

    private mutating func concatenation() throws -> RE2Node {
        var items: [RE2Node] = []
        var afterFlags = false   // a flag group such as (?i) came last: nothing to repeat
        while let c = at(i), c != "|", c != ")" {
            let flagsBefore = afterFlags
            afterFlags = false
            switch c {
            case "*", "+", "?":
                guard !flagsBefore, let last = items.popLast() else { throw missing(i) }
                i += 1
                if at(i) == "?" { i += 1 }
                items.append(.repeat(last, min: c == "+" ? 1 : 0, max: c == "?" ? 1 : nil))
            case "{":
                if let (end, counts) = RE2Syntax.repeatCount(p, i) {
                    guard !flagsBefore, let last = items.popLast() else { throw missing(i) }
                    let bounded = counts.count == 2 || !p[i..<end].contains(",")
                    i = end
                    if at(i) == "?" { i += 1 }
                    items.append(.repeat(last, min: counts[0], max: bounded ? counts.last! : nil))
                } else {
                    items.append(literal(c.value)); i += 1
                }
            case "(":
                if let node = try group() { items.append(node) } else { afterFlags = true }
            default:
                items.append(try atom())
            }
        }
        return items.count == 1 ? items[0] : items.isEmpty ? .empty : .concat(items)
    }

    private func missing(_ k: Int) -> RE2Syntax.Problem {
        RE2Syntax.Problem(index: k, message: "a repeat (\(p[k])) with nothing before it to repeat \(RE2Syntax.unsupported)")
    }

    /// A group at `(`, or nil for a flag group without `:` (its flags hold to the group's end).
    private mutating func group() throws -> RE2Node? {
        if let end = RE2Syntax.namedGroupEnd(p, i) {
            i = end
            return try groupBody(flags: f)
        }
        guard at(i + 1) == "?" else {
            i += 1
            return try groupBody(flags: f)
        }
        var j = i + 2, g = f, on = true
        while let x = at(j), x != ")", x != ":" {
            switch x {
            case "-": on = false
            case "i": g.caseless = on
            case "m": g.multiline = on
            case "s": g.dotNewline = on
            default: break   // U: lazy by default, which changes no whole match
            }
            j += 1
        }
        i = j + 1
        if at(j) == ":" { return try groupBody(flags: g) }
        flags[flags.count - 1] = g
        return nil
    }

    private mutating func groupBody(flags g: Flags) throws -> RE2Node {
        flags.append(g)
        let node = try alternation()
        flags.removeLast()
        guard at(i) == ")" else { throw RE2Syntax.Problem(index: i, message: "a ( without its closing )") }
        i += 1
        return node
    }

    private mutating func atom() throws -> RE2Node {
        let c = p[i]
        switch c {
        case ".":
            i += 1
            return .scalar(ScalarClass(kind: .any(newline: f.dotNewline)))
        case "^":
            i += 1
            return .assert(f.multiline ? .beginLine : .beginText)
        case "$":
            i += 1
            return .assert(f.multiline ? .endLine : .endText)
        case "[":
            return try bracket()
        case "\\":
            guard let e = at(i + 1) else { throw RE2Syntax.Problem(index: i, message: "a trailing backslash \(RE2Syntax.unsupported)") }
            switch e {
            case "Q":
                var j = i + 2, items: [RE2Node] = []
                while j < p.count, !(p[j] == "\\" && at(j + 1) == "E") { items.append(literal(p[j].value)); j += 1 }
                i = min(j + 2, p.count)
                return items.count == 1 ? items[0] : .concat(items)
            case "A": i += 2; return .assert(.beginText)
            case "z": i += 2; return .assert(.endText)
            case "b": i += 2; return .assert(.wordBoundary)
            case "B": i += 2; return .assert(.notWordBoundary)
            case "p", "P":
                let (item, end) = try RE2Syntax.unicodeItem(p, i)
                i = end
                return .scalar(ScalarClass(kind: .items([item], negated: false, folded: f.caseless)))
            default:
                if let (r, neg) = RE2Syntax.perlClass(e) {
                    i += 2
                    return .scalar(ScalarClass(kind: .items([ClassItem(set: .ranges(r), negated: neg)], negated: false, folded: f.caseless)))
                }
                let (v, end) = try RE2Syntax.character(p, i)
                i = end
                return literal(v)
            }
        default:
            i += 1
            return literal(c.value)
        }
    }

    private func literal(_ v: UInt32) -> RE2Node {
        guard f.caseless else { return .scalar(ScalarClass(kind: .one(v))) }
        let orbit = CaseFold.orbit(v)
        return .scalar(ScalarClass(kind: orbit.isEmpty ? .one(v) : .few([v] + orbit)))
    }

    /// A bracket class at `[`, read as RE2's `parseClass` reads it.
    private mutating func bracket() throws -> RE2Node {
        let n = p.count
        var j = i + 1
        var negated = false
        if at(j) == "^" { negated = true; j += 1 }
        var items: [ClassItem] = []
        var ranges: [(UInt32, UInt32)] = []
        var first = true
        while j < n, p[j] != "]" || first {
            first = false
            if p[j] == "[", at(j + 1) == ":" {
                var k = j + 2
                while k + 1 < n, !(p[k] == ":" && p[k + 1] == "]") { k += 1 }
                if k + 1 < n {
                    var name = String(String.UnicodeScalarView(p[(j + 2)..<k]))
                    let neg = name.hasPrefix("^")
                    if neg { name.removeFirst() }
                    guard let r = RE2Syntax.posix[name] else {
                        throw RE2Syntax.Problem(index: j, message: "unknown character class [:\(name):]")
                    }
                    items.append(ClassItem(set: .ranges(r), negated: neg))
                    j = k + 2
                    continue
                }
            }
            if p[j] == "\\", let e = at(j + 1) {
                if e == "p" || e == "P" {
                    let (item, end) = try RE2Syntax.unicodeItem(p, j)
                    items.append(item); j = end
                    continue
                }
                if let (r, neg) = RE2Syntax.perlClass(e) {
                    items.append(ClassItem(set: .ranges(r), negated: neg)); j += 2
                    continue
                }
            }
            let start = j
            let (lo, afterLo) = try RE2Syntax.character(p, j)
            j = afterLo
            var hi = lo
            if j + 1 < n, p[j] == "-", p[j + 1] != "]" {
                if p[j + 1] == "\\", let e = at(j + 2), RE2Syntax.perlClass(e) != nil || e == "p" || e == "P" {
                    throw RE2Syntax.Problem(index: j + 1, message: "a class such as \\\(e) cannot end a range")
                }
                (hi, j) = try RE2Syntax.character(p, j + 1)
                guard hi >= lo else {
                    throw RE2Syntax.Problem(index: start, message: "the range \(String(String.UnicodeScalarView(p[start..<j]))) runs backwards")
                }
            }
            ranges.append((lo, hi))
        }
        guard j < n else { throw RE2Syntax.Problem(index: i, message: "a character class [ without its closing ]") }
        i = j + 1
        if !ranges.isEmpty { items.insert(ClassItem(set: .ranges(ranges), negated: false), at: 0) }
        return .scalar(ScalarClass(kind: .items(items, negated: negated, folded: f.caseless)))
    }
}

/// Turns `RE2Node`s into a program for `RE2Program`.
struct RE2Compiler {
    var code: [RE2Program.Inst] = []
    var classes: [ScalarClass] = []

    mutating func emit(_ node: RE2Node) {
        switch node {
        case .empty:
            break
        case .scalar(let c):
            classes.append(c)
            code.append(.scalar(classes.count - 1))
        case .assert(let a):
            code.append(.assert(a))
        case .concat(let items):
            for item in items { emit(item) }
        case .alternate(let branches):
            // split L1, next; L1: branch; jump end; ... last branch
            var jumps: [Int] = []
            for (k, branch) in branches.enumerated() {
                if k < branches.count - 1 {
                    let split = code.count
                    code.append(.split(split + 1, 0))
                    emit(branch)
                    jumps.append(code.count)
                    code.append(.jump(0))
                    code[split] = .split(split + 1, code.count)
                } else {
                    emit(branch)
                }
            }
            for j in jumps { code[j] = .jump(code.count) }
        case .repeat(let sub, let min, let max):
            for _ in 0..<min { emit(sub) }
            if let max {
                // (sub (sub (...)?)?)?: each optional copy may be skipped to the end.
                var skips: [Int] = []
                for _ in min..<max {
                    skips.append(code.count)
                    code.append(.split(code.count + 1, 0))
                    emit(sub)
                }
                for s in skips { code[s] = .split(s + 1, code.count) }
            } else {
                // L: split body, end; body; jump L
                let loop = code.count
                code.append(.split(loop + 1, 0))
                emit(sub)
                code.append(.jump(loop))
                code[loop] = .split(loop + 1, code.count)
            }
        }
    }
}
