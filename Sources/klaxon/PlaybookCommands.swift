import ArgumentParser
import Foundation
import KlaxonConfig
import KlaxonCore
import KlaxonHTTP

struct PlaybookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "playbook", abstract: "Playbooks as responders read them.",
                                                    subcommands: [Show.self, List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lists the playbooks in match order.")
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let c = try loadConfigurationOrExit(options.config)
            for p in c.playbooks.sorted(by: { $0.file < $1.file }) {
                print("\(p.id.padding(toLength: 30, withPad: " ", startingAt: 0)) \(p.category.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) \(p.title)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Shows one playbook as a responder reads it.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The playbook id.") var id: String
        func run() async throws {
            let c = try loadConfigurationOrExit(options.config)
            guard let p = c.playbook(id) else {
                printError("klaxon: no playbook \"\(id)\"; known: \(c.playbooks.map(\.id).sorted().joined(separator: ", "))")
                throw ExitCode(1)
            }
            print(PlaybookText.render(p))
        }
    }
}

/// A playbook as plain text for a terminal, in the order a responder needs it.
enum PlaybookText {
    static func render(_ p: Playbook) -> String {
        var out: [String] = []
        out.append("\(p.title)  [\(p.id)]")
        out.append(String(repeating: "=", count: min(78, p.title.count + p.id.count + 4)))
        if !p.description.isEmpty { out.append(p.description) }
        out.append("Category: \(p.category.rawValue)   Team: \(p.team ?? "(the integration's)")   Policy: \(p.escalationPolicy ?? "default")")
        if !p.engage.isEmpty { out.append("Engage: \(p.engage.joined(separator: ", "))") }
        func section(_ title: String, _ lines: [String]) {
            guard !lines.isEmpty else { return }
            out.append("")
            out.append(title)
            out.append(contentsOf: lines)
        }
        section("Detection", p.detection.map { "  - \($0)" } + p.match.enumerated().map { "  match \($0.offset + 1): " + $0.element.map(\.description).joined(separator: " AND ") })
        var sev = p.severityRules.map { "  \($0.level): " + $0.when.map(\.description).joined(separator: " AND ") }
        if let d = p.defaultSeverity { sev.append("  otherwise \(d)") }
        section("Severity (first rule that holds)", sev)
        section("Triage", p.triage.enumerated().map { "  \($0.offset + 1). \($0.element)" })
        section("Diagnose", p.diagnose.enumerated().flatMap { i, d in ["  \(i + 1). \(d.step)"] + (d.command.map { ["       $ \($0)"] } ?? []) })
        section("Decision tree", p.decisionTree.map { "  IF \($0.condition)\n     THEN \($0.then)" })
        section("Remediation", p.remediation.enumerated().map { "  \($0.offset + 1). \($0.element)" })
        section("Rollback to known good", p.knownGood.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" })
        section("Communications", p.communications.sorted { $0.key.rawValue < $1.key.rawValue }.map { "  \($0.key.rawValue): \($0.value)" })
        if let r = p.review {
            section("Post-incident review", ["  required for \(r.requiredFor.sorted { $0 > $1 }.map(\.rawValue).joined(separator: ", "))" + (r.dueWithin.map { ", due within \(DurationText.format($0))" } ?? "")])
        }
        return out.joined(separator: "\n")
    }
}

struct Classify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Which playbook and severity an alert would get, and why.")
    @OptionGroup var options: ConfigOption
    @Option(help: "A JSON file: an Alertmanager, Grafana, PagerDuty or generic payload (or a captured request around one).")
    var alert: String
    @Option(help: "The integration whose team is the default owner (default: the first of the payload's kind).")
    var integration: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let c = try loadConfigurationOrExit(options.config)
        guard let data = FileManager.default.contents(atPath: alert) else {
            printError("klaxon: cannot read \(alert)")
            throw ExitCode(1)
        }
        let parsed: (format: String, alerts: [Alert])
        do { parsed = try AnyAlertPayload.alerts(from: data) } catch {
            printError("klaxon: \(alert): \(error.description)")
            throw ExitCode(1)
        }
        let kind = IntegrationKind(rawValue: parsed.format) ?? .generic
        let team = (integration.flatMap { c.settings.integration(named: $0) } ?? c.settings.integrations.first { $0.kind == kind } ?? c.settings.integrations.first)?.team ?? "(none)"
        let classifier = Classifier(playbooks: c.playbooks, defaults: c.settings.severityDefaults)
        var results: [[String: Any]] = []
        for a in parsed.alerts {
            let r = classifier.classify(a, integrationTeam: team)
            let urgency = c.settings.urgency.urgency(for: r.severity)
            if json {
                results.append(["alert": a.summary, "playbook": r.playbook ?? NSNull(), "severity": r.severity.rawValue, "category": r.category.rawValue,
                                "team": r.team, "urgency": urgency.rawValue, "reasons": r.reasons])
            } else {
                print("\(a.summary)")
                print("  playbook: \(r.playbook ?? "none")   severity: \(r.severity)   category: \(r.category.rawValue)   team: \(r.team)   urgency: \(urgency.rawValue)")
                for reason in r.reasons { print("  - \(reason)") }
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: ["format": parsed.format, "alerts": results], options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
