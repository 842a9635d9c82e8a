import Foundation
import Testing
@testable import KlaxonCore

/// `RE2Program` against an independent engine: random regexes over a small alphabet, on the
/// part of the syntax where RE2 and ICU mean the same (no shorthands, anchors, case folding or
/// lazy repeats: ICU stops a lazy loop that can match empty too soon, so `((.)*?)*?` does not
/// match "a" there; it does in RE2), matched whole against random values. Seeded, so a failure
/// repeats.
struct RE2EngineDifferentialTests {
    struct Rng {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static func pattern(_ r: inout Rng, depth: Int) -> String {
        switch r.next(depth > 2 ? 3 : 9) {
        case 0: return ["a", "b", "c"][r.next(3)]
        case 1: return "."
        case 2: return ["[ab]", "[^a]", "[a-b]", "[bc]"][r.next(4)]
        case 3: return pattern(&r, depth: depth + 1) + pattern(&r, depth: depth + 1)
        case 4: return pattern(&r, depth: depth + 1) + "|" + pattern(&r, depth: depth + 1)
        case 5: return "(" + pattern(&r, depth: depth + 1) + ")" + ["*", "+", "?"][r.next(3)]
        case 6: return "(?:" + pattern(&r, depth: depth + 1) + ")"
        case 7:
            let lo = r.next(3)
            return "(" + pattern(&r, depth: depth + 1) + ")" + ["{\(lo)}", "{\(lo),}", "{\(lo),\(lo + r.next(3))}"][r.next(3)]
        default: return ["a", "b"][r.next(2)] + pattern(&r, depth: depth + 1)
        }
    }

    /// Compiles 3,000 regexes from `pattern` in both engines and matches each against 10 values
    /// drawn from `alphabet` (at most `longest` long); they must agree, and enough must match.
    static func compareWithICU(seed: UInt64, alphabet: [String], longest: Int,
                               _ pattern: (inout Rng) -> String) throws {
        var r = Rng(state: seed)
        var compared = 0, matched = 0
        for _ in 0..<3000 {
            let re = pattern(&r)
            let scalars = Array(re.unicodeScalars)
            try RE2Syntax.check(scalars)
            let mine = try RE2Program(scalars)
            let icu = try NSRegularExpression(pattern: #"\A(?:"# + re + #")\z"#, options: [.useUnixLineSeparators])
            for _ in 0..<10 {
                let value = (0..<r.next(longest + 1)).map { _ in alphabet[r.next(alphabet.count)] }.joined()
                let expected = icu.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) != nil
                #expect(mine.matches(value) == expected, "\(re) on \(value.debugDescription)")
                compared += 1
                if expected { matched += 1 }
            }
        }
        #expect(compared == 30_000)
        #expect(matched > 3_000, "\(matched) of the values matched: too few to tell the engines apart")
    }

    @Test func agreesWithABacktrackingEngineOnRandomRegexes() throws {
        try Self.compareWithICU(seed: 20261124, alphabet: ["a", "b", "c", "\n"], longest: 6) { r in
            Self.pattern(&r, depth: 0)
        }
    }

    /// The same with `(?i)`, `(?m)`, `\d`, `\w`, `\s`, `\b`, `\B`, `^` and (under `(?m)`) `$`,
    /// on ASCII values without `\v`, where ICU's Unicode shorthands and folding agree with RE2's.
    static func richPattern(_ r: inout Rng, depth: Int, multiline: Bool) -> String {
        switch r.next(depth > 2 ? 4 : 10) {
        case 0: return ["a", "b", "A", "1", " ", "_", "-"][r.next(7)]
        case 1: return [#"\d"#, #"\w"#, #"\s"#, #"\D"#, #"\W"#, #"\S"#, "."][r.next(7)]
        case 2: return ["[a-b]", "[^A]", #"[\d_]"#, #"[^\s]"#, "[[:alpha:]]", "[[:^digit:]]"][r.next(6)]
        case 3: return multiline ? [#"\b"#, #"\B"#, "^", "$"][r.next(4)] : [#"\b"#, #"\B"#, "^"][r.next(3)]
        case 4, 5: return richPattern(&r, depth: depth + 1, multiline: multiline) + richPattern(&r, depth: depth + 1, multiline: multiline)
        case 6: return richPattern(&r, depth: depth + 1, multiline: multiline) + "|" + richPattern(&r, depth: depth + 1, multiline: multiline)
        case 7: return "(" + richPattern(&r, depth: depth + 1, multiline: multiline) + ")" + ["*", "+", "?", "{1,2}"][r.next(4)]
        case 8: return "(?i:" + richPattern(&r, depth: depth + 1, multiline: multiline) + ")"
        default: return "(?:" + richPattern(&r, depth: depth + 1, multiline: multiline) + ")"
        }
    }

    @Test func agreesOnShorthandsFlagsAndAnchorsOverASCII() throws {
        try Self.compareWithICU(seed: 42, alphabet: ["a", "b", "A", "B", "1", " ", "\n", "_", "-", "\t"], longest: 5) { r in
            let multiline = r.next(2) == 0
            return (multiline ? "(?m)" : "") + (r.next(3) == 0 ? "(?i)" : "") + Self.richPattern(&r, depth: 0, multiline: multiline)
        }
    }
}

/// Loops that can match empty, lazy or not: every expected value is Go's for `^(?:re)$`.
struct RE2EngineEmptyLoopTests {
    @Test(arguments: [
        (#"((.)*?)*?"#, "a", true),
        (#"((b[^a])*|a[bc])*?"#, "ab", true),
        (#"(a*)*"#, "aaa", true),
        (#"(a*)+b"#, "aaab", true),
        (#"(|a)*"#, "aa", true),
        (#"(a|)+"#, "", true),
        (#"()*"#, "", true),
        (#"(a?){3}"#, "aa", true),
        (#"(a?){3}"#, "aaaa", false),
        (#"(a*)*b"#, "aaa", false),
        (#"(?:a*?)+?c"#, "aac", true),
    ])
    func emptyLoopsEndAndMatch(_ re: String, _ value: String, _ expected: Bool) throws {
        let p = Array(re.unicodeScalars)
        try RE2Syntax.check(p)
        #expect(try RE2Program(p).matches(value) == expected, "\(re) on \(value.debugDescription)")
    }
}

/// Junk patterns never crash: each one is refused with a problem or compiles and matches.
struct RE2EngineJunkTests {
    @Test func randomJunkIsRefusedOrRuns() {
        var r = RE2EngineDifferentialTests.Rng(state: 7)
        let alphabet = Array(#"ab()[]{}|*+?.^$\-:,<>=!PQEpdwsbBAzx0123k^_ iU"#.unicodeScalars) + ["\u{212A}", "\n"]
        var compiled = 0
        for _ in 0..<20_000 {
            let pattern = (0..<(1 + r.next(16))).map { _ in alphabet[r.next(alphabet.count)] }
            do {
                try RE2Syntax.check(pattern)
                let program = try RE2Program(pattern)
                _ = program.matches("ab")
                _ = program.matches("")
                compiled += 1
            } catch {
                // Refused: fine.
            }
        }
        #expect(compiled > 1_000)
    }
}
