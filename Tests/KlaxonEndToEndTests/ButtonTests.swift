import Foundation
import KlaxonCurl
import KlaxonTestSupport
import Testing

/// Slack ignores the body of the answer to a button click, so a click that cannot act (someone
/// Klaxon does not know, an incident already resolved) is answered through the payload's
/// response_url with an ephemeral message, over real HTTP: the person sees why nothing happened.
@Suite(.serialized)
struct ButtonTests {
    static func click(_ curl: CurlClient, base: String, user: String, action: String, incident: String, responseURL: String) async throws -> Int {
        let payload: [String: Any] = [
            "type": "block_actions", "user": ["id": user, "username": user], "api_app_id": "A0KLAXON",
            "container": ["type": "message", "message_ts": "1795420790.000100", "channel_id": "C0INCIDENT"],
            "response_url": responseURL,
            "actions": [["type": "button", "action_id": action, "block_id": "incident-actions", "value": incident]],
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let form = "payload=" + json.addingPercentEncoding(withAllowedCharacters: allowed)!
        let ts = String(Int(Date().timeIntervalSince1970))
        let r = try await curl.perform(HTTPRequest(method: "POST", url: base + "/slack/interactions",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Slack-Request-Timestamp", ts),
                      ("X-Slack-Signature", ServeTests.sign(ts, form))], body: Array(form.utf8)))
        return r.status
    }

    /// The next call to the response URL, skipping chat.postMessage and chat.update calls.
    static func nextAnswer(_ slack: FakeSlack) async throws -> SlackCall {
        while true {
            let call = try await slack.next()
            if call.method == "response_url" { return call }
        }
    }

    @Test func clicksThatCannotActAreAnsweredToTheClicker() async throws {
        try await withServeFolder("buttons") { setting in
            let (slack, curl) = (setting.slack, setting.curl)
            let server = try serveFolder(setting.dir)
            defer { server.stop() }
            let base = "http://127.0.0.1:\(try await server.port())"
            let hook = "http://127.0.0.1:\(setting.slackPort)/actions/T0001/1795420790/abcdEFGH"

            let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: sharedFixtures.appendingPathComponent("alertmanager/firing-gpu-memory.json"))) as! [String: Any]
            let sent = try await curl.perform(HTTPRequest(method: "POST", url: base + "/v1/alerts/alertmanager",
                headers: [("Authorization", "Bearer am-test-token"), ("Content-Type", "application/json")],
                body: Array(try JSONSerialization.data(withJSONObject: fixture["body"]!))))
            #expect(sent.status == 202)

            // Someone Klaxon does not know clicks Acknowledge: told so, and nothing changes.
            #expect(try await Self.click(curl, base: base, user: "U0STRANGER", action: "incident.ack", incident: "INC-1", responseURL: hook) == 200)
            let stranger = try await Self.nextAnswer(slack)
            #expect(stranger.ts == "/actions/T0001/1795420790/abcdEFGH")
            #expect(stranger.body["response_type"] as? String == "ephemeral")
            #expect(stranger.body["replace_original"] as? Bool == false)
            #expect((stranger.body["text"] as? String)?.contains("does not know Slack user U0STRANGER") == true)
            let detail = try await curl.perform(HTTPRequest(url: base + "/v1/incidents/INC-1", headers: [("Authorization", "Bearer api-e2e")]))
            #expect((try JSONSerialization.jsonObject(with: Data(detail.body)) as? [String: Any])?["status"] as? String == "triggered")

            // Alice resolves it with the button, then clicks Escalate on the old message.
            #expect(try await Self.click(curl, base: base, user: "U0ALICE01", action: "incident.resolve", incident: "INC-1", responseURL: hook) == 200)
            #expect(try await Self.click(curl, base: base, user: "U0ALICE01", action: "incident.escalate", incident: "INC-1", responseURL: hook) == 200)
            let resolved = try await Self.nextAnswer(slack)
            #expect(resolved.body["text"] as? String == "INC-1 is resolved; nothing to escalate.")
            // Only those two clicks were answered through the response URL.
            #expect(slack.received.filter { $0.method == "response_url" }.count == 2)
        }
    }
}
