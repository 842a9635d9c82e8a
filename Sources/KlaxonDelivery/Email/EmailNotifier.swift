import Foundation
import KlaxonCore
import KlaxonCurl
import KlaxonEngine

/// Sends pages and briefings as email over SMTP (libcurl). Templates render `Subject: …`, a
/// blank line, then the body.
public struct EmailNotifier: Notifier {
    let client: CurlClient
    let channel: Channel
    let library: TemplateLibrary
    var templates: TemplateSet { library.current }
    let people: @Sendable (String) -> Person?

    public init(channel: Channel, client: CurlClient, templates: TemplateLibrary, people: @escaping @Sendable (String) -> Person?) {
        self.client = client; self.channel = channel; self.library = templates; self.people = people
    }

    public func deliver(_ m: OutboundMessage) async -> DeliveryOutcome {
        var to: [String] = []
        switch m.message.recipient {
        case .person(let id, _):
            guard let email = m.person?.email ?? people(id)?.email else { return .failed(reason: "\(id) has no email address") }
            to = [email]
        case .channel, .slackChannel:
            to = channel.to
        }
        guard !to.isEmpty else { return .failed(reason: "no recipients for channel \(channel.name)") }
        let name: String
        switch m.message.kind {
        case .page, .post, .pageUpdate: name = "page.email"
        case .exhausted: name = "escalation-exhausted.email"
        case .stakeholder: name = templates.stakeholderTemplate(m.message.detail, channelKind: "email")
        }
        if m.message.kind == .pageUpdate { return .sent(nil) }
        guard let rendered = templates.render(name, TemplateContext.make(m, people: people)) else { return .failed(reason: "no template \(name)") }
        let (subject, body) = Self.split(rendered, fallback: "[\(m.incident.severity)] \(m.incident.id) \(m.incident.title)")
        let from = channel.from ?? "klaxon@localhost"
        let message = Self.compose(from: from, to: to, subject: subject, body: body, date: m.now, id: "\(m.incident.id).\(m.message.id ?? 0)")
        do {
            try await client.send(MailMessage(url: channel.url?.value ?? "", from: from, to: to,
                                              username: channel.username?.value, password: channel.password?.value, data: Array(message.utf8)))
            return .sent(nil)
        } catch let e as CurlError {
            return e.isConnectFailure || e.isTimeout ? .retry(after: nil, reason: e.description) : .failed(reason: e.description)
        } catch {
            return .retry(after: nil, reason: "\(error)")
        }
    }

    static func split(_ rendered: String, fallback: String) -> (String, String) {
        if rendered.hasPrefix("Subject:"), let nl = rendered.firstIndex(of: "\n") {
            let subject = rendered[rendered.index(rendered.startIndex, offsetBy: 8)..<nl].trimmingCharacters(in: .whitespaces)
            var body = String(rendered[rendered.index(after: nl)...])
            while body.hasPrefix("\n") { body.removeFirst() }
            return (subject, body)
        }
        return (fallback, rendered)
    }

    /// An RFC 5322 message; the subject is RFC 2047-encoded when it is not ASCII.
    static func compose(from: String, to: [String], subject: String, body: String, date: Date, id: String) -> String {
        let fmt = DateFormatter()
        fmt.locale = Locale(identifier: "en_US_POSIX")
        fmt.timeZone = TimeZone(identifier: "UTC")
        fmt.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let clean = subject.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        let encodedSubject = clean.allSatisfy(\.isASCII) ? clean : "=?UTF-8?B?\(Data(clean.utf8).base64EncodedString())?="
        let domain = from.split(separator: "@").last.map(String.init) ?? "klaxon"
        return [
            "From: \(from)", "To: \(to.joined(separator: ", "))", "Subject: \(encodedSubject)",
            "Date: \(fmt.string(from: date))", "Message-ID: <\(id).\(Int(date.timeIntervalSince1970))@\(domain)>",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit",
            "X-Klaxon-Incident: \(id)", "", body,
        ].joined(separator: "\r\n")
    }
}
