import Foundation
import Testing
@testable import KlaxonCore

/// Regexes match what they match in Alertmanager (Go's RE2), not what ICU would: `\d`, `\s`,
/// `\w`, `\b` and POSIX classes are ASCII, bracket classes read as RE2 reads them. Every expected
/// value here is what Go's `regexp` gives for `^(?:re)$`.
struct MatcherRE2MeaningTests {
    func holds(_ re: String, _ value: String) throws -> Bool {
        try Matcher(parsing: "x =~ \"\(Matcher.quoted(re))\"").holds(for: .text(value))
    }

    @Test(arguments: [
        (#"\d"#, "\u{663}", false),            // Arabic-Indic three is no \d in RE2
        (#"\d"#, "3", true),
        (#"\d+"#, "2024", true),
        (#"\D"#, "\u{663}", true),
        (#"\w+"#, "\u{E9}", false),            // é is no word character in RE2
        (#"\w+"#, "abc_9Z", true),
        (#"\W"#, "\u{E9}", true),
        (#"\s"#, "\u{A0}", false),             // no-break space
        (#"\s"#, "\u{B}", false),              // RE2's \s has no vertical tab
        (#"\s+"#, " \t\n\r\u{C}", true),
        (#"\S"#, "\u{A0}", true),
        (#"(?i)\w"#, "\u{212A}", true),        // (?i) folds k to the Kelvin sign, as in RE2
        (#"(?i)\W"#, "\u{212A}", false),
    ])
    func shorthandsAreASCII(_ re: String, _ value: String, _ expected: Bool) throws {
        #expect(try holds(re, value) == expected, "\(re) on \(value.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test(arguments: [
        (#"(?i)strasse"#, "STRA\u{DF}E", false),   // RE2 folds one character to one: ß is not "ss"
        ("(?i)stra\u{DF}e", "STRASSE", false),
        ("(?i)stra\u{DF}e", "STRA\u{1E9E}E", true), // ß and ẞ fold to each other
        (#"(?i)\x{DF}"#, "ss", false),
        (#"(?i)\Qss\E"#, "\u{DF}", false),
        ("(?i)\u{FB00}", "ff", false),             // the ff ligature is not "ff"
        (#"(?i)ff"#, "\u{FB00}", false),
        ("(?i)\u{FB00}", "\u{FB00}", true),
        (#"(?i)k"#, "\u{212A}", true),               // k, K and the Kelvin sign
        ("(?i)\u{3C3}", "\u{3C2}", true),          // σ, ς and Σ
        ("(?i)\u{1C5}", "\u{1C6}", true),          // ǅ and ǆ
        (#"(?i:a)b"#, "Ab", true),
        (#"(?i:a)b"#, "AB", false),
        (#"a(?i)b"#, "aB", true),
        (#"a(?i)b"#, "AB", false),
        (#"(?i)a(?-i)b"#, "Ab", true),
        (#"(?i)a(?-i)b"#, "AB", false),
        (#"(?i)(a|b)c+"#, "BCc", true),
        (#"(?i)a.c"#, "AxC", true),
        (#"(?i)api-\d{2}"#, "API-12", true),
        ("(?i)[\u{FB00}]", "ff", false),             // a class of one: the same
        ("(?i)[\u{FB00}]", "\u{FB00}", true),
        ("(?i)[^\u{FB00}]", "f", true),
        ("(?i)\u{130}", "i", false),                 // İ has no simple fold
        (#"(?i)[^k]"#, "\u{212A}", false),
        (#"(?i)[a-c]+"#, "AbC", true),
    ])
    func caseFoldingIsSimpleAsInRE2(_ re: String, _ value: String, _ expected: Bool) throws {
        #expect(try holds(re, value) == expected, "\(re) on \(value.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test(arguments: [
        (#"é\bfoo\b"#, "\u{E9}foo", true),     // é is not a word character: a boundary before f
        (#".\bfoo\b"#, "\u{E9}foo", true),
        (#"é\Bfoo"#, "\u{E9}foo", false),
        (#"\bfoo\b"#, "foo", true),
        (#"a\bb"#, "ab", false),
        (#"a\Bb"#, "ab", true),
        (#"a\b b"#, "a b", true),
        (#"\w\b\W"#, "a\u{E9}", true),
        (#"\B"#, "", true),
        (#"\b"#, "", false),
        (#"(?i).\bk"#, "\u{212A}k", true),     // (?i) does not make the Kelvin sign a word character
        (#"(?:\b)*x"#, "x", true),
    ])
    func wordBoundariesAreASCII(_ re: String, _ value: String, _ expected: Bool) throws {
        #expect(try holds(re, value) == expected, "\(re) on \(value)")
    }

    @Test(arguments: [
        (#"[\d_]+"#, "1_2", true),
        (#"[\d_]+"#, "\u{663}", false),
        (#"[^\s]+"#, "a\u{A0}b", true),
        (#"[^\s]+"#, "a b", false),
        (#"[\D]"#, "\u{663}", true),
        (#"[^\D]"#, "7", true),
        (#"[^\D]"#, "\u{663}", false),
        (#"[\W]"#, "\u{E9}", true),
        (#"[^\W]"#, "\u{E9}", false),
        (#"(?i)[^\W]"#, "\u{212A}", true),
        (#"[\d-z]+"#, "-z5", true),             // a - after a class is a literal
        (#"[a-c-e]+"#, "a-e", true),
        (#"[a-c-e]"#, "d", false),
        (#"[[:alpha:]]+"#, "abcXYZ", true),
        (#"[[:alpha:]]"#, "\u{E9}", false),
        (#"[[:^alpha:]]"#, "\u{E9}", true),
        (#"[[:word:][:space:]]+"#, "a_1 \u{B}", true),
        (#"[[:punct:]]+"#, "!/:@[`{~", true),
        (#"(?i)[[:upper:]]"#, "q", true),
        (#"[:alpha:]"#, "l", true),             // outside brackets: the characters : a l p h
        (#"[:alpha:]"#, "b", false),
        (#"[a[b]]"#, "[]", true),               // [ inside a class is a literal in RE2
        (#"[a-z&&b]+"#, "&", true),
        (#"[a-z--b]+"#, "-", true),
        (#"[\p{^Greek}]"#, "\u{3B1}", false),
        (#"\pL+"#, "\u{E9}a", true),
    ])
    func bracketClassesReadAsRE2ReadsThem(_ re: String, _ value: String, _ expected: Bool) throws {
        #expect(try holds(re, value) == expected, "\(re) on \(value)")
    }

    @Test(arguments: [
        (#"a$\n"#, "a\n", false),               // without (?m), $ is the very end of the text
        (#"(?m)a$\n"#, "a\n", true),
        (#"(?m:a$)\n"#, "a\n", true),
        (#"(?m:a)$\n"#, "a\n", false),
        (#"\v"#, "\u{B}", true),
        (#"\v"#, "\n", false),                  // ICU's \v would be any vertical space
        (#"\0"#, "\u{0}", true),
        (#"\012"#, "\n", true),
        (#"a{x}"#, "a{x}", true),               // a brace that is no repeat is itself
        (#"a{,3}"#, "a{,3}", true),
        (#"a}"#, "a}", true),
        (#"\Qa.b\E."#, "a.bc", true),
    ])
    func otherEscapesAndAnchorsMeanWhatRE2Means(_ re: String, _ value: String, _ expected: Bool) throws {
        #expect(try holds(re, value) == expected, "\(re) on \(value)")
    }

    @Test(arguments: [
        (#"x =~ "[[:foo:]]""#, 7, "unknown character class"),
        (#"x =~ "ab[z-a]""#, 9, "runs backwards"),
        (#"x =~ "[a-\d]""#, 9, "cannot end a range"),
        (#"x =~ "a[bc""#, 7, "without its closing ]"),
        (#"x =~ "\Qa*+""#, 6, "\\Q without \\E"),       // Alertmanager's ^(?:\Qa*+)$ has no closing )
        (#"x =~ "a)|(b""#, 7, "without its opening ("),  // would close Alertmanager's (?:
        (#"x =~ "a\\p{greek}""#, 7, "unknown Unicode class"),  // Go spells names exactly
        (#"x =~ "\\p{IsGreek}""#, 6, "unknown Unicode class"),
        (#"x =~ "[\\p{Alphabetic}]""#, 7, "unknown Unicode class"),
        (#"x =~ "\\P{Letter}""#, 6, "unknown Unicode class"),
        (#"x =~ "\\pX""#, 6, "unknown Unicode class"),
    ])
    func whatAlertmanagerRejectsIsRefusedAtItsPlace(_ text: String, _ offset: Int, _ fragment: String) {
        expectRefused(text, at: offset, saying: fragment)
    }

    @Test(arguments: [
        (#"\p{Greek}+"#, "\u{3B1}\u{3B2}", true),
        (#"\p{Greek}"#, "a", false),
        (#"\p{^Greek}"#, "a", true),
        (#"\P{Greek}"#, "\u{3B1}", false),
        (#"\p{Lu}"#, "A", true),
        (#"\p{Lu}"#, "a", false),
        (#"\pN"#, "\u{663}", true),                  // unlike \d, \pN is every number
        (#"\pL+"#, "\u{E9}t\u{E9}", true),
        (#"\p{Any}"#, "\u{1F600}", true),
        (#"[\p{Han}\d]+"#, "\u{6F22}1", true),
        (#"\p{Kawi}"#, "\u{11F04}", true),            // a Unicode 15 script
        (#"\p{Common}"#, "1", true),
        (#"\p{C}"#, "\u{378}", false),               // unassigned: in no class (Go's C has no Cn)
        (#"\p{C}"#, "\u{200B}", true),               // zero width space: Cf
        (#"\P{C}"#, "\u{378}", true),
        (#"(?i)\p{Lu}"#, "a", true),                   // (?i) folds the class too, as in RE2
        (#"(?i)\P{Ll}"#, "a", false),                 // RE2 folds, then negates
        (#"(?i)\P{Lu}"#, "a", false),
        (#"(?i)\P{Lu}"#, "1", true),
    ])
    func unicodeClassesAreGoNames(_ re: String, _ value: String, _ expected: Bool) throws {
        #expect(try holds(re, value) == expected, "\(re) on \(value)")
    }

    @Test func ordinaryPatternsStillMatch() throws {
        #expect(try holds(#"5\d\d"#, "503"))
        #expect(try holds(#"Model.*Accuracy.*"#, "ModelXAccuracyDrop"))
        #expect(try holds(#"(?i)api-(v\d+|beta)"#, "API-V12"))
        #expect(try holds(#"[A-Za-z0-9_.-]+@\w+\.com"#, "ops.team-1@example.com"))
        #expect(try holds(#"\s*\S+\s*"#, "  x  "))
        #expect(try holds(#"^prod|staging$"#, "staging"))
        #expect(!(try holds(#"web\.example"#, "webXexample")))
    }

    /// RE2 lets an anchor be repeated; ICU refuses a bare `\A*`, so it is compiled as a group.
    @Test func repeatedAnchorsAreValid() throws {
        #expect(try holds(#"\A*a"#, "a"))
        #expect(try holds(#"a\z*"#, "a"))
        #expect(try holds(#"(?:\Aa)+"#, "a"))
        #expect(!(try holds(#"a\z*"#, "ab")))
    }
}
