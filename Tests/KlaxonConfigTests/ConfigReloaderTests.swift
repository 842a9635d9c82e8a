import Foundation
import Testing
import KlaxonCore
@testable import KlaxonConfig

/// The reload decision, without a server and without waiting: `reload()` is called directly.
struct ConfigReloaderTests {
    /// What the reloader applied and logged.
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var _applied: [Configuration] = []
        private var _log: [String] = []
        var applied: [Configuration] { lock.withLock { _applied } }
        var log: [String] { lock.withLock { _log } }
        func apply(_ c: Configuration) { lock.withLock { _applied.append(c) } }
        func write(_ level: ConfigReloader.LogLevel, _ m: String) { lock.withLock { _log.append("\(level): \(m)") } }
    }

    static let now = ISO.date("2026-03-02T00:00:00Z")

    static func reloader(_ folder: ConfigFolder, _ sink: Sink,
                         validate: @escaping @Sendable (Configuration) -> [Diagnostic] = { _ in [] }) -> ConfigReloader {
        ConfigReloader(configPath: folder.configPath, loader: ConfigLoader(environment: ConfigLoaderTests.fullEnv), now: { now },
                       validate: validate, apply: { sink.apply($0) }, log: { sink.write($0, $1) })
    }

    static func members(_ c: Configuration?) -> [String] {
        c?.team("ml-platform")?.schedule("primary")?.layers.first?.members ?? []
    }

    @Test func aBrokenEditKeepsTheOldConfigurationAndAFixedOneApplies() throws {
        let folder = try ConfigFolder()
        let sink = Sink()
        let reloader = Self.reloader(folder, sink)
        let team = try String(contentsOfFile: folder.dir + "/Rotations/ml-platform.yaml", encoding: .utf8)

        // A broken edit: an unknown person. Nothing is applied; the error is logged with its place.
        try folder.write("Rotations/ml-platform.yaml", team.replacingOccurrences(of: "[alice, bob, carol]", with: "[alice, bob, dave]"))
        let refused = reloader.reload(reason: "test")
        guard case .refused(let errors) = refused else { Issue.record("applied: \(refused)"); return }
        #expect(errors.map(\.description).contains { $0.hasSuffix("Rotations/ml-platform.yaml:8:31: unknown person \"dave\" in layer weekly; people are listed in Rotations/people.yaml") }, "\(errors)")
        #expect(sink.applied.isEmpty)
        #expect(sink.log.contains { $0.hasPrefix("error: ") && $0.contains("ml-platform.yaml:8:31: unknown person \"dave\"") }, "\(sink.log)")
        #expect(sink.log.last == "error: configuration not reloaded (test): 1 error(s); the configuration in use is kept")

        // The fix applies, with the new rotation.
        try folder.write("Rotations/ml-platform.yaml", team.replacingOccurrences(of: "[alice, bob, carol]", with: "[carol, alice]"))
        guard case .applied = reloader.reload(reason: "test") else { Issue.record("refused: \(sink.log)"); return }
        #expect(sink.applied.count == 1)
        #expect(Self.members(sink.applied.last) == ["carol", "alice"])
        #expect(sink.log.last?.hasPrefix("info: configuration reloaded (test): 3 people, 1 team(s), 1 playbook(s)") == true, "\(sink.log)")
    }

    @Test func aScheduleErrorFoundOnlyByTheScheduleLintAlsoRefuses() throws {
        let folder = try ConfigFolder()
        let sink = Sink()
        try folder.write("Rotations/ml-platform.yaml", try String(contentsOfFile: ConfigFolder.fixtures + "/bad/team.bad-replaces-not-in-schedule.yaml", encoding: .utf8))
        guard case .refused(let errors) = Self.reloader(folder, sink).reload() else { Issue.record("applied"); return }
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("replaces bob, who is not a member of any layer of this schedule") == true)
        #expect(sink.applied.isEmpty)
    }

    @Test func warningsDoNotStopAReload() throws {
        let folder = try ConfigFolder()
        let sink = Sink()
        try folder.write("Rotations/ml-platform.yaml", try String(contentsOfFile: ConfigFolder.fixtures + "/warn/team.warn-gap.yaml", encoding: .utf8))
        guard case .applied(let warnings) = Self.reloader(folder, sink).reload() else { Issue.record("refused: \(sink.log)"); return }
        #expect(warnings.filter { $0.message.contains("has nobody on call") }.count == 4)
        #expect(sink.applied.count == 1)
    }

    @Test func anExtraCheckCanRefuse() throws {
        let folder = try ConfigFolder()
        let sink = Sink()
        let reloader = Self.reloader(folder, sink) { c in
            [Diagnostic(file: c.directory + "/Templates/page.slack.mustache", line: 1, column: 1, level: .error, message: "unclosed section")]
        }
        guard case .refused(let errors) = reloader.reload() else { Issue.record("applied"); return }
        #expect(errors.map(\.message) == ["unclosed section"])
        #expect(sink.applied.isEmpty)
    }

    @Test func aMissingConfigFileIsRefused() throws {
        let folder = try ConfigFolder()
        let sink = Sink()
        try FileManager.default.removeItem(atPath: folder.configPath)
        guard case .refused(let errors) = Self.reloader(folder, sink).reload() else { Issue.record("applied"); return }
        #expect(errors.first?.message.hasPrefix("cannot read") == true, "\(errors)")
    }

    @Test func theWatcherSeesEditsNewFilesAndRemovals() throws {
        let folder = try ConfigFolder()
        try FileManager.default.createDirectory(atPath: folder.dir + "/Templates", withIntermediateDirectories: true)
        let watcher = ConfigWatcher(configPath: folder.configPath)
        #expect(!watcher.changed())

        // An edit (the size changes; the time is set too, as a same-size edit within a second would).
        let path = folder.dir + "/Rotations/ml-platform.yaml"
        try (try String(contentsOfFile: path, encoding: .utf8) + "# edited\n").write(toFile: path, atomically: false, encoding: .utf8)
        #expect(watcher.changed())
        #expect(!watcher.changed())
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: path)
        #expect(watcher.changed())

        // klaxon.yaml, a new template, a removed playbook; files outside the folders are not watched.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 2_000_000)], ofItemAtPath: folder.configPath)
        #expect(watcher.changed())
        try folder.write("Templates/page.slack.mustache", "{}")
        #expect(watcher.changed())
        try FileManager.default.removeItem(atPath: folder.dir + "/Playbooks/model-accuracy-degradation.yaml")
        #expect(watcher.changed())
        try folder.write("notes.txt", "not configuration")
        try folder.write("Rotations/.ml-platform.yaml.swp", "editor state")
        #expect(!watcher.changed())
    }
}
