import Foundation
import Testing
import KlaxonCore
@testable import KlaxonConfig

/// A `kind: pagerduty` integration's token is the events' `routing_key`, which PagerDuty's rules
/// (and Klaxon's) refuse unless it is 32 characters: any other length is an error at the token.
struct PagerDutyTokenTests {
    static let key32 = "R0UTINGKEY0000000000000000000000"

    /// The base folder plus a pagerduty integration whose token is written as `token`; the
    /// token's value starts at line 14, column 12.
    func folder(token: String) throws -> ConfigFolder {
        let folder = try ConfigFolder()
        var text = try String(contentsOfFile: folder.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "    team: ml-platform\nchannels:", with: """
                team: ml-platform
              - name: pd
                kind: pagerduty
                token: \(token)
                team: ml-platform
            channels:
            """)
        try folder.write("klaxon.yaml", text)
        return folder
    }

    @Test func aLiteralKeyOf32CharactersLoads() throws {
        let (r, lines) = try folder(token: Self.key32).load(ConfigLoaderTests.fullEnv)
        #expect(r.errors.isEmpty, "\(lines)")
        #expect(try r.get().settings.integrations.last?.token.value == Self.key32)
    }

    @Test(arguments: ["R0UTINGKEY", "R0UTINGKEY00000000000000000000000", "\"\""])
    func aLiteralKeyOfAnotherLengthIsAnErrorAtTheToken(_ token: String) throws {
        let (r, lines) = try folder(token: token).load(ConfigLoaderTests.fullEnv)
        #expect(r.configuration == nil)
        let count = token == "\"\"" ? 0 : token.count
        #expect(lines.contains("klaxon.yaml:14:12: integrations.pd.token is \(count) characters; PagerDuty routing keys are 32 characters"), "\(lines)")
    }

    @Test func aReferenceIsCheckedOnItsValueWithoutPrintingIt() throws {
        var env = ConfigLoaderTests.fullEnv
        env["PD_ROUTING_KEY"] = "u+abcdefghijklmnopq"
        let (r, lines) = try folder(token: "${env:PD_ROUTING_KEY}").load(env)
        #expect(r.configuration == nil)
        #expect(lines.contains("klaxon.yaml:14:12: integrations.pd.token (${env:PD_ROUTING_KEY}) is 19 characters; PagerDuty routing keys are 32 characters"), "\(lines)")
        #expect(!lines.joined().contains("u+abcdefghijklmnopq"))
    }

    @Test func aFileSecretIsCheckedOnItsValue() throws {
        let f = try folder(token: "${file:pd.key}")
        try "short\n".write(toFile: f.dir + "/pd.key", atomically: true, encoding: .utf8)
        var (r, lines) = f.load(ConfigLoaderTests.fullEnv)
        #expect(r.configuration == nil)
        #expect(lines.contains("klaxon.yaml:14:12: integrations.pd.token (${file:pd.key}) is 5 characters; PagerDuty routing keys are 32 characters"), "\(lines)")
        // One trailing newline is not part of the key.
        try (Self.key32 + "\n").write(toFile: f.dir + "/pd.key", atomically: true, encoding: .utf8)
        (r, lines) = f.load(ConfigLoaderTests.fullEnv)
        #expect(r.errors.isEmpty, "\(lines)")
    }

    @Test func aReferenceOf32CharactersLoadsAndAnUnsetOneIsOnlyAWarning() throws {
        let f = try folder(token: "${env:PD_ROUTING_KEY}")
        var env = ConfigLoaderTests.fullEnv
        env["PD_ROUTING_KEY"] = Self.key32
        var (r, lines) = f.load(env)
        #expect(r.errors.isEmpty, "\(lines)")
        #expect(try r.get().settings.integrations.last?.token.value == Self.key32)
        (r, lines) = f.load(ConfigLoaderTests.fullEnv)
        #expect(r.errors.isEmpty, "\(lines)")
        #expect(lines.contains { $0.contains("PD_ROUTING_KEY is not set") }, "\(lines)")
    }

    @Test func otherKindsKeepTokensOfAnyLength() throws {
        var env = ConfigLoaderTests.fullEnv
        env["KLAXON_PROMETHEUS_TOKEN"] = "short"
        let (r, lines) = try folder(token: Self.key32).load(env)
        #expect(r.errors.isEmpty, "\(lines)")
    }
}
