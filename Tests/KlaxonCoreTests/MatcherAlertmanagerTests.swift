import Foundation
import Testing
@testable import KlaxonCore

/// Matcher values are decoded as Alertmanager 0.25 decodes them (pkg/labels/parse.go).
struct MatcherValueDecodingTests {
    @Test(arguments: [
        (#"x = "a\nb""#, "a\nb"),                   // \n is a newline
        (#"x = "a\"b""#, "a\"b"),                   // \" is a quote
        (#"x = "a\\b""#, #"a\b"#),                  // \\ is one backslash
        (#"x = "C:\temp""#, #"C:\temp"#),           // a spurious escape keeps its backslash
        (#"x =~ "5\d\d""#, #"5\d\d"#),
        (#"x =~ "5\\d\\d""#, #"5\d\d"#),            // the same regex, written with \\
        (#"x = "ends\\""#, #"ends\"#),
        (#"x = a\b"#, #"a\b"#),                     // unquoted values are decoded the same way
        (#"x = a\\b"#, #"a\b"#),
        (#"x = a\"#, #"a\"#),                       // a backslash as the last character is literal
        (#"x =~ 5\d  "#, #"5\d"#),
    ])
    func decodes(_ text: String, _ value: String) throws {
        #expect(try Matcher(parsing: text).value == value, "\(text)")
    }

    @Test func regexEscapesReachTheRegex() throws {
        let code = try Matcher(parsing: #"code =~ "5\d\d""#)
        #expect(code.holds(for: .text("503")))
        #expect(!code.holds(for: .text("5dd")))
        let host = try Matcher(parsing: #"host =~ "web\.example""#)
        #expect(host.holds(for: .text("web.example")))
        #expect(!host.holds(for: .text("webXexample")))
        let notHost = try Matcher(parsing: #"host !~ "web\.example""#)
        #expect(notHost.holds(for: .text("webXexample")))
        let path = try Matcher(parsing: #"path = "C:\temp""#)
        #expect(path.holds(for: .text(#"C:\temp"#)))
        #expect(!path.holds(for: .text("C:temp")))
        #expect(try Matcher(parsing: #"path != "C:\temp""#).holds(for: .text("C:temp")))
    }

    @Test(arguments: [
        (#"x = a"b"#, 5),            // an unescaped quote inside an unquoted value
        (#"x = "a"b""#, 7),          // text after the closing quote
        (#"x = "abc\""#, 4),         // the closing quote is escaped: unterminated
    ])
    func unescapedQuotesAreErrors(_ text: String, _ offset: Int) {
        do { _ = try Matcher(parsing: text); Issue.record("\(text) parsed") } catch let e as Matcher.ParseError {
            #expect(e.offset == offset, "\(text): \(e.message)")
        } catch { Issue.record("\(error)") }
    }

    @Test(arguments: [#"a\b"#, "a\"b", "a\nb", #"5\d\d"#, #"ends\"#, #"a\\n"#, "a\\\"", "x\\\n"])
    func descriptionParsesBackToTheSameValue(_ value: String) throws {
        for op in ["=", "!="] {
            let m = try Matcher(parsing: "x \(op) \"\(Matcher.quoted(value))\"")
            #expect(m.value == value)
            #expect(try Matcher(parsing: m.description).value == value, "\(m.description)")
        }
    }

    @Test func equalityIsByteForByte() throws {
        // A precomposed é and e + combining acute are different label values to Alertmanager.
        let m = try Matcher(parsing: "x = \"\u{E9}\"")
        #expect(m.holds(for: .text("\u{E9}")))
        #expect(!m.holds(for: .text("e\u{301}")))
        #expect(try Matcher(parsing: "x != \"\u{E9}\"").holds(for: .text("e\u{301}")))
    }
}

/// Regexes are anchored at the very start and end of the value, as in Go's RE2.
struct MatcherAnchoringTests {
    @Test func aTrailingNewlineIsPartOfTheValue() throws {
        let m = try Matcher(parsing: #"job =~ "api""#)
        #expect(m.holds(for: .text("api")))
        #expect(!m.holds(for: .text("api\n")))
        #expect(!m.holds(for: .text("\napi")))
        #expect(try Matcher(parsing: #"job !~ "api""#).holds(for: .text("api\n")))
        #expect(try Matcher(parsing: #"job =~ "api\n""#).holds(for: .text("api\n")))
        #expect(!(try Matcher(parsing: #"job =~ "api$""#).holds(for: .text("api\n"))))
    }

    @Test func dotStopsOnlyAtNewline() throws {
        let m = try Matcher(parsing: #"x =~ "a.b""#)
        #expect(m.holds(for: .text("a\rb")))
        #expect(m.holds(for: .text("a\u{2028}b")))
        #expect(!m.holds(for: .text("a\nb")))
        #expect(try Matcher(parsing: #"x =~ "(?s)a.b""#).holds(for: .text("a\nb")))
    }
}

/// Syntax ICU accepts but Alertmanager's RE2 rejects is refused at load, at its position.
struct MatcherRE2SyntaxTests {
    @Test(arguments: [
        (#"x =~ "a(?=b)""#, 7, "lookahead"),
        (#"x =~ "a(?!b)""#, 7, "lookahead"),
        (#"x =~ "(?<=a)b""#, 6, "lookbehind"),
        (#"x =~ "(?<!a)b""#, 6, "lookbehind"),
        (#"x =~ "(?>a)b""#, 6, "atomic group"),
        (#"x !~ "(a)\1""#, 9, "backreference"),
        (#"x =~ "(a)b\9""#, 10, "backreference"),
        (#"x =~ "(?<n>a)\k<n>""#, 13, "named backreference"),
        (#"x =~ "(?P<n>a)(?P<n>b)""#, 14, "used twice"),
        (#"x =~ "(?P<>a)""#, 6, "needs a name"),
        (#"x =~ "(?P<a-b>a)""#, 6, "needs a name"),
        (#"x =~ "(a)(?P=a)""#, 9, "(?P="),
        (#"x =~ "(?-)a""#, 6, "no flag after it"),
        (#"x =~ "(?i-)a""#, 6, "no flag after it"),
        (#"x =~ "(?i-m-s)a""#, 11, "second -"),
        (#"x =~ "a(?i""#, 7, "without its closing )"),
        (#"x =~ "((a)""#, 6, "without its closing )"),
        (#"x =~ "a(?i)*""#, 11, "nothing before it to repeat"),  // RE2: missing argument
        (#"x =~ "(*a)""#, 7, "nothing before it to repeat"),
        (#"x =~ "a|*b""#, 8, "nothing before it to repeat"),
        (#"x =~ "((a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v|w|x|y|z|0|1|2|3|4|5|6|7|8|9){1,1000}){1}""#, 6, "too large"),
        (#"x =~ "(a)\k<n>""#, 9, "named backreference"),
        (#"x =~ "a*+""#, 8, "possessive"),
        (#"x =~ "a++""#, 8, "possessive"),
        (#"x =~ "a?+""#, 8, "possessive"),
        (#"x =~ "a{2}+""#, 10, "possessive"),
        (#"x =~ "(ab)*+c""#, 11, "possessive"),
        (#"x =~ "a(?x) b""#, 9, "flag"),
        (#"x =~ "a(?#note)""#, 7, "comment"),
        (#"x =~ "a\Z""#, 7, "escape \\Z"),
        (#"x =~ "a{1001}""#, 7, "above 1000"),
        (#"x =~ "(a{2}){501}""#, 12, "nested to 1002 copies"),     // RE2: at most 1000 copies in all
        (#"x =~ "((a{10}){10}){11}""#, 19, "nested to 1100"),
        (#"x =~ "(?:a{1000}){1,2}""#, 17, "nested to 2000"),
        (#"x =~ "(a{0}b{5}){300}""#, 16, "nested to 1500"),
        (#"x =~ "(x|(a{10}){10}){11}""#, 21, "nested to 1100"),
        (#"x =~ "ab\\\\\1""#, 12, "backreference"),   // the regex ab\\\1: a literal backslash, then \1
    ])
    func refused(_ text: String, _ offset: Int, _ fragment: String) {
        expectRefused(text, at: offset, saying: fragment)
    }

    /// The same characters inside a class, escaped or quoted are literals, and lazy quantifiers
    /// are RE2 too.
    @Test(arguments: [
        (#"x =~ "[(?=]+""#, "(?=", true),
        (#"x =~ "[(?<!>]+""#, "<!?", true),
        (#"x =~ "\(?=a""#, "(=a", true),
        (#"x =~ "\(?=a""#, "=a", true),
        (#"x =~ "a\*+""#, "a**", true),
        (#"x =~ "[*+]+""#, "+*+", true),
        (#"x =~ "a[+]+""#, "a++", true),
        (#"x =~ "\Q(?=a)\1\E""#, #"(?=a)\1"#, true),
        (#"x =~ "a\\\\1""#, #"a\1"#, true),             // regex a\\1: a backslash, then 1
        (#"x =~ "a\\\\k""#, #"a\k"#, true),
        (#"x =~ "(a{2}){500}b""#, String(repeating: "a", count: 1000) + "b", true),
        (#"x =~ "(a{1000}){0,1}""#, "", true),                      // RE2 checks only repeats of 2 or more
        (#"x =~ "(a{0}){1000}b""#, "b", true),                      // {0} ends the count
        (#"x =~ "(a{10}|b){100}c""#, String(repeating: "b", count: 100) + "c", true),
        (#"x =~ "a\12b""#, "a\nb", true),                         // \12 is octal (a newline) in RE2
        (#"x =~ "\101\0102""#, "A\u{8}2", true),                   // \010, then a 2
        (#"x =~ "(a+)+b""#, String(repeating: "a", count: 40), false), // no backtracking: linear
        (#"x =~ "(a+)+b""#, String(repeating: "a", count: 40) + "b", true),
        (#"x =~ "(.*a){20}""#, String(repeating: "a", count: 400) + "b", false),
        (#"x =~ "(\w+\s?)*""#, String(repeating: "word ", count: 60) + "!", false),
        (#"x =~ "(\w+\s?)*""#, String(repeating: "word ", count: 60), true),
        (#"x =~ "(?P<first>a|b)c""#, "bc", true),                  // named groups are groups
        (#"x =~ "(?<x>ab)+""#, "abab", true),
        (#"x =~ "(?U)a+""#, "aaa", true),                           // U (lazy) changes no whole match
        (#"x =~ "(?iU)A+b""#, "aaB", true),
        (#"x =~ "(?U:a*)b""#, "aab", true),
        (#"x =~ "(?-U)a""#, "a", true),
        (#"x =~ "(?s)a.b""#, "a\nb", true),
        (#"x =~ "(?)a""#, "a", true),
        (#"x =~ "a*?b""#, "aab", true),
        (#"x =~ "a??b""#, "ab", true),
        (#"x =~ "a{2}?b""#, "aab", true),
        (#"x =~ "[]a]+""#, "]a]", true),
        (#"x =~ "[[:digit:]x]+""#, "1x2", true),
        (#"x =~ "(?i)api""#, "API", true),
        (#"x =~ "(?i:a)b""#, "Ab", true),
        (#"x =~ "\x41\x{42}""#, "AB", true),
        (#"x =~ "a{2,3}""#, "a", false),
    ])
    func literalsAreNotRefused(_ text: String, _ value: String, _ holds: Bool) throws {
        let m = try Matcher(parsing: text)
        #expect(m.holds(for: .text(value)) == holds, "\(text) on \(value)")
    }
}

/// Overlap detection never claims two regexes are disjoint when some value matches both.
struct OverlapRegexSoundnessTests {
    func g(_ s: String...) throws -> [Matcher] { try s.map { try Matcher(parsing: $0) } }

    @Test func metacharactersAreNotLiteralText() throws {
        #expect(MatcherOverlap.mayOverlap(try g(#"svc =~ "api.v1""#), try g(#"svc =~ "api-v1|zzz""#)))
        #expect(MatcherOverlap.mayOverlap(try g(#"svc =~ "api-v1|zzz""#), try g(#"svc =~ "api.v1""#)))
        #expect(MatcherOverlap.mayOverlap(try g(#"svc =~ "a[|]b""#), try g(#"svc =~ "a\|b""#)))
        #expect(MatcherOverlap.mayOverlap(try g(#"svc =~ "v\d""#), try g(#"svc =~ "v1|v2""#)))
        #expect(MatcherOverlap.mayOverlap(try g(#"svc =~ "ab?""#), try g(#"svc =~ "a|x""#)))
        #expect(MatcherOverlap.mayOverlap(try g(#"svc =~ "(?i)api""#), try g(#"svc =~ "API|web""#)))
    }

    @Test func prefixesCompareCodePoints() throws {
        // "e" + combining acute starts with "e" as the regex engine sees it.
        #expect(MatcherOverlap.mayOverlap(try g("svc =~ \"e\u{301}.*\""), try g(#"svc =~ "e.*""#)))
        #expect(MatcherOverlap.mayOverlap(try g("svc =~ \".\u{301}z\""), try g("svc =~ \"a\u{301}z|q\"")))
    }

    @Test func playbooksWithMetacharactersOverlap() throws {
        let a = Playbook(id: "a", title: "A", match: [try g(#"svc =~ "api.v1""#)], file: "a.yaml")
        let b = Playbook(id: "b", title: "B", match: [try g(#"svc =~ "api-v1|zzz""#)], file: "b.yaml")
        #expect(b.overlaps(with: a).count == 1)
    }

    @Test func clearlyDisjointLiteralsStaySilent() throws {
        #expect(!MatcherOverlap.mayOverlap(try g(#"svc = "a""#), try g(#"svc = "b""#)))
        #expect(!MatcherOverlap.mayOverlap(try g(#"svc =~ "api-v1|api-v2""#), try g(#"svc =~ "api-v3|web""#)))
        #expect(!MatcherOverlap.mayOverlap(try g(#"svc =~ "api\.v1""#), try g(#"svc =~ "api-v1|zzz""#)))
        #expect(!MatcherOverlap.mayOverlap(try g(#"svc =~ "a\|b""#), try g(#"svc =~ "a|b""#)))
        #expect(!MatcherOverlap.mayOverlap(try g(#"svc =~ "api:v1|web/2""#), try g(#"svc = "api""#)))
        #expect(!MatcherOverlap.mayOverlap(try g(#"svc =~ "rag-.*""#), try g(#"svc =~ "api.*|web.*""#)))
        let a = Playbook(id: "a", title: "A", match: [try g(#"svc =~ "api-v1|api-v2""#)], file: "a.yaml")
        let b = Playbook(id: "b", title: "B", match: [try g(#"svc = "web""#), try g(#"svc =~ "zzz|yyy""#)], file: "b.yaml")
        #expect(b.overlaps(with: a).isEmpty)
    }

    @Test func alternativesAreSplitOutsideClassesAndEscapes() {
        #expect(literalAlternatives(#"a\|b"#) == ["a|b"])
        #expect(literalAlternatives("a|") == ["a", ""])
        #expect(literalAlternatives("a.b|c") == nil)
        #expect(literalAlternatives(#"a\.b|c"#) == ["a.b", "c"])
        #expect(topLevelAlternatives("[|]x|y")?.count == 2)
        #expect(topLevelAlternatives("[]|]x|y")?.count == 2)
        #expect(topLevelAlternatives("(a)|b") == nil)
    }
}

/// `text` fails to parse, at `offset`, with a message containing `fragment`.
func expectRefused(_ text: String, at offset: Int, saying fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try Matcher(parsing: text)
        Issue.record("\(text) parsed", sourceLocation: sourceLocation)
    } catch let e as Matcher.ParseError {
        #expect(e.offset == offset, "\(text): \(e.message)", sourceLocation: sourceLocation)
        #expect(e.message.contains(fragment), "\(text): \(e.message)", sourceLocation: sourceLocation)
    } catch { Issue.record("\(error)", sourceLocation: sourceLocation) }
}
