import Foundation
import Testing
import KlaxonCore
import KlaxonTestSupport
@testable import KlaxonConfig

/// `klaxon lint` on schedules: gaps in the next 28 days, overlapping overrides, a `replaces` naming
/// someone outside the schedule (an error: see Fixtures/bad/team.bad-replaces-not-in-schedule.yaml)
/// and layers that restrictions leave always empty, each at its exact place.
struct ConfigScheduleLintTests {
    /// The lint looks 28 days ahead of this Monday (Berlin's clocks spring forward on 2026-03-29).
    static let now = ISO.date("2026-03-02T00:00:00Z")

    static let warnFixtures: [String] = {
        (try? FileManager.default.contentsOfDirectory(atPath: ConfigFolder.fixtures + "/warn"))?.filter { $0.hasPrefix("team.warn-") }.sorted() ?? []
    }()

    @Test func thereAreWarningFixtures() { #expect(Self.warnFixtures.count >= 4) }

    /// Each `team.warn-<reason>.yaml` replaces Rotations/ml-platform.yaml of the base folder; its first
    /// lines say `# expect: file:line:column: warning: message` (one or more) and `# expect-count: N`
    /// (how many diagnostics the team file gets). The folder still loads: warnings are not errors.
    @Test(arguments: warnFixtures)
    func warningFixtureReportsItsExactPlace(_ name: String) throws {
        let folder = try ConfigFolder()
        let text = try String(contentsOfFile: ConfigFolder.fixtures + "/warn/" + name, encoding: .utf8)
        let header = text.split(separator: "\n").prefix { $0.hasPrefix("#") }
        let expected = header.filter { $0.hasPrefix("# expect: ") }.map { String($0.dropFirst("# expect: ".count)) }
        let count = header.first { $0.hasPrefix("# expect-count: ") }.flatMap { Int($0.dropFirst("# expect-count: ".count)) }
        #expect(!expected.isEmpty)
        try folder.write("Rotations/ml-platform.yaml", text)
        let r = ConfigLoader(environment: ConfigLoaderTests.fullEnv).load(configPath: folder.configPath, now: Self.now)
        let lines = r.diagnostics.map { $0.description.replacingOccurrences(of: folder.dir + "/", with: "") }
        #expect(r.errors.isEmpty, "\(lines)")
        #expect(r.configuration != nil)
        for e in expected {
            #expect(lines.contains { $0.hasPrefix(e) }, "\(name): expected \(e)\n got:\n\(lines.joined(separator: "\n"))")
        }
        if let count {
            #expect(lines.filter { $0.hasPrefix("Rotations/ml-platform.yaml:") }.count == count, "\(lines.joined(separator: "\n"))")
        }
    }

    @Test func aGapBeforeARotationStartsIsReportedInTheTeamsZone() throws {
        let folder = try ConfigFolder()
        try folder.write("Rotations/ml-platform.yaml", """
            team: ml-platform
            time_zone: America/New_York
            schedules:
              - id: primary
                layers:
                  - rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-05}
                    members: [alice, bob]
                overrides:
                  - {member: carol, from: 2026-03-01T00:00, to: 2026-03-05T00:00}
              - id: later
                layers:
                  - rotation: {every: 1d, handoff: "09:00", start: 2026-03-20}
                    members: [carol]
            escalation_policies:
              - id: default
                steps:
                  - notify: [schedule:primary]

            """)
        let r = ConfigLoader(environment: ConfigLoaderTests.fullEnv).load(configPath: folder.configPath, now: Self.now)
        let lines = r.diagnostics.map { $0.description.replacingOccurrences(of: folder.dir + "/", with: "") }
        #expect(r.errors.isEmpty, "\(lines)")
        // Nobody before the rotation starts (local times in the team's zone, New York).
        #expect(lines.contains("Rotations/ml-platform.yaml:10:5: warning: schedule later has nobody on call from Sun 2026-03-01 19:00 -05:00 to Fri 2026-03-20 09:00 -04:00, 18d 13h (America/New_York)"), "\(lines.joined(separator: "\n"))")
        // The primary schedule has no gap.
        #expect(!lines.contains { $0.contains("schedule primary has nobody") })
    }

    @Test func theShippedExampleAndTheBaseFixtureHaveNoScheduleFindings() throws {
        for path in [repositoryRoot.path + "/klaxon.yaml", ConfigFolder.fixtures + "/base/klaxon.yaml"] {
            let r = ConfigLoader(environment: ConfigLoaderTests.fullEnv).load(configPath: path, now: Self.now)
            #expect(r.errors.isEmpty, "\(r.errors)")
            #expect(!r.diagnostics.contains { $0.message.contains("schedule") }, "\(r.diagnostics)")
        }
    }

    @Test func aLayerThatCannotBeReadIsNotLinted() throws {
        let folder = try ConfigFolder()
        try folder.write("Rotations/ml-platform.yaml", """
            team: ml-platform
            schedules:
              - id: primary
                layers:
                  - rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-05}
                    members: [alice]
                    restrict: ["Mon 09:00-Tue 25:00"]
            escalation_policies:
              - id: default
                steps:
                  - notify: [schedule:primary]

            """)
        let r = ConfigLoader(environment: ConfigLoaderTests.fullEnv).load(configPath: folder.configPath, now: Self.now)
        #expect(r.errors.count == 1, "\(r.diagnostics)")
        #expect(!r.diagnostics.contains { $0.message.contains("nobody on call") }, "\(r.diagnostics)")
    }
}
