import Foundation

/// Whether two groups of matchers can hold for the same alert. Conservative: it answers `false`
/// only when some name is constrained in ways no single value satisfies, so a `true` means
/// "may overlap".
public enum MatcherOverlap {
    public static func mayOverlap(_ a: [Matcher], _ b: [Matcher]) -> Bool {
        let all = a + b
        let names = Set(all.map(\.name))
        for name in names where !satisfiable(all.filter { $0.name == name }) { return false }
        return true
    }

    /// Whether one value can satisfy every matcher in `ms` (all on the same name).
    static func satisfiable(_ ms: [Matcher]) -> Bool {
        let equals = Set(ms.filter { $0.op == .equal }.map(\.value))
        if equals.count > 1 { return false }
        if let v = equals.first {
            // A known value: check every other matcher against it.
            return ms.allSatisfy { $0.holds(for: .text(v)) }
        }
        // Numeric range check.
        var low = -Double.infinity, lowInclusive = true
        var high = Double.infinity, highInclusive = true
        for m in ms {
            guard let n = m.number else { continue }
            switch m.op {
            case .greater: if n >= low { low = n; lowInclusive = false }
            case .greaterOrEqual: if n > low { low = n; lowInclusive = true }
            case .less: if n <= high { high = n; highInclusive = false }
            case .lessOrEqual: if n < high { high = n; highInclusive = true }
            default: break
            }
        }
        if low > high || (low == high && !(lowInclusive && highInclusive)) { return false }
        // A missing value is the empty string for text matchers but fails numeric ones.
        let hasNumeric = ms.contains { $0.number != nil }
        if !hasNumeric, ms.allSatisfy({ $0.holds(for: nil) }) { return true }
        // `=~ R` and `!~ R` with the same R exclude each other.
        let negated = Set(ms.filter { $0.op == .notMatches }.map { Array($0.value.utf8) })
        if ms.contains(where: { $0.op == .matches && negated.contains(Array($0.value.utf8)) }) { return false }
        // A numeric matcher needs a value; `= ""` or `!~ ".+"` forbids one.
        if hasNumeric, ms.contains(where: { ($0.op == .equal && $0.value.isEmpty) || ($0.op == .notMatches && $0.value == ".+") }) { return false }
        // Positive regexes whose fixed prefixes differ (for every pair of alternatives, neither a
        // prefix of the other) exclude each other.
        let prefixSets = ms.filter { $0.op == .matches }.compactMap { literalPrefixes($0.value) }
        for (i, a) in prefixSets.enumerated() {
            for b in prefixSets[(i + 1)...] {
                if a.allSatisfy({ x in b.allSatisfy { y in !x.starts(with: y) && !y.starts(with: x) } }) { return false }
            }
        }
        // A `=~` that only matches a few fixed texts (`A|B|C`, metacharacters escaped): one of
        // them must satisfy all the others. A regex with any other syntax (`.`, classes,
        // quantifiers…) is never read as literal text, so the answer stays "may overlap".
        for r in ms where r.op == .matches {
            guard let literals = literalAlternatives(r.value) else { continue }
            if !literals.contains(where: { lit in ms.allSatisfy { $0.holds(for: .text(lit)) } }) { return false }
        }
        return true
    }
}

/// Regex metacharacters (outside character classes) in RE2.
private let regexMeta = Set(#".^$*+?()[]{}|\"#.unicodeScalars)

/// The top-level alternatives of `pattern` (split at `|` outside escapes, classes, `\Q…\E` and
/// groups); nil when it has several and also a group, whose flags (`(?i)`) could reach past a `|`.
func topLevelAlternatives(_ pattern: String) -> [[Unicode.Scalar]]? {
    let p = Array(pattern.unicodeScalars)
    var out: [[Unicode.Scalar]] = []
    var current: [Unicode.Scalar] = []
    var depth = 0, inClass = false, classFirst = false, hasGroup = false
    var k = 0
    while k < p.count {
        let c = p[k]
        if c == "\\", k + 1 < p.count {
            classFirst = false
            if p[k + 1] == "Q", !inClass {
                var j = k + 2
                while j < p.count, !(p[j] == "\\" && j + 1 < p.count && p[j + 1] == "E") { j += 1 }
                let end = min(j + 2, p.count)
                current += p[k..<end]; k = end
                continue
            }
            current += p[k...(k + 1)]; k += 2
            continue
        }
        if inClass {
            // `]` right after `[` or `[^` is a literal.
            if c == "]", !classFirst { inClass = false }
            classFirst = false
        } else if c == "[" {
            inClass = true; classFirst = true
            current.append(c); k += 1
            if k < p.count, p[k] == "^" { current.append("^"); k += 1 }
            continue
        } else if c == "(" {
            depth += 1; hasGroup = true
        } else if c == ")" {
            depth -= 1
        } else if c == "|", depth == 0 {
            out.append(current); current = []; k += 1
            continue
        }
        current.append(c); k += 1
    }
    out.append(current)
    if out.count > 1, hasGroup { return nil }
    return out
}

/// Reads `alt` (one alternative) as literal scalars for as long as it can: `prefix` is fixed text
/// every match starts with; `whole` says whether the alternative matches exactly that text.
func literalRun(_ alt: [Unicode.Scalar]) -> (prefix: [Unicode.Scalar], whole: Bool) {
    var out: [Unicode.Scalar] = []
    var k = 0
    while k < alt.count {
        var lit = alt[k]
        var next = k + 1
        if lit == "\\" {
            // `\` before ASCII punctuation is that character; anything else (`\d`, `\b`…) is not text.
            guard next < alt.count, alt[next].isASCII, !Character(alt[next]).isLetter, !Character(alt[next]).isNumber else {
                return (out, false)
            }
            lit = alt[next]; next += 1
        } else if regexMeta.contains(lit) {
            return (out, false)
        }
        // A quantifier that allows zero of it ends the fixed text before it; `+` after it.
        if next < alt.count, "?*{".unicodeScalars.contains(alt[next]) { return (out, false) }
        out.append(lit)
        if next < alt.count, alt[next] == "+" { return (out, false) }
        k = next
    }
    return (out, true)
}

/// The fixed texts that matches of `pattern` start with, one per top-level alternative; nil when
/// some alternative has none (or the alternation has groups).
func literalPrefixes(_ pattern: String) -> [[Unicode.Scalar]]? {
    guard let alts = topLevelAlternatives(pattern) else { return nil }
    var out: [[Unicode.Scalar]] = []
    for alt in alts {
        let p = literalRun(alt).prefix
        if p.isEmpty { return nil }
        out.append(p)
    }
    return out
}

/// Every text `pattern` can match, when it is an alternation of fixed texts (`A|B|C`, with
/// metacharacters escaped, an empty alternative matching ""); nil otherwise.
func literalAlternatives(_ pattern: String) -> [String]? {
    guard let alts = topLevelAlternatives(pattern) else { return nil }
    var out: [String] = []
    for alt in alts {
        let run = literalRun(alt)
        guard run.whole else { return nil }
        out.append(String(String.UnicodeScalarView(run.prefix)))
    }
    return out
}

extension Playbook {
    /// Pairs of match groups (this one's, the other's) that may hold for the same alert.
    public func overlaps(with other: Playbook) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        for (i, a) in match.enumerated() {
            for (j, b) in other.match.enumerated() where MatcherOverlap.mayOverlap(a, b) { out.append((i, j)) }
        }
        return out
    }
}
