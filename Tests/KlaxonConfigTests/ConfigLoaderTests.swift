import Foundation
import Testing
import KlaxonCore
import KlaxonTestSupport
@testable import KlaxonConfig

/// Copies a fixture folder to a fresh temporary directory.
final class ConfigFolder {
    let dir = NSTemporaryDirectory() + "klaxon-config-" + UUID().uuidString
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    init(copying source: String = ConfigFolder.fixtures + "/base") throws {
        try FileManager.default.copyItem(atPath: source, toPath: dir)
    }
    deinit { try? FileManager.default.removeItem(atPath: dir) }

    var configPath: String { dir + "/klaxon.yaml" }

    func write(_ relative: String, _ text: String) throws {
        try text.write(toFile: dir + "/" + relative, atomically: true, encoding: .utf8)
    }

    func load(_ env: [String: String] = [:]) -> (LoadResult, [String]) {
        let r = ConfigLoader(environment: env).load(configPath: configPath)
        return (r, r.diagnostics.map { $0.description.replacingOccurrences(of: dir + "/", with: "") })
    }
}

struct ConfigLoaderTests {
    static let fullEnv = ["KLAXON_API_TOKEN": "api", "KLAXON_PROMETHEUS_TOKEN": "am-test-token", "SLACK_BOT_TOKEN": "xoxb-1",
                          "SLACK_SIGNING_SECRET": "sign", "KLAXON_CALENDAR_SECRET": "cal", "SMTP_USER": "u", "SMTP_PASSWORD": "p"]

    @Test func theShippedExamplePassesLintWithNoSecretSet() throws {
        let r = ConfigLoader(environment: [:]).load(configPath: repositoryRoot.path + "/klaxon.yaml")
        #expect(r.errors.isEmpty, "\(r.errors)")
        let c = try r.get()
        #expect(c.people.count >= 3)
        #expect(Set(c.people.map { $0.timeZone.identifier }).count >= 3)
        #expect(c.team("ml-platform")?.policies.first?.steps.count == 2)
        // Unset secrets are warnings, and the channels that need them are skipped.
        #expect(r.warnings.contains { $0.message.contains("SLACK_BOT_TOKEN is not set") })
        #expect(c.settings.channel(named: "slack")?.missingSecrets.isEmpty == false)
    }

    @Test func theShippedExampleResolvesSecretsFromTheEnvironment() throws {
        let r = ConfigLoader(environment: Self.fullEnv).load(configPath: repositoryRoot.path + "/klaxon.yaml")
        let c = try r.get()
        #expect(c.settings.integrations.first?.token.value == "am-test-token")
        #expect(c.settings.channel(named: "slack")?.missingSecrets == [])
        #expect(r.warnings.filter { $0.message.contains("not set") }.isEmpty, "\(r.warnings)")
    }

    @Test func baseFixtureLoads() throws {
        let folder = try ConfigFolder()
        let (r, lines) = folder.load(Self.fullEnv)
        #expect(r.errors.isEmpty, "\(lines)")
        let c = try r.get()
        #expect(c.settings.timeZone.identifier == "Europe/Berlin")
        #expect(c.settings.server.port == 0)
        #expect(c.playbooks.map(\.id) == ["model-accuracy-degradation"])
        #expect(c.playbooks.first?.severityRules.first?.level == .p0)
        #expect(c.settings.stakeholders[.customer]?.when.first?.name == "customer_facing")
        let step2 = c.team("ml-platform")!.policies[0].steps[1]
        #expect(step2.targets == [.person("carol"), .channel(.slackChannel("ml-incidents"))])
        #expect(step2.escalateAfter == 900)
        #expect(c.person("bob")?.timeZone.identifier == "America/New_York")
    }

    @Test func fileSecretsDropOneTrailingNewlineAndLiteralsWarn() throws {
        let folder = try ConfigFolder()
        try "s3cret\n".write(toFile: folder.dir + "/token.txt", atomically: true, encoding: .utf8)
        var text = try String(contentsOfFile: folder.configPath, encoding: .utf8)
        text = text.replacingOccurrences(of: "${env:KLAXON_PROMETHEUS_TOKEN}", with: "${file:token.txt}")
        text = text.replacingOccurrences(of: "${env:SLACK_BOT_TOKEN}", with: "xoxb-literal")
        try folder.write("klaxon.yaml", text)
        let (r, lines) = folder.load(Self.fullEnv)
        let c = try r.get()
        #expect(c.settings.integrations[0].token.value == "s3cret")
        #expect(c.settings.channel(named: "slack")?.token?.value == "xoxb-literal")
        #expect(lines.contains("klaxon.yaml:15:12: warning: channels.slack.token is written literally; keep secrets out of the file with ${env:NAME} or ${file:/path}"))
    }

    static let badFixtures: [String] = {
        (try? FileManager.default.contentsOfDirectory(atPath: ConfigFolder.fixtures + "/bad"))?.filter { $0.contains(".bad-") }.sorted() ?? []
    }()

    @Test func thereAreBadFixtures() { #expect(Self.badFixtures.count >= 15) }

    /// Each `<file>.bad-<reason>.yaml` replaces one file of the base folder; its first line says
    /// `# expect: file:line:column: message` and lint must report exactly that place.
    @Test(arguments: badFixtures)
    func badFixtureReportsItsExactPlace(_ name: String) throws {
        let folder = try ConfigFolder()
        let text = try String(contentsOfFile: ConfigFolder.fixtures + "/bad/" + name, encoding: .utf8)
        let first = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        #expect(first.hasPrefix("# expect: "))
        let expected = String(first.dropFirst("# expect: ".count))
        let target: String
        switch name.split(separator: ".").first! {
        case "klaxon": target = "klaxon.yaml"
        case "people": target = "Rotations/people.yaml"
        case "team": target = "Rotations/ml-platform.yaml"
        case "playbook": target = "Playbooks/model-accuracy-degradation.yaml"
        default: Issue.record("unknown fixture target in \(name)"); return
        }
        try folder.write(target, text)
        let (r, lines) = folder.load(Self.fullEnv)
        #expect(r.configuration == nil, "\(name) loaded")
        #expect(!r.errors.isEmpty)
        #expect(lines.contains { $0.hasPrefix(expected) }, "\(name): expected \(expected)\n got:\n\(lines.joined(separator: "\n"))")
    }
}
