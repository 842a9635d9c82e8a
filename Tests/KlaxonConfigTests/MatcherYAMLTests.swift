import Foundation
import Testing
import KlaxonCore
@testable import KlaxonConfig

/// Matchers as they come out of YAML: YAML decodes its own escapes first (double-quoted scalars
/// only), then the matcher value is decoded as Alertmanager decodes it.
struct MatcherYAMLTests {
    static let playbook = #"""
    id: model-accuracy-degradation
    title: Accuracy
    match:
      - ['code =~ "5\d\d"']
      - ["code =~ \"5\\d\\d\""]
      - - code =~ "5\d\d"
      - ['code =~ "5\\d\\d"']
      - ['host = "web\.example"']
    """#

    @Test func everyQuotingStyleGivesTheSameRegex() throws {
        let folder = try ConfigFolder()
        try folder.write("Playbooks/model-accuracy-degradation.yaml", Self.playbook)
        let (r, lines) = folder.load(ConfigLoaderTests.fullEnv)
        #expect(r.errors.isEmpty, "\(lines)")
        let pb = try #require(try r.get().playbooks.first)
        let codes = pb.match.prefix(4).map { $0[0] }
        #expect(codes.map(\.value) == Array(repeating: #"5\d\d"#, count: 4))
        for m in codes {
            #expect(m.holds(for: .text("503")))
            #expect(!m.holds(for: .text("5dd")))
        }
        #expect(pb.match[4][0].value == #"web\.example"#)   // compared literally, backslash kept
    }

    static func overlapWarnings(_ a: String, _ b: String) throws -> [String] {
        let folder = try ConfigFolder()
        for (id, matcher) in [("a-first", a), ("b-second", b)] {
            try folder.write("Playbooks/\(id).yaml", """
            id: \(id)
            title: \(id)
            match:
              - ['\(matcher)']
            """)
        }
        let (r, lines) = folder.load(ConfigLoaderTests.fullEnv)
        #expect(r.errors.isEmpty, "\(lines)")
        return lines.filter { $0.hasPrefix("Playbooks/b-second.yaml") && $0.contains("may match the same alerts") }
    }

    @Test func lintReportsRegexesThatMayMatchTheSameValue() throws {
        let w = try Self.overlapWarnings(#"svc =~ "api.v1""#, #"svc =~ "api-v1|zzz""#)
        #expect(w.count == 1, "\(w)")
        #expect(w.first?.hasPrefix("Playbooks/b-second.yaml:4:5: warning: match group 1 of playbook b-second may match the same alerts as group 1 of a-first") == true, "\(w)")
    }

    @Test func lintStaysSilentForDisjointLiterals() throws {
        #expect(try Self.overlapWarnings(#"svc = "a""#, #"svc = "b""#).isEmpty)
        #expect(try Self.overlapWarnings(#"svc =~ "api-v1|api-v2""#, #"svc =~ "api-v3|zzz""#).isEmpty)
        #expect(try Self.overlapWarnings(#"svc =~ "api\.v1""#, #"svc =~ "api-v1|zzz""#).isEmpty)
    }
}
