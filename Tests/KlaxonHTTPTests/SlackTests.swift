import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonCore
import KlaxonEngine
import Testing
@testable import KlaxonHTTP

struct SlackTests {
    func send(_ client: some TestClientProtocol, _ f: Fixture, body: [UInt8]? = nil, headers: HTTPFields? = nil) async throws -> TestResponse {
        try await client.execute(uri: f.path, method: .post, headers: headers ?? f.httpHeaders, body: ByteBuffer(bytes: body ?? f.body))
    }

    @Test func theSDKsSignaturesVerify() throws {
        for name in ["slash-ack-valid", "slash-resolve-valid", "interaction-ack-button-valid"] {
            let f = try Fixture("slack/\(name).json")
            #expect(f.signingSecret == slackSecret)
            try SlackSignature(secret: f.signingSecret).verify(timestamp: f.headers["X-Slack-Request-Timestamp"], signature: f.headers["X-Slack-Signature"], body: f.body, now: f.verifyAt!)
        }
        let forged = try Fixture("slack/slash-forged-body.json")
        #expect(throws: SlackSignature.Failure.mismatch) {
            try SlackSignature(secret: slackSecret).verify(timestamp: forged.headers["X-Slack-Request-Timestamp"], signature: forged.headers["X-Slack-Signature"], body: forged.body, now: forged.verifyAt!)
        }
        let replayed = try Fixture("slack/slash-replayed.json")
        #expect(throws: SlackSignature.Failure.stale) {
            try SlackSignature(secret: slackSecret).verify(timestamp: replayed.headers["X-Slack-Request-Timestamp"], signature: replayed.headers["X-Slack-Signature"], body: replayed.body, now: replayed.verifyAt!)
        }
    }

    @Test func slashAckAcknowledgesAndStopsTheEscalation() async throws {
        let f = try Fixture("slack/slash-ack-valid.json")
        let h = try HTTPHarness(now: f.verifyAt!)
        try await h.openIncidents(upTo: 7)
        try await h.app().test(.router) { client in
            let r = try await send(client, f)
            #expect(r.status == .ok)
            let o = json(r.body)
            #expect(o["response_type"] as? String == "in_channel")
            #expect((o["text"] as? String)?.contains("INC-7") == true)
        }
        let inc = try await h.engine.detail(7)
        #expect(inc.incident.status == .acknowledged)
        #expect(inc.incident.acknowledgedBy == "alice")
        let pending = try await h.store.read { tx in try tx.timers(of: 7).filter { $0.state == .pending } }
        #expect(pending.isEmpty)
    }

    @Test func slashResolveWithANote() async throws {
        let f = try Fixture("slack/slash-resolve-valid.json")
        let h = try HTTPHarness(now: f.verifyAt!)
        try await h.openIncidents(upTo: 7)
        try await h.app().test(.router) { client in
            let r = try await send(client, f)
            #expect(r.status == .ok)
        }
        let d = try await h.engine.detail(7)
        #expect(d.incident.status == .resolved)
        #expect(d.timeline.last?.message == "Resolved by alice: rolled back to fraud-detector v42")
    }

    @Test func theAcknowledgeButtonAcknowledges() async throws {
        let f = try Fixture("slack/interaction-ack-button-valid.json")
        let h = try HTTPHarness(now: f.verifyAt!)
        try await h.openIncidents(upTo: 7)
        try await h.app().test(.router) { client in
            let r = try await send(client, f)
            #expect(r.status == .ok)
        }
        let inc = try await h.engine.detail(7).incident
        #expect(inc.status == .acknowledged)
        #expect(inc.acknowledgedBy == "bob")
    }

    @Test(arguments: ["slash-forged-body", "slash-replayed"])
    func forgedAndReplayedRequestsAreRefusedAndChangeNothing(_ name: String) async throws {
        let f = try Fixture("slack/\(name).json")
        let h = try HTTPHarness(now: f.verifyAt!)
        try await h.openIncidents(upTo: 7)
        let before = try await h.counts()
        try await h.app().test(.router) { client in
            expectError(try await send(client, f), .unauthorized)
        }
        #expect(try await h.counts() == before)
    }

    @Test func unsignedOrBadlySignedRequestsAreRefused() async throws {
        let f = try Fixture("slack/slash-ack-valid.json")
        let h = try HTTPHarness(now: f.verifyAt!)
        try await h.openIncidents(upTo: 7)
        let before = try await h.counts()
        try await h.app().test(.router) { client in
            expectError(try await send(client, f, headers: [.contentType: "application/x-www-form-urlencoded"]), .unauthorized)
            var h2 = f.httpHeaders
            h2[HTTPField.Name("X-Slack-Request-Timestamp")!] = "not-a-time"
            expectError(try await send(client, f, headers: h2), .unauthorized)
            var h3 = f.httpHeaders
            h3[HTTPField.Name("X-Slack-Signature")!] = "v0=" + String(repeating: "0", count: 64)
            expectError(try await send(client, f, headers: h3), .unauthorized)
        }
        #expect(try await h.counts() == before)
    }

    @Test func anUnknownSlackUserIsRefusedWithAnEphemeralMessage() async throws {
        let now = Date(timeIntervalSince1970: 1_795_420_830)
        let h = try HTTPHarness(now: now)
        try await h.openIncidents(upTo: 1)
        let before = try await h.counts()
        let body = Array("user_id=U0NOBODY9&command=%2Fincident&text=ack+INC-1".utf8)
        let ts = "1795420800"
        let sig = SlackSignature.sign(secret: slackSecret, timestamp: ts, body: body)
        try await h.app().test(.router) { client in
            let r = try await client.execute(uri: "/slack/commands", method: .post,
                                             headers: [.contentType: "application/x-www-form-urlencoded",
                                                       HTTPField.Name("X-Slack-Request-Timestamp")!: ts,
                                                       HTTPField.Name("X-Slack-Signature")!: sig],
                                             body: ByteBuffer(bytes: body))
            #expect(r.status == .ok)
            let o = json(r.body)
            #expect(o["response_type"] as? String == "ephemeral")
            #expect((o["text"] as? String)?.contains("U0NOBODY9") == true)
        }
        #expect(try await h.counts() == before)
    }
}

struct SlashCommandTests {
    /// Sends `/command text` as Slack would, signed, from `user`.
    func slash(_ client: some TestClientProtocol, _ text: String, user: String = "U0ALICE01", command: String = "/incident") async throws -> [String: Any] {
        let body = "token=x&team_id=T0001&user_id=\(user)&command=\(command.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&text=\(text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
        let ts = "1795420800"
        let r = try await client.execute(uri: "/slack/commands", method: .post,
                                         headers: [.contentType: "application/x-www-form-urlencoded",
                                                   HTTPField.Name("X-Slack-Request-Timestamp")!: ts,
                                                   HTTPField.Name("X-Slack-Signature")!: SlackSignature.sign(secret: slackSecret, timestamp: ts, body: Array(body.utf8))],
                                         body: ByteBuffer(string: body))
        #expect(r.status == .ok)
        return json(r.body)
    }

    @Test func severityAssignUpdateStatusAndHelp() async throws {
        let h = try HTTPHarness(now: Date(timeIntervalSince1970: 1_795_420_830))
        try await h.openIncidents(upTo: 2)
        try await h.app().test(.router) { client in
            let sev = try await slash(client, "severity INC-1 P0")
            #expect((sev["text"] as? String)?.contains("INC-1 is now P0") == true)
            let assign = try await slash(client, "assign INC-1 <@U0BOB0002|bob>")
            #expect((assign["text"] as? String)?.contains("Bob Okafor") == true)
            let update = try await slash(client, "update INC-1 rolled back to v42")
            #expect(update["response_type"] as? String == "in_channel")
            let status = try await slash(client, "status")
            #expect((status["text"] as? String)?.contains("[P0] INC-1 triggered") == true)
            let one = try await slash(client, "status INC-2")
            #expect((one["text"] as? String)?.hasPrefix("[P1] INC-2") == true)
            let help = try await slash(client, "help")
            #expect((help["text"] as? String)?.contains("/incident severity") == true)
            let unknown = try await slash(client, "dance INC-1")
            #expect((unknown["text"] as? String)?.hasPrefix("Unknown command") == true)
            let bad = try await slash(client, "severity INC-1 P9")
            #expect((bad["text"] as? String)?.hasPrefix("Usage") == true)
            let missing = try await slash(client, "resolve INC-99")
            #expect((missing["text"] as? String)?.contains("does not exist") == true)
        }
        let d = try await h.engine.detail(1)
        #expect(d.incident.severity == .p0)
        #expect(d.incident.severitySetBy == "alice")
        #expect(d.incident.assignee == "bob")
        #expect(d.timeline.contains { $0.kind == "incident.updated" && $0.message == "rolled back to v42" })
    }

    @Test func readOnlyCommandsWorkForUnknownUsersButActionsDoNot() async throws {
        let h = try HTTPHarness(now: Date(timeIntervalSince1970: 1_795_420_830))
        try await h.openIncidents(upTo: 1)
        try await h.app().test(.router) { client in
            let status = try await slash(client, "status", user: "U0STRANGER")
            #expect((status["text"] as? String)?.contains("INC-1") == true)
            let ack = try await slash(client, "ack INC-1", user: "U0STRANGER")
            #expect(ack["response_type"] as? String == "ephemeral")
            let oncall = try await slash(client, "", user: "U0STRANGER", command: "/oncall")
            #expect((oncall["text"] as? String)?.contains("ml-platform on call at") == true)
            let unknown = try await slash(client, "nope", user: "U0STRANGER", command: "/oncall")
            #expect((unknown["text"] as? String)?.contains("nope") == true)
        }
        #expect(try await h.engine.detail(1).incident.status == .triggered)
    }

    /// Replies carry incident titles (alert text) and people's words; in the channel, an
    /// unescaped `<!channel>` would ping everyone.
    @Test func repliesEscapeAlertAndPeoplesText() async throws {
        let h = try HTTPHarness(now: Date(timeIntervalSince1970: 1_795_420_830))
        let integration = h.engine.runtime.snapshot.config.settings.integrations[0]
        _ = try await h.engine.ingest(integration: integration, batch: AlertBatch(groupKey: "g", alerts: [
            Alert(fingerprint: "f", status: .firing, labels: ["alertname": "A", "severity": "critical"], summary: "<!channel> model down & <\u{338}!here>"),
        ]))
        try await h.app().test(.router) { client in
            var replies: [String] = []
            for text in ["status", "status INC-1", "ack INC-1", "update INC-1 <!here> rolled back", "<!channel>", "ack <@U0ALICE01>",
                         "assign INC-1 <!everyone>", "resolve INC-1 <https://evil.test|fixed>"] {
                let reply = try await slash(client, text)
                replies.append(reply["text"] as? String ?? "")
            }
            replies.append((try await slash(client, "<!channel>", command: "/oncall"))["text"] as? String ?? "")
            for (i, r) in replies.enumerated() {
                #expect(!r.unicodeScalars.contains("<"), "reply \(i): \(r)")
            }
            #expect(replies[2].contains("&lt;!channel&gt; model down &amp;"), "\(replies[2])")
            #expect(replies[3].contains("&lt;!here&gt; rolled back"), "\(replies[3])")
        }
    }

    /// Answers to button clicks go only to Slack's response URLs (or the host of a configured
    /// Slack api_url): a signed payload cannot make Klaxon POST anywhere else.
    @Test func responseURLsAreSlacksOnly() throws {
        var settings = Settings()
        settings.channels = [Channel(name: "slack", kind: .slack, token: .literal("x"), apiURL: "http://127.0.0.1:9999/api")]
        let config = Configuration(settings: settings, people: [], teams: [], playbooks: [], directory: "/tmp")
        for good in ["https://hooks.slack.com/actions/T1/2/abc", "https://HOOKS.slack.com/actions/x", "https://hooks.slack.com:443/a",
                     "http://127.0.0.1:9999/actions/T1/2/abc"] {
            #expect(SlackRoutes.isResponseURL(good, config: config), "\(good)")
        }
        for bad in ["http://hooks.slack.com/actions/x", "https://hooks.slack.com.evil.test/a", "https://evil.test/hooks.slack.com/",
                    "https://user:pw@hooks.slack.com/a", "https://hooks.slack.com:8443/a", "http://127.0.0.1:9998/actions",
                    "https://127.0.0.1:9999/actions", "http://localhost:9999/actions", "file:///etc/passwd", "not a url", "",
                    "gopher://hooks.slack.com/"] {
            #expect(!SlackRoutes.isResponseURL(bad, config: config), "\(bad)")
        }
    }

    @Test func ackWithoutAnIdAcknowledgesWhatIsPagingTheCaller() async throws {
        let h = try HTTPHarness(now: Date(timeIntervalSince1970: 1_795_420_830))
        try await h.openIncidents(upTo: 3) // step 1 pages alice for each
        try await h.app().test(.router) { client in
            let r = try await slash(client, "ack")
            #expect((r["text"] as? String)?.contains("INC-1") == true)
            #expect((r["text"] as? String)?.contains("INC-3") == true)
            let again = try await slash(client, "ack")
            #expect(again["text"] as? String == "Nothing is paging you right now.")
        }
        for n in 1...3 { #expect(try await h.engine.detail(n).incident.status == .acknowledged) }
    }
}
