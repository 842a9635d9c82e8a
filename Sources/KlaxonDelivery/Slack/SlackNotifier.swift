import Foundation
import KlaxonCore
import KlaxonCurl
import KlaxonEngine
import Logging

/// Sends pages and posts through Slack's Web API (`chat.postMessage`, `chat.update`) with the
/// bot token as Bearer. A person's page goes to their Slack user id (a direct message from the
/// app); `slack:#name` posts to that channel.
public struct SlackNotifier: Notifier {
    let client: CurlClient
    let token: String
    let apiURL: String
    let library: TemplateLibrary
    var templates: TemplateSet { library.current }
    let people: @Sendable (String) -> Person?
    let logger: Logger

    public init(channel: Channel, client: CurlClient, templates: TemplateLibrary, people: @escaping @Sendable (String) -> Person?,
                logger: Logger = Logger(label: "klaxon.slack")) {
        self.client = client
        self.token = channel.token?.value ?? ""
        self.apiURL = channel.apiURL ?? "https://slack.com/api"
        self.library = templates
        self.people = people
        self.logger = logger
    }

    /// The template kind for a message.
    static func templateName(_ kind: MessageKind) -> String {
        switch kind {
        case .page, .post, .pageUpdate: return "page.slack"
        case .exhausted: return "escalation-exhausted.slack"
        case .stakeholder: return "technical-update.slack"
        }
    }

    public func deliver(_ m: OutboundMessage) async -> DeliveryOutcome {
        let target: String
        switch m.message.recipient {
        case .person(let id, _):
            guard let slack = m.person?.slack ?? people(id)?.slack else { return .failed(reason: "\(id) has no Slack user id") }
            target = slack
        case .slackChannel(let name): target = "#\(name)"
        case .channel: return .failed(reason: "a named channel cannot be posted to through Slack")
        }
        let name = m.message.kind == .stakeholder ? templates.stakeholderTemplate(m.message.detail, channelKind: "slack") : Self.templateName(m.message.kind)
        let context = TemplateContext.make(m, people: people)
        guard let rendered = templates.render(name, context) else { return .failed(reason: "no template \(name)") }
        guard var payload = (try? JSONSerialization.jsonObject(with: Data(rendered.utf8))) as? [String: Any] else {
            return .failed(reason: "template \(name) did not render valid JSON")
        }
        let method: String
        if m.message.kind == .pageUpdate, let prev = m.previous {
            method = "chat.update"
            payload["channel"] = prev.channel
            payload["ts"] = prev.id
        } else {
            method = "chat.postMessage"
            payload["channel"] = target
            payload["unfurl_links"] = false
        }
        return await call(method, payload)
    }

    func call(_ method: String, _ payload: [String: Any]) async -> DeliveryOutcome {
        guard let body = try? JSONSerialization.data(withJSONObject: payload) else { return .failed(reason: "cannot encode payload") }
        let request = KlaxonCurl.HTTPRequest(
            method: "POST", url: "\(apiURL)/\(method)",
            headers: [("Content-Type", "application/json; charset=utf-8"), ("Authorization", "Bearer \(token)")],
            body: Array(body), timeout: .seconds(10))
        let response: KlaxonCurl.HTTPResponse
        do { response = try await client.perform(request) } catch {
            return .retry(after: nil, reason: "\(method): \(error)")
        }
        return Self.classify(method: method, response: response)
    }

    /// Slack answers 200 with `ok: false` for most errors; which ones are worth retrying follows
    /// Slack's documentation (rate limits, internal errors) — the rest are permanent.
    static func classify(method: String, response: KlaxonCurl.HTTPResponse) -> DeliveryOutcome {
        let retryAfter = response.header("Retry-After").flatMap(TimeInterval.init)
        if response.status == 429 { return .retry(after: retryAfter ?? 30, reason: "\(method): rate limited") }
        if response.status >= 500 { return .retry(after: retryAfter, reason: "\(method): HTTP \(response.status)") }
        guard let json = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
            return response.status >= 400 ? .failed(reason: "\(method): HTTP \(response.status)") : .retry(after: nil, reason: "\(method): answer is not JSON")
        }
        if json["ok"] as? Bool == true {
            let channel = json["channel"] as? String ?? ""
            let ts = json["ts"] as? String ?? ""
            return .sent(ts.isEmpty ? nil : ExternalRef(channel: channel, id: ts))
        }
        let error = json["error"] as? String ?? "unknown_error"
        switch error {
        case "ratelimited", "rate_limited": return .retry(after: retryAfter ?? 30, reason: "\(method): \(error)")
        case "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org":
            return .retry(after: retryAfter, reason: "\(method): \(error)")
        default: return .failed(reason: "\(method): \(error)")
        }
    }
}
