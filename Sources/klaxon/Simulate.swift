import ArgumentParser
import Foundation
import KlaxonCore
import KlaxonEngine
import KlaxonHTTP
import KlaxonStore

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Runs the whole engine on a virtual clock over a JSON-lines file of events and prints what it would do.",
        discussion: """
            Input lines: {"at": TIME, "alert": {generic alert}, "integration"?: NAME}, {"at": TIME, "ack": {"incident": "INC-1", "by": "alice"}},
            {"at": TIME, "resolve": {"incident": "INC-1", "by": "alice", "note"?: "..."}}, {"at": TIME, "escalate": {"incident": "INC-1", "by": "alice"}}.
            Output lines: {"at", "event", "incident", "severity", "step"?, "to"?, "channel"?}. Nothing is sent; the store is thrown away.
            """)

    @OptionGroup var options: ConfigOption
    @Option(help: "The JSON-lines file of events.") var events: String
    @Option(help: "Start of the virtual clock (default: the first event).") var from: String?
    @Option(help: "Run timers until this time (default: a week after the last event).") var to: String?

    func run() async throws {
        let config = try loadConfigurationOrExit(options.config)
        guard let data = FileManager.default.contents(atPath: events) else {
            printError("klaxon: cannot read \(events)")
            throw ExitCode(1)
        }
        let parsed: [(at: Date, event: Simulator.Event)]
        do { parsed = try SimulationInput.parse(String(decoding: data, as: UTF8.self), config: config) } catch {
            let e = error as? SimulationInput.Failure
            printError("\(events):\(e?.line ?? 1): \(e?.message ?? "\(error)")")
            throw ExitCode(1)
        }
        func time(_ s: String?, _ name: String) throws -> Date? {
            guard let s else { return nil }
            guard let d = SimulationInput.time(s) else {
                printError("klaxon: --\(name) must be an RFC 3339 time such as 2026-03-29T02:30:00Z")
                throw ExitCode(1)
            }
            return d
        }
        let start = try time(from, "from") ?? parsed.map(\.at).min() ?? Date()
        let simulator = try Simulator(config: config, start: start) { dir in try SQLiteStore(path: dir + "/simulate.db") }
        let lines = try await simulator.run(parsed, until: try time(to, "to"))
        for line in lines { print(line.json) }
        for problem in simulator.problems { printError("warning: \(problem)") }
    }
}

/// Reads `simulate`'s input lines.
enum SimulationInput {
    struct Failure: Error { var line: Int; var message: String }

    static func time(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)
    }

    static func parse(_ text: String, config: Configuration) throws -> [(at: Date, event: Simulator.Event)] {
        var out: [(Date, Simulator.Event)] = []
        let defaultIntegration = config.settings.integrations.first { $0.kind == .generic } ?? config.settings.integrations.first
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let n = i + 1
            guard let o = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
                throw Failure(line: n, message: "not a JSON object")
            }
            guard let atText = o["at"] as? String, let at = time(atText) else { throw Failure(line: n, message: "\"at\" must be an RFC 3339 time") }
            func incidentRef(_ key: String) throws -> (Int, String, String?) {
                guard let body = o[key] as? [String: Any] else { throw Failure(line: n, message: "\"\(key)\" must be an object") }
                guard let idText = body["incident"] as? String, let number = IncidentRecord.number(from: idText) else {
                    throw Failure(line: n, message: "\(key).incident must be an incident id such as INC-1")
                }
                guard let by = body["by"] as? String, config.person(by) != nil else {
                    throw Failure(line: n, message: "\(key).by must name a person in Rotations/people.yaml")
                }
                return (number, by, body["note"] as? String)
            }
            if let alert = o["alert"] {
                guard let body = alert as? [String: Any] else { throw Failure(line: n, message: "\"alert\" must be an object") }
                var integration = defaultIntegration
                if let name = o["integration"] as? String {
                    guard let found = config.settings.integration(named: name) else { throw Failure(line: n, message: "unknown integration \"\(name)\"") }
                    integration = found
                }
                guard let integration else { throw Failure(line: n, message: "klaxon.yaml has no integration to send alerts through") }
                let batch: AlertBatch
                do { batch = try AnyAlertPayload.generic(body) } catch { throw Failure(line: n, message: error.description) }
                out.append((at, .alert(integration, batch)))
            } else if o["ack"] != nil {
                let (number, by, _) = try incidentRef("ack")
                out.append((at, .acknowledge(incident: number, by: by)))
            } else if o["resolve"] != nil {
                let (number, by, note) = try incidentRef("resolve")
                out.append((at, .resolve(incident: number, by: by, note: note)))
            } else if o["escalate"] != nil {
                let (number, by, _) = try incidentRef("escalate")
                out.append((at, .escalate(incident: number, by: by)))
            } else {
                throw Failure(line: n, message: "a line needs one of \"alert\", \"ack\", \"resolve\" or \"escalate\"")
            }
        }
        return out
    }
}
