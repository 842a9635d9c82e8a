import ArgumentParser
import Foundation
import KlaxonCore
import KlaxonEngine
import KlaxonStore

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "MTTD, MTTA, MTTR and escalation rate per severity and team, against the targets of klaxon.yaml.",
        discussion: """
            Counts the incidents opened in [--from, --to). Each is a date (midnight in each \
            incident's team zone) or an RFC 3339 time. Reads the store of klaxon.yaml; a running \
            `klaxon serve` may keep writing to it meanwhile.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, html }

    @OptionGroup var options: ConfigOption
    @Option(help: "Start of the range (inclusive).") var from: String
    @Option(help: "End of the range (exclusive).") var to: String
    @Option(help: "table, json or html.") var format: Format = .table

    func run() async throws {
        let config = try loadConfigurationOrExit(options.config)
        // Each incident's range is read in its team's zone; check the texts once up front.
        let fallback = config.settings.timeZone
        func range(in zone: TimeZone) throws -> (Date, Date) {
            do {
                let f = try ScheduleQuery.time(from, "--from", zone: zone), t = try ScheduleQuery.time(to, "--to", zone: zone)
                return (f, t)
            } catch {
                printError("klaxon: \(error.message)")
                throw ExitCode(1)
            }
        }
        let (f, t) = try range(in: fallback)
        guard t > f else {
            printError("klaxon: --to (\(to)) must come after --from (\(from))")
            throw ExitCode(1)
        }
        guard case .sqlite(let path) = config.settings.storage else {
            printError("klaxon: the PostgreSQL store is not available in this build yet")
            throw ExitCode(1)
        }
        let full = path.hasPrefix("/") ? path : (config.directory as NSString).appendingPathComponent(path)
        guard FileManager.default.fileExists(atPath: full) else {
            printError("klaxon: no store at \(full): klaxon serve has not run with this configuration yet")
            throw ExitCode(1)
        }
        var teamRanges: [String: (Date, Date)] = [:]
        for team in config.teams { teamRanges[team.id] = try range(in: team.timeZone) }
        let ranges = teamRanges
        let store = try SQLiteStore(path: full)
        let details = try await store.read { tx in
            try tx.incidents(statuses: nil, limit: Int.max).compactMap { i -> IncidentDetail? in
                let (start, end) = ranges[i.team] ?? (f, t)
                guard i.openedAt >= start, i.openedAt < end else { return nil }
                return IncidentDetail(incident: i, alerts: try tx.alerts(of: i.number), timeline: try tx.timeline(of: i.number))
            }
        }
        let report = IncidentReport.make(details: details, targets: config.settings.targets, from: from, to: to)
        switch format {
        case .table: print(report.table, terminator: "")
        case .json: print(report.json, terminator: "")
        case .html: print(report.html, terminator: "")
        }
    }
}
