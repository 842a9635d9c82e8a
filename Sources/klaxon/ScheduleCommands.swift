import ArgumentParser
import Foundation
import KlaxonConfig
import KlaxonCore
import KlaxonHTTP

/// Loads the configuration for a read-only command, or says why not and exits 1.
func loadConfigurationOrExit(_ path: String) throws -> Configuration {
    let result = ConfigLoader().load(configPath: path)
    guard let config = result.configuration, result.errors.isEmpty else {
        for d in result.errors { printError(d.description) }
        printError("klaxon: the configuration has errors; run klaxon lint --config \(path)")
        throw ExitCode(1)
    }
    return config
}

/// Runs `body`, turning a schedule question that cannot be answered into one line on stderr and exit 1.
func answering(_ body: () throws(ScheduleQueryError) -> String) throws {
    do { print(try body(), terminator: "") } catch {
        printError("klaxon: \(error.message)")
        throw ExitCode(1)
    }
}

struct OnCallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "oncall",
        abstract: "Who is on call in each schedule of a team, and until when.",
        discussion: """
            TIME is RFC 3339 (2026-03-29T02:30:00Z, 2026-03-29T04:30:00+02:00); a local time \
            (2026-03-29T04:30) or a bare date (local midnight) is read in the team's zone.
            """)

    @OptionGroup var options: ConfigOption
    @Option(help: "The team (its Rotations/<team>.yaml).") var team: String
    @Option(help: "The instant to ask about (default: now).") var at: String?
    @Flag(help: "Print {\"team\",\"at\",\"schedules\":[{\"id\",\"oncall\",\"until\"}]}.") var json = false

    func run() async throws {
        let config = try loadConfigurationOrExit(options.config)
        try answering { () throws(ScheduleQueryError) -> String in
            let report = try ScheduleQuery.oncall(config: config, team: team, at: at, now: Date())
            return json ? report.json + "\n" : report.text(name: { config.person($0)?.name })
        }
    }
}

struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "The final on-call of a team's schedules over a range: a table, JSON, an ICS calendar or an SVG picture.",
        discussion: """
            D is a date (local midnight in the team's zone) or a TIME (RFC 3339). JSON is \
            [{"schedule","member","start","end"}]: maximal intervals, gaps left out, clipped to [from, to).
            """)

    @OptionGroup var options: ConfigOption
    @Option(help: "The team (its Rotations/<team>.yaml).") var team: String
    @Option(help: "One schedule of the team (default: all of them).") var schedule: String?
    @Option(help: "Start of the range (inclusive).") var from: String
    @Option(help: "End of the range (exclusive).") var to: String
    @Option(help: "table, json, ics or svg.") var format: String = "table"
    @Option(help: "Show times in this IANA zone instead of the team's (table, json, svg).") var tz: String?

    func run() async throws {
        let config = try loadConfigurationOrExit(options.config)
        try answering { () throws(ScheduleQueryError) -> String in
            try ScheduleQuery.schedule(config: config, team: team, schedule: schedule, from: from, to: to,
                                       format: format, tz: tz, now: Date())
        }
    }
}

struct CalendarURLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calendar-url",
        abstract: "The secret calendar URL of a person's on-call shifts (signed with calendar_secret).")

    @OptionGroup var options: ConfigOption
    @Argument(help: "A person id from Rotations/people.yaml.") var person: String

    func run() async throws {
        let config = try loadConfigurationOrExit(options.config)
        do { print(try CalendarToken.url(for: person, in: config)) } catch {
            printError("klaxon: \(error.message)")
            throw ExitCode(1)
        }
    }
}
