import Foundation
import Testing
import KlaxonCore
@testable import KlaxonConfig

/// An error inside a scalar points at the line and column where the offending character was
/// written, whatever the scalar's style: after YAML escapes, on the right line of a block.
struct ScalarPositionTests {
    /// Loads a playbook whose `match:` starts on line 4 and returns the `file:line:column` of
    /// its bad matcher.
    static func badMatcherPlace(_ match: String, lineEnd: String = "\n") throws -> String {
        let folder = try ConfigFolder()
        let text = "id: model-accuracy-degradation\ntitle: Accuracy\nmatch:\n" + match
        try folder.write("Playbooks/model-accuracy-degradation.yaml", text.replacingOccurrences(of: "\n", with: lineEnd))
        let (r, lines) = folder.load(ConfigLoaderTests.fullEnv)
        #expect(r.configuration == nil)
        let bad = lines.filter { $0.contains("bad matcher") }
        #expect(bad.count == 1, "\(lines)")
        guard let line = bad.first, let range = line.range(of: ": bad matcher") else { return "\(lines)" }
        return String(line[..<range.lowerBound])
    }

    static let file = "Playbooks/model-accuracy-degradation.yaml"

    @Test func afterEscapesInADoubleQuotedScalar() throws {
        // YAML gives `model =~ "\d\"éA(?=y)"`; the ( is in column 35 of the file.
        let place = try Self.badMatcherPlace(#"""
          - ["model =~ \"\\d\\\"\u00e9\x41(?=y)\""]

        """#)
        #expect(place == "\(Self.file):4:35")
    }

    @Test func onTheSecondLineOfAFoldedBlock() throws {
        let place = try Self.badMatcherPlace("""
          - - >-
              model =~
              "Model(?=Accuracy)"

        """)
        #expect(place == "\(Self.file):6:13")
    }

    @Test func onTheSecondLineOfALiteralBlock() throws {
        let place = try Self.badMatcherPlace("""
          - - |-
              model =~ "a
              b(?=c)"

        """)
        #expect(place == "\(Self.file):6:8")
    }

    @Test func afterADoubledQuoteInASingleQuotedScalar() throws {
        let place = try Self.badMatcherPlace("""
          - ['model =~ a''b(?=c)']

        """)
        #expect(place == "\(Self.file):4:20")
    }

    @Test func afterAnEscapedLineBreakAndALongEscape() throws {
        let place = try Self.badMatcherPlace(#"""
          - - "model =~ \"\U0001F600\
                 x(?=y)\""

        """#)
        #expect(place == "\(Self.file):5:11")
    }

    @Test func onTheSecondLineOfAPlainScalar() throws {
        let place = try Self.badMatcherPlace("""
          - - model =~
              "a(?=b)"

        """)
        #expect(place == "\(Self.file):5:9")
    }

    @Test func afterATagWithWindowsLineEnds() throws {
        let place = try Self.badMatcherPlace(#"""
          - - !!str "model =~ \"\\d(?=b)\""

        """#, lineEnd: "\r\n")
        #expect(place == "\(Self.file):4:28")
    }

    @Test func onOneLineAsBefore() throws {
        #expect(try Self.badMatcherPlace("  - ['model =~ \"a(?=b)\"']\n") == "\(Self.file):4:18")
        #expect(try Self.badMatcherPlace("  - - model =~ \"a(?=b)\"\n") == "\(Self.file):4:18")
    }

    /// Every character of a scalar maps back to where it was written (`value` is libyaml's value
    /// of the scalar whose mark is at `line`:`column`).
    @Test(arguments: [
        ("a: \"x\\ty\\u00e9\\\"z\\\\\"\n", "x\ty\u{E9}\"z\\", ScalarSource.Style.doubleQuoted, 1, 4),
        ("a: 'it''s   fine'\n", "it's   fine", .singleQuoted, 1, 4),
        ("a: plain   words\n  on two lines\n\n  and a third\n", "plain   words on two lines\nand a third", .plain, 1, 4),
        ("a: \"folded\n\n   across  \n  lines \"\n", "folded\nacross lines ", .doubleQuoted, 1, 4),
        ("a: >\n  one\n  two\n\n  three\n   more\n  four\n", "one two\nthree\n more\nfour\n", .folded, 1, 4),
        ("a: |+\n  keep\n    this\n\n", "keep\n  this\n\n", .literal, 1, 4),
        ("a:\n  b: >2-\n     lead\n    text\n", " lead\ntext", .folded, 2, 6),
        ("- &x !!str \"tagged \\x41\"\n", "tagged A", .doubleQuoted, 1, 3),
        ("a: |\r\n  crlf\r\n  lines\r\n", "crlf\nlines\n", .literal, 1, 4),
    ])
    func everyCharacterMapsBack(_ yaml: String, _ value: String, _ style: ScalarSource.Style, _ line: Int, _ column: Int) throws {
        let src = Array(yaml.unicodeScalars)
        let starts = ScalarSource.lineStarts(src)
        for (k, c) in value.unicodeScalars.enumerated() {
            let p = try #require(ScalarSource.position(offset: k, value: value, style: style, line: line, column: column, text: yaml),
                                 "\(yaml.debugDescription) offset \(k)")
            let written = src[starts[p.line - 1] + p.column - 1]
            // A character is written as itself, or comes from an escape, a quote pair or a line break.
            #expect(written == c || written == "\\" || written == "'" || ScalarSource.isBreak(written),
                    "\(yaml.debugDescription) offset \(k): \(c) at \(p)")
        }
        // A value the source does not give back is not mapped.
        #expect(ScalarSource.position(offset: 0, value: value + "?", style: style, line: line, column: column, text: yaml) == nil)
    }
}
