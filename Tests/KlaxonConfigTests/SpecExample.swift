import Foundation
@testable import KlaxonConfig

/// The SPEC 3.2 example (Rotations/ml-platform.yaml with layers, restrictions and overrides) on top
/// of the base fixture, with dana and erin added to people.yaml.
enum SpecExample {
    static let people = """
        people:
          - {id: alice, name: Alice Ng, time_zone: Europe/Berlin, slack: U0ALICE01}
          - {id: bob, name: Bob Okafor, time_zone: America/New_York, slack: U0BOB0002}
          - {id: carol, name: Carol Tanaka, time_zone: Asia/Tokyo, slack: U0CAROL03}
          - {id: dana, name: Dana Li, time_zone: Europe/Berlin, slack: U0DANA004}
          - {id: erin, name: Erin Roy, time_zone: Europe/Berlin, slack: U0ERIN005}

        """

    static let team = """
        team: ml-platform
        time_zone: Europe/Berlin
        schedules:
          - id: primary
            layers:
              - name: weekly
                time_zone: Europe/Berlin
                rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-05}
                members: [alice, bob, carol]
              - name: weekend-cover
                rotation: {every: 1d, handoff: "09:00", start: 2026-01-03}
                members: [dana, erin]
                restrict: ["Sat 00:00-Mon 00:00"]
            overrides:
              - {member: bob, from: 2026-12-24T18:00, to: 2026-12-27T09:00}
              - {member: carol, from: 2026-04-01T09:00+02:00, to: 2026-04-02T09:00+02:00, replaces: alice}
          - id: secondary
            layers:
              - rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-12}
                members: [bob, carol, alice]
        escalation_policies:
          - id: default
            steps:
              - notify: [schedule:primary]
                escalate_after: 5m
              - notify: [schedule:secondary, slack:#ml-incidents]

        """

    /// A copy of the base fixture holding the example.
    static func folder() throws -> ConfigFolder {
        let f = try ConfigFolder()
        try f.write("Rotations/people.yaml", people)
        try f.write("Rotations/ml-platform.yaml", team)
        return f
    }
}
