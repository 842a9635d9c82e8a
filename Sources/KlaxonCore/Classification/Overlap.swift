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
        let negated = Set(ms.filter { $0.op == .notMatches }.map(\.value))
        if ms.contains(where: { $0.op == .matches && negated.contains($0.value) }) { return false }
        // A numeric matcher needs a value; `= ""` or `!~ ".+"` forbids one.
        if hasNumeric, ms.contains(where: { ($0.op == .equal && $0.value.isEmpty) || ($0.op == .notMatches && $0.value == ".+") }) { return false }
        // Positive regexes whose fixed prefixes differ (for every pair of alternatives, neither a
        // prefix of the other) exclude each other.
        let prefixSets = ms.filter { $0.op == .matches }.compactMap { literalPrefixes($0.value) }
        for (i, a) in prefixSets.enumerated() {
            for b in prefixSets[(i + 1)...] {
                if a.allSatisfy({ x in b.allSatisfy { y in !x.hasPrefix(y) && !y.hasPrefix(x) } }) { return false }
            }
        }
        // Literal alternatives (A|B|C) of one `=~` checked against all the others.
        let regexes = ms.filter { $0.op == .matches }
        for r in regexes {
            let literals = r.value.split(separator: "|").map(String.init)
            if literals.allSatisfy({ $0.range(of: #"^[A-Za-z0-9_.:/ -]+$"#, options: .regularExpression) != nil }) {
                if !literals.contains(where: { lit in ms.allSatisfy { $0.holds(for: .text(lit)) } }) { return false }
            }
        }
        return true
    }
}

/// The fixed texts that matches of `pattern` start with, one per top-level alternative; nil when
/// some alternative has none (or the alternation is nested).
func literalPrefixes(_ pattern: String) -> [String]? {
    if pattern.contains("|"), pattern.contains("(") { return nil }
    var out: [String] = []
    for alt in pattern.split(separator: "|", omittingEmptySubsequences: false) {
        guard let p = literalPrefix(String(alt)) else { return nil }
        out.append(p)
    }
    return out
}

/// The fixed text every match of `pattern` starts with (no alternation).
func literalPrefix(_ pattern: String) -> String? {
    let chars = Array(pattern)
    var out = ""
    for (i, c) in chars.enumerated() {
        if ".*+?()[]{}^$\\".contains(c) { break }
        if i + 1 < chars.count, "?*{".contains(chars[i + 1]) { break }
        out.append(c)
    }
    return out.isEmpty ? nil : out
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
