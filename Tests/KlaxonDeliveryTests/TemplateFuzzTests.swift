import Foundation
import Testing
import KlaxonCore
import KlaxonEngine
import KlaxonTestSupport
@testable import KlaxonDelivery

/// Every built-in template rendered for incidents whose title, alert summaries, labels, link
/// texts, triage steps and timeline carry hostile text: quotes, backslashes, control and line
/// separator characters, Slack mentions and links (also behind combining marks and joiners),
/// template syntax, header lines, long and right-to-left text. Slack messages stay valid JSON
/// in which every `<` is one of the template's own links; mail keeps exactly its own headers.
struct TemplateFuzzTests {
    static let pieces = ["\"", "\\", "\n", "\r\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "\u{2028}\u{2029}", "<!channel>", "<@U0EVIL01>",
                         "<https://evil.test|click>", "<\u{338}!here>", "<\u{200D}!channel>", "<\u{301}@U0EVIL02>", "&lt;!everyone&gt;",
                         "{{incident.id}}", "}}{{#x}}", "🔥", "\u{202E}txet", String(repeating: "long ", count: 1000),
                         "\r\nBcc: victim@x.test", "\nSubject: forged", "'", "`code`", "*bold* _it_ ~s~", "a>b", "é\u{301}", ""]

    static func hostile(_ r: inout SplitMix64) -> String {
        (0..<(1 + r.below(4))).map { _ in pieces[r.below(pieces.count)] }.joined(separator: r.chance(50) ? " " : "")
    }

    static func message(_ r: inout SplitMix64, kind: MessageKind, status: IncidentStatus) -> OutboundMessage {
        var m = samplePage(status: status, summary: hostile(&r), kind: kind)
        m.incident.title = hostile(&r)
        m.alerts = (0..<(1 + r.below(3))).map { i in
            Alert(fingerprint: "f\(i)", status: r.chance(70) ? .firing : .resolved,
                  labels: ["alertname": hostile(&r), "model": hostile(&r)], annotations: ["description": hostile(&r)],
                  summary: hostile(&r), links: [AlertLink(href: "https://runbooks.example/\(i)?a=1&b=2", text: hostile(&r))])
        }
        m.playbook?.triage = (0..<3).map { _ in hostile(&r) }
        m.timeline = (0..<3).map { i in
            TimelineEntry(incident: 1, at: m.now.addingTimeInterval(Double(-i * 60)), kind: "incident.updated", actor: "alice", message: hostile(&r))
        }
        return m
    }

    /// Every string in a JSON value.
    static func strings(_ v: Any) -> [String] {
        switch v {
        case let s as String: [s]
        case let a as [Any]: a.flatMap(strings)
        case let o as [String: Any]: o.keys.map { $0 } + o.values.flatMap(strings)
        default: []
        }
    }

    @Test func hostileTextCannotBreakAnyTemplate() throws {
        let set = try TemplateSet(directory: nil)
        var r = SplitMix64(seed: 0x54_454D_504C)
        for round in 0..<40 {
            let kind: MessageKind = [.page, .post, .stakeholder][round % 3]
            let status: IncidentStatus = [.triggered, .acknowledged, .resolved][round % 3 == 0 ? 0 : r.below(3)]
            let m = Self.message(&r, kind: kind, status: status)
            let context = TemplateContext.make(m)
            for name in DefaultTemplates.all.keys.sorted() {
                let text = try #require(set.render(name, context), "\(name) did not render")
                if name.hasSuffix(".slack") {
                    let value = try? JSONSerialization.jsonObject(with: Data(text.utf8))
                    #expect(value is [String: Any], "round \(round), \(name): not a JSON object:\n\(text.prefix(600))")
                    for s in Self.strings(value ?? [:]) {
                        let scalars = Array(s.unicodeScalars)
                        for (i, u) in scalars.enumerated() where u == "<" {
                            let rest = String(String.UnicodeScalarView(scalars[(i + 1)...].prefix(8)))
                            #expect(rest.hasPrefix("https://") || rest.hasPrefix("http://"),
                                    "round \(round), \(name): a < that is not the template's link: \(String(String.UnicodeScalarView(scalars[max(0, i - 20)..<min(scalars.count, i + 30)])).debugDescription)")
                        }
                    }
                } else if name.hasSuffix(".email") {
                    #expect(text.hasPrefix("Subject:"), "round \(round), \(name)")
                    let (subject, body) = EmailNotifier.split(text, fallback: "fallback")
                    let mail = EmailNotifier.compose(from: "k@example.com", to: ["a@example.com"], subject: subject, body: body, date: m.now, id: "INC-1.1")
                    let head = mail.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n").map { $0.prefix { $0 != ":" } }
                    #expect(head == ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "X-Klaxon-Incident"],
                            "round \(round), \(name): headers \(head)")
                } else {
                    #expect(!text.isEmpty)
                }
            }
        }
    }
}
