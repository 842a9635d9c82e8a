import Foundation
import Testing
import KlaxonCore
import KlaxonEngine
import KlaxonTestSupport
@testable import KlaxonDelivery

struct TemplateTests {
    @Test func theShippedTemplatesAreCopiesOfTheDefaults() throws {
        for (name, text) in DefaultTemplates.all {
            let file = try String(contentsOfFile: "\(repositoryRoot.path)/Templates/\(name).mustache", encoding: .utf8)
            #expect(file == text, "Templates/\(name).mustache differs from the built-in default")
        }
    }

    func renderPage(_ m: OutboundMessage) throws -> [String: Any] {
        let set = try TemplateSet(directory: nil)
        let text = try #require(set.render("page.slack", TemplateContext.make(m)))
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    @Test func thePageIsBlockKitWithTheButtonsAndEscapedAlertText() throws {
        let page = try renderPage(samplePage())
        let text = try #require(page["text"] as? String)
        #expect(text.hasPrefix("[P0] INC-1 "))
        #expect(text.contains("&lt;!channel&gt; &amp; more"))
        #expect(!text.contains("<!channel>"))
        let blocks = try #require(page["blocks"] as? [[String: Any]])
        let json = String(decoding: try JSONSerialization.data(withJSONObject: page, options: [.withoutEscapingSlashes]), as: UTF8.self)
        #expect(!json.contains("<!channel>"))
        let actions = try #require(blocks.first { $0["type"] as? String == "actions" })
        let buttons = try #require(actions["elements"] as? [[String: Any]])
        #expect(buttons.map { $0["action_id"] as? String } == ["incident.ack", "incident.resolve", "incident.escalate"])
        #expect(buttons.allSatisfy { $0["value"] as? String == "INC-1" })
        #expect(actions["block_id"] as? String == "incident-actions")
        #expect(json.contains("ml-platform"))
        #expect(json.contains("Alice Ng, bob"))
        #expect(json.contains("https://dash.example/models/fraud-detector"))  // the first triage steps, filled in
        #expect(!json.contains("Fourth"))
        #expect(json.contains("a=1&amp;b=2"))
    }

    @Test func anAcknowledgedPageHasNoButtonsAndSaysWho() throws {
        let page = try renderPage(samplePage(status: .acknowledged))
        let blocks = try #require(page["blocks"] as? [[String: Any]])
        #expect(!blocks.contains { $0["type"] as? String == "actions" })
        let json = String(decoding: try JSONSerialization.data(withJSONObject: page, options: [.withoutEscapingSlashes]), as: UTF8.self)
        #expect(json.contains("Acknowledged by alice"))
    }

    @Test func aFileInTemplatesReplacesTheDefault() throws {
        let dir = NSTemporaryDirectory() + "klaxon-templates-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try #"{"text": "custom {{incident.id}} {{incident.title}}"}"#.write(toFile: dir + "/page.slack.mustache", atomically: true, encoding: .utf8)
        let set = try TemplateSet(directory: dir)
        #expect(set.sources["page.slack"] == dir + "/page.slack.mustache")
        #expect(set.sources["page.email"] == "built-in")
        let text = try #require(set.render("page.slack", TemplateContext.make(samplePage(summary: "a \"quoted\" <b>"))))
        #expect(text == #"{"text": "custom INC-1 a \"quoted\" &lt;b&gt;"}"#)
    }

    @Test func aBrokenTemplateNamesItsFile() throws {
        let dir = NSTemporaryDirectory() + "klaxon-templates-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{{#incident}} never closed".write(toFile: dir + "/page.slack.mustache", atomically: true, encoding: .utf8)
        #expect(throws: TemplateSet.LoadError.self) { try TemplateSet(directory: dir) }
    }

    @Test func emailIsPlainTextWithASubject() throws {
        let set = try TemplateSet(directory: nil)
        let text = try #require(set.render("page.email", TemplateContext.make(samplePage())))
        let (subject, body) = EmailNotifier.split(text, fallback: "x")
        #expect(subject == "[P0] INC-1 fraud-detector accuracy dropped 62% <!channel> & more")
        #expect(body.contains("Severity: P0 (critical)"))
        let message = EmailNotifier.compose(from: "k@example.com", to: ["a@example.com"], subject: "Ünïcode", body: body, date: Date(timeIntervalSince1970: 0), id: "INC-1.1")
        #expect(message.contains("Subject: =?UTF-8?B?"))
        #expect(message.contains("\r\n\r\n"))
    }
}

struct TemplateLibraryTests {
    @Test func aReloadedSetIsUsedByTheNextMessage() throws {
        let dir = NSTemporaryDirectory() + "klaxon-library-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let library = TemplateLibrary(try TemplateSet(directory: dir))
        #expect(library.current.sources["page.slack"] == "built-in")
        try #"{"text": "v2 {{incident.id}}"}"#.write(toFile: dir + "/page.slack.mustache", atomically: true, encoding: .utf8)
        library.replace(with: try TemplateSet(directory: dir))
        #expect(library.current.render("page.slack", TemplateContext.make(samplePage())) == #"{"text": "v2 INC-1"}"#)
    }
}

struct BriefingTemplateTests {
    @Test func anExecutiveBriefingShowsTheUpdateAndTheResolutionGoal() throws {
        var m = samplePage(kind: .stakeholder)
        m.message.detail = StakeholderDetail(audience: .executive, event: "updated", template: "executive-briefing", text: "Rolled back to v42").encoded
        m.targetMTTR = 1800
        m.paged = []
        let set = try TemplateSet(directory: nil)
        let email = try #require(set.render(set.stakeholderTemplate(m.message.detail, channelKind: "email"), TemplateContext.make(m)))
        #expect(email.hasPrefix("Subject: [P0] INC-1 executive briefing: "))
        #expect(email.contains("Goal:     resolved within 30m"))
        #expect(email.contains("Rolled back to v42"))
        let slack = try #require(set.render(set.stakeholderTemplate(m.message.detail, channelKind: "slack"), TemplateContext.make(m)))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(slack.utf8)) as? [String: Any])
        #expect((json["text"] as? String)?.contains("executive briefing") == true)
        #expect(slack.contains("*Resolution goal*\\n30m"))
        // A playbook's own template name falls back to the audience's default when no such file exists.
        #expect(set.stakeholderTemplate(StakeholderDetail(audience: .customer, event: "opened", template: "customer-notice-fraud").encoded, channelKind: "slack") == "customer-notice.slack")
    }
}
