import ArgumentParser
import Foundation
import KlaxonCore
import KlaxonCurl
import KlaxonDelivery
import KlaxonEngine

/// A sample incident for previews and test messages, or one read from a file in the shape of
/// `GET /v1/incidents/INC-7`.
enum SampleIncident {
    static func message(kind: MessageKind, config: Configuration, channel: Channel, file: String?, test: Bool, recipient: Recipient, detail: String?) throws -> OutboundMessage {
        let now = Date()
        var incident = IncidentRecord(number: 7, key: "sample", integration: "prometheus",
                                      title: test ? "[TEST] Klaxon test message: no action needed" : "fraud-detector accuracy dropped 62% vs baseline",
                                      severity: test ? .p4 : .p0, category: .modelPerformance, team: config.teams.first?.id ?? "ml-platform",
                                      policy: "default", playbook: config.playbooks.first { $0.id == "model-accuracy-degradation" }?.id, openedAt: now.addingTimeInterval(-600))
        var alerts = [Alert(fingerprint: "sample", status: .firing, labels: ["alertname": "ModelAccuracyDrop", "model": "fraud-detector", "env": "prod"],
                            annotations: ["accuracy_drop": "0.62"], summary: incident.title,
                            links: [AlertLink(href: "https://runbooks.example/model-accuracy", text: "runbook")])]
        if let file {
            guard let data = FileManager.default.contents(atPath: file),
                  let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw ValidationError("\(file) is not a JSON incident (the shape of GET /v1/incidents/INC-7)")
            }
            if let id = o["id"] as? String, let n = IncidentRecord.number(from: id) { incident.number = n }
            if let t = o["title"] as? String { incident.title = t }
            if let s = (o["severity"] as? String).flatMap(Severity.init(text:)) { incident.severity = s }
            if let c = (o["category"] as? String).flatMap(IncidentCategory.init(rawValue:)) { incident.category = c }
            if let s = (o["status"] as? String).flatMap(IncidentStatus.init(rawValue:)) { incident.status = s }
            if let t = o["team"] as? String { incident.team = t }
            if let p = o["playbook"] as? String { incident.playbook = p }
            incident.acknowledgedBy = o["acknowledged_by"] as? String
            if let list = o["alerts"] as? [[String: Any]] {
                alerts = list.map { a in
                    Alert(fingerprint: a["fingerprint"] as? String ?? "a", status: (a["status"] as? String) == "resolved" ? .resolved : .firing,
                          labels: a["labels"] as? [String: String] ?? [:], annotations: a["annotations"] as? [String: String] ?? [:],
                          summary: a["summary"] as? String ?? "",
                          links: (a["links"] as? [[String: String]] ?? []).compactMap { l in l["href"].map { AlertLink(href: $0, text: l["text"] ?? $0) } })
                }
            }
        }
        var m = OutboxMessage(incident: incident.number, channel: channel.name, kind: kind, recipient: recipient, step: 0,
                              detail: detail ?? "", createdAt: now)
        m.id = 0
        var person: Person? = nil
        if case .person(let id, _) = recipient { person = config.person(id) }
        return OutboundMessage(message: m, channel: channel, incident: incident, alerts: alerts,
                               timeline: [TimelineEntry(incident: incident.number, at: incident.openedAt, kind: "incident.opened", message: "Opened")],
                               playbook: incident.playbook.flatMap { config.playbook($0) }, person: person,
                               paged: config.people.prefix(2).map(\.id), previous: nil, publicURL: config.settings.server.publicURL,
                               now: now, readerZone: person?.timeZone ?? config.settings.timeZone)
    }
}

struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "template", abstract: "Message templates.", subcommands: [Render.self])

    struct Render: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Previews a message: a template rendered for a sample incident (or --incident FILE).")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The message kind: page, executive-briefing, customer-notice, technical-update, escalation-exhausted, post-incident-review.")
        var kind: String
        @Option(help: "slack, email or md.") var channelKind: String = "slack"
        @Option(help: "A JSON incident in the shape of GET /v1/incidents/INC-7.") var incident: String?

        func run() async throws {
            let config = try loadConfigurationOrExit(options.config)
            let set = try TemplateSet(directory: (config.directory as NSString).appendingPathComponent("Templates"))
            let name = "\(kind).\(channelKind)"
            guard set.names.contains(name) else {
                printError("klaxon: no template \(name); there are: \(set.names.joined(separator: ", "))")
                throw ExitCode(1)
            }
            let audience: Audience? = ["executive-briefing": .executive, "customer-notice": .customer, "technical-update": .technical][kind]
            let detail = audience.map { StakeholderDetail(audience: $0, event: "opened", template: kind, text: "Rolled back to v42; watching accuracy.").encoded }
            let msg = try SampleIncident.message(kind: audience == nil ? .page : .stakeholder, config: config,
                                                 channel: Channel(name: "preview", kind: ChannelKind(rawValue: channelKind) ?? .slack),
                                                 file: incident, test: false, recipient: .person(id: config.people.first?.id ?? "alice", method: .slack), detail: detail)
            let text = set.render(name, TemplateContext.make(msg, people: { config.person($0) })) ?? ""
            if channelKind == "slack" {
                guard let o = try? JSONSerialization.jsonObject(with: Data(text.utf8)),
                      let pretty = try? JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .withoutEscapingSlashes]) else {
                    printError("klaxon: \(name) did not render valid JSON:\n\(text)")
                    throw ExitCode(1)
                }
                print(String(decoding: pretty, as: UTF8.self))
            } else {
                print(text)
            }
        }
    }
}

struct SendTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send-test", abstract: "Sends a clearly marked test message through a channel and reports the answer.")
    @OptionGroup var options: ConfigOption
    @Option(help: "The channel's name in klaxon.yaml.") var channel: String
    @Option(help: "A person id, or #slack-channel (for Slack channels; default: the first person with a Slack id).") var to: String?

    func run() async throws {
        let config = try loadConfigurationOrExit(options.config)
        guard let ch = config.settings.channel(named: channel) else {
            printError("klaxon: no channel \"\(channel)\"; there are: \(config.settings.channels.map(\.name).joined(separator: ", "))")
            throw ExitCode(1)
        }
        guard ch.missingSecrets.isEmpty else {
            printError("klaxon: channel \(channel) is missing \(ch.missingSecrets.joined(separator: ", "))")
            throw ExitCode(1)
        }
        let templates = TemplateLibrary(try TemplateSet(directory: (config.directory as NSString).appendingPathComponent("Templates")))
        let curl = CurlClient()
        defer { curl.shutdown() }
        let people: @Sendable (String) -> Person? = { id in config.person(id) }
        let recipient: Recipient
        if let to, to.hasPrefix("#") { recipient = .slackChannel(String(to.dropFirst())) }
        else if let id = to ?? config.people.first(where: { ch.kind == .email ? $0.email != nil : $0.slack != nil })?.id {
            recipient = .person(id: id, method: ch.kind == .email ? .email : .slack)
        } else {
            printError("klaxon: say who gets the test message with --to")
            throw ExitCode(1)
        }
        let notifier: any Notifier
        switch ch.kind {
        case .slack: notifier = SlackNotifier(channel: ch, client: curl, templates: templates, people: people)
        case .email: notifier = EmailNotifier(channel: ch, client: curl, templates: templates, people: people)
        default:
            printError("klaxon: channel kind \(ch.kind.rawValue) cannot send yet")
            throw ExitCode(1)
        }
        let msg = try SampleIncident.message(kind: .page, config: config, channel: ch, file: nil, test: true, recipient: recipient, detail: nil)
        switch await notifier.deliver(msg) {
        case .sent(let ref):
            print("sent to \(recipient) through \(channel)" + (ref.map { " (channel \($0.channel), message \($0.id))" } ?? ""))
        case .retry(_, let reason), .failed(let reason):
            printError("klaxon: \(channel) refused the test message: \(reason)")
            throw ExitCode(1)
        }
    }
}
