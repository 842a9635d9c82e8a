import Foundation
import Hummingbird
import KlaxonCore
import KlaxonEngine
import Logging

/// Slash commands (`/incident …`, `/oncall`) and interactive buttons from Slack.
struct SlackRoutes {
    let engine: IncidentService
    var respond: (@Sendable (_ url: String, _ body: [UInt8]) async throws -> Void)? = nil
    var logger = Logger(label: "klaxon.http")

    var runtime: Runtime { engine.runtime }

    /// Verifies the signature and returns the raw body.
    func verifiedBody(_ request: inout Request) async throws -> [UInt8] {
        let body = try await request.limitedBody()
        let secret = runtime.snapshot.config.settings.slackSigningSecret?.value
        do {
            try SlackSignature(secret: secret).verify(
                timestamp: request.headers[.init("X-Slack-Request-Timestamp")!],
                signature: request.headers[.init("X-Slack-Signature")!],
                body: body, now: engine.clock.now)
        } catch {
            throw APIError.unauthorized(error.description)
        }
        return body
    }

    static func message(_ text: String, inChannel: Bool = false) throws -> Response {
        try .json(["response_type": inChannel ? "in_channel" : "ephemeral", "text": text])
    }

    func command(_ request: Request) async throws -> Response {
        var request = request
        let body = try await verifiedBody(&request)
        let form = parseForm(String(decoding: body, as: UTF8.self))
        let user = form["user_id"] ?? ""
        let command = form["command"] ?? "/incident"
        let text = (form["text"] ?? "").trimmingCharacters(in: .whitespaces)
        let config = runtime.snapshot.config
        let person = config.person(slackUser: user)
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let verb = command == "/oncall" ? "oncall" : (words.first?.lowercased() ?? "help")
        let args = command == "/oncall" ? words : Array(words.dropFirst())

        let readOnly: Set<String> = ["help", "status", "playbook", "oncall"]
        if !readOnly.contains(verb), person == nil {
            return try Self.message("Klaxon does not know Slack user \(e(user)): only people listed in Rotations/people.yaml can \(e(verb)) incidents. Ask your on-call manager to add your Slack id.")
        }
        do {
            switch verb {
            case "ack", "acknowledge":
                let who = person!
                let numbers: [Int]
                if let id = args.first {
                    guard let n = IncidentRecord.number(from: id) else { return try Self.message("\(e(id)) is not an incident id; use INC-7.") }
                    numbers = [n]
                } else {
                    numbers = try await engine.incidentsPaging(person: who.id).map(\.number)
                    if numbers.isEmpty { return try Self.message("Nothing is paging you right now.") }
                }
                var done: [String] = []
                for n in numbers {
                    let inc = try await engine.acknowledge(n, by: who.id)
                    done.append("\(inc.id) (\(e(inc.title)))")
                }
                return try Self.message("Acknowledged by \(e(who.name)): \(done.joined(separator: ", ")). Escalation stopped.", inChannel: true)
            case "resolve":
                guard let id = args.first, let n = IncidentRecord.number(from: id) else { return try Self.message("Usage: /incident resolve INC-7 [note]") }
                let note = args.count > 1 ? args.dropFirst().joined(separator: " ") : nil
                let inc = try await engine.resolve(n, by: person!.id, note: note)
                return try Self.message("\(inc.id) resolved by \(e(person!.name))" + (note.map { ": \(e($0))" } ?? "."), inChannel: true)
            case "escalate":
                guard let id = args.first, let n = IncidentRecord.number(from: id) else { return try Self.message("Usage: /incident escalate INC-7") }
                let inc = try await engine.escalate(n, by: person!.id)
                return try Self.message("\(inc.id) escalated by \(e(person!.name)): the next step is being paged now.", inChannel: true)
            case "status":
                if let id = args.first {
                    guard let n = IncidentRecord.number(from: id) else { return try Self.message("\(e(id)) is not an incident id; use INC-7.") }
                    let d = try await engine.detail(n)
                    return try Self.message(Self.statusLine(d.incident))
                }
                let open = try await engine.incidents(openOnly: true, limit: 20)
                if open.isEmpty { return try Self.message("No open incidents.") }
                return try Self.message(open.map(Self.statusLine).joined(separator: "\n"))
            case "severity":
                guard args.count >= 2, let n = IncidentRecord.number(from: args[0]), let sev = Severity(text: args[1]) else {
                    return try Self.message("Usage: /incident severity INC-7 P1")
                }
                let inc = try await engine.setSeverity(n, to: sev, by: person!.id)
                return try Self.message("\(inc.id) is now \(inc.severity), set by \(e(person!.name)).", inChannel: true)
            case "update":
                guard args.count >= 2, let n = IncidentRecord.number(from: args[0]) else {
                    return try Self.message("Usage: /incident update INC-7 &lt;what changed&gt;")
                }
                let text = args.dropFirst().joined(separator: " ")
                let inc = try await engine.postUpdate(n, by: person!.id, text: text)
                return try Self.message("Update on \(inc.id) sent to its stakeholders: \(e(text))", inChannel: true)
            case "assign":
                guard args.count >= 2, let n = IncidentRecord.number(from: args[0]) else {
                    return try Self.message("Usage: /incident assign INC-7 @user")
                }
                guard let assignee = Self.person(mentioned: args[1], in: config) else {
                    return try Self.message("\(e(args[1])) is not in Rotations/people.yaml.")
                }
                let inc = try await engine.assign(n, to: assignee.id, by: person!.id)
                return try Self.message("\(inc.id) is now owned by \(e(assignee.name)).", inChannel: true)
            case "playbook":
                guard let id = args.first, let n = IncidentRecord.number(from: id) else { return try Self.message("Usage: /incident playbook INC-7") }
                let d = try await engine.detail(n)
                guard let name = d.incident.playbook, let pb = config.playbook(name) else {
                    return try Self.message("\(d.incident.id) matched no playbook.")
                }
                return try Self.message(Self.playbookText(pb, labels: d.alerts.first?.alert.labels ?? [:]))
            case "oncall":
                // The same answer as `klaxon oncall` and GET /v1/oncall.
                var text = ""
                for t in args.first.map({ [$0] }) ?? config.teams.map(\.id) {
                    do {
                        text += try ScheduleQuery.oncall(config: config, team: t, at: nil, now: engine.clock.now).text { config.person($0)?.name }
                    } catch {
                        return try Self.message(e(error.message))
                    }
                }
                return try Self.message(text.isEmpty ? "No teams are configured." : "```\n\(e(text))```")
            case "help":
                return try Self.message(Self.help)
            default:
                return try Self.message("Unknown command \"\(e(verb))\".\n" + Self.help)
            }
        } catch let e as EngineError {
            return try Self.message(e.message)
        }
    }

    /// Sends `text` (Slack-escaped already) to the clicker as an ephemeral message, in the
    /// background, when `url` is a response URL Slack gave (or one on the host of a configured
    /// Slack `api_url`, for proxies and tests): never anywhere a request names.
    func tell(_ text: String, at url: String?) {
        guard let respond, let url, Self.isResponseURL(url, config: runtime.snapshot.config) else { return }
        let logger = self.logger
        guard let body = try? JSONSerialization.data(withJSONObject: ["response_type": "ephemeral", "replace_original": false, "text": text]) else { return }
        Task {
            do { try await respond(url, Array(body)) } catch {
                logger.warning("could not answer a Slack button through its response_url: \(error)")
            }
        }
    }

    /// Slack's response URLs are on https://hooks.slack.com; a configured Slack `api_url` adds its
    /// own scheme, host and port.
    static func isResponseURL(_ text: String, config: Configuration) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(),
              url.user == nil, url.password == nil else { return false }
        if scheme == "https", host == "hooks.slack.com", url.port == nil || url.port == 443 { return true }
        return config.settings.channels.contains { channel in
            guard channel.kind == .slack, let api = channel.apiURL.flatMap(URL.init(string:)) else { return false }
            return api.scheme?.lowercased() == scheme && api.host?.lowercased() == host && api.port == url.port
        }
    }

    static func statusLine(_ i: IncidentRecord) -> String {
        "[\(i.severity)] \(i.id) \(i.status.rawValue): \(e(i.title)) (team \(e(i.team)))"
    }

    /// Slack text: its own angle brackets are written as entities.
    static let help = """
        /incident ack [INC-7] — acknowledge (no id: everything paging you)
        /incident resolve INC-7 [note] — resolve
        /incident escalate INC-7 — page the next step now
        /incident severity INC-7 P1 — set the severity (urgency and briefings follow)
        /incident assign INC-7 @user — name the owner
        /incident update INC-7 &lt;text&gt; — send a status update to the stakeholders
        /incident status [INC-7] — open incidents, or one
        /incident playbook INC-7 — the playbook's first steps
        /oncall [team] — who is on call now
        /incident help — this list
        """

    /// A person named by a Slack mention (`<@U0BOB0002|bob>`, `<@U0BOB0002>`), `@id` or `id`.
    static func person(mentioned text: String, in config: Configuration) -> Person? {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("<@"), t.hasSuffix(">") {
            t = String(t.dropFirst(2).dropLast())
            let slackId = String(t.split(separator: "|").first ?? "")
            return config.person(slackUser: slackId)
        }
        if t.hasPrefix("@") { t.removeFirst() }
        return config.person(t) ?? config.people.first { $0.name.lowercased() == t.lowercased() }
    }

    static func playbookText(_ p: Playbook, labels: [String: String]) -> String {
        func fill(_ s: String) -> String {
            Playbook.fill(s, labels: labels, escape: SlackText.escape)
        }
        var lines = ["*\(p.title)* (\(p.id))"]
        if !p.triage.isEmpty { lines.append("*Triage*"); lines += p.triage.enumerated().map { "\($0.offset + 1). \(fill($0.element))" } }
        if !p.decisionTree.isEmpty { lines.append("*Decide*"); lines += p.decisionTree.map { "• If \($0.condition): \(fill($0.then))" } }
        if !p.knownGood.isEmpty { lines.append("*Known good*: " + p.knownGood.sorted { $0.key < $1.key }.map { "\($0.key) \(fill($0.value))" }.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }

    func interaction(_ request: Request) async throws -> Response {
        var request = request
        let body = try await verifiedBody(&request)
        let form = parseForm(String(decoding: body, as: UTF8.self))
        guard let payloadText = form["payload"] else { throw APIError.badRequest("Form field payload is required.") }
        let payload = try parseJSONObject(Array(payloadText.utf8))
        let f = Fields(payload, path: "payload")
        guard try f.string("type") == "block_actions" else { return try .json(["ok": true]) }
        guard let user = try f.object("user", required: true), let userId = try user.string("id", required: true) else {
            throw APIError.badRequest("Field payload.user.id is required.")
        }
        guard let actions = try f.array("actions", required: true), case .object(let first)? = actions.first else {
            throw APIError.badRequest("Field payload.actions must hold an action.")
        }
        let action = Fields(first, path: "payload.actions[0]")
        let actionId = try action.string("action_id", required: true) ?? ""
        let value = try action.string("value") ?? ""
        // Slack ignores the body of the answer to a button: anything the clicker must hear goes
        // to the payload's response_url as an ephemeral message.
        let responseURL = try? f.string("response_url")
        guard let person = runtime.snapshot.config.person(slackUser: userId) else {
            let text = "Klaxon does not know Slack user \(e(userId)): only people listed in Rotations/people.yaml can act on incidents."
            tell(text, at: responseURL)
            return try Self.message(text)
        }
        guard let n = IncidentRecord.number(from: value) else { throw APIError.badRequest("Field payload.actions[0].value must be an incident id.") }
        do {
            switch actionId {
            case "incident.ack": _ = try await engine.acknowledge(n, by: person.id)
            case "incident.resolve": _ = try await engine.resolve(n, by: person.id)
            case "incident.escalate": _ = try await engine.escalate(n, by: person.id)
            default: throw APIError.badRequest("Unknown action \(actionId).")
            }
        } catch let error as EngineError {
            tell(e(error.message), at: responseURL)
            return try Self.message(e(error.message))
        }
        return try .json(["ok": true])
    }
}

/// Text from alerts and people in a reply: Slack-escaped, so it can mention nobody.
private func e(_ s: String) -> String { SlackText.escape(s) }
