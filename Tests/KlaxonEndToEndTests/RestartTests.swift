import Foundation
import KlaxonCurl
import KlaxonTestSupport
import Testing

/// The binary is killed hard while pages are owed and started again an hour later: each owed
/// page is delivered exactly once, and the late timer is marked late.
@Suite(.serialized)
struct RestartTests {
    @Test func pagesOwedAtAHardKillAreDeliveredOnceAfterRestart() async throws {
        let t0 = "2026-11-23T12:00:00Z"

        try await withServeFolder("restart", slack: FakeSlack(failFirst: 1)) { setting in
            let (dir, slack, curl) = (setting.dir, setting.slack, setting.curl)

            // First life: the alert is committed, the page to Alice fails once (Slack answers 503).
            let first = try serveFolder(dir, start: t0)
            let port1 = try await first.port()
            let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: sharedFixtures.appendingPathComponent("alertmanager/firing-gpu-memory.json"))) as! [String: Any]
            let r = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port1)/v1/alerts/alertmanager",
                headers: [("Authorization", "Bearer am-test-token"), ("Content-Type", "application/json")],
                body: Array(try JSONSerialization.data(withJSONObject: fixture["body"]!))))
            #expect(r.status == 202)
            let failed = try await slack.next()
            #expect(failed.body["channel"] as? String == "U0ALICE01")
            first.kill()

            // Second life, an hour later: Alice's page (owed since the 503) and step 2's page to
            // Bob (its timer fell due while Klaxon was down) go out once each.
            let second = try serveFolder(dir, start: "2026-11-23T13:00:00Z")
            defer { second.stop() }
            let port2 = try await second.port()
            let a = try await slack.next()
            let b = try await slack.next()
            let channels = Set([a.body["channel"] as? String, b.body["channel"] as? String])
            #expect(channels == ["U0ALICE01", "U0BOB0002"])
            // Nothing more is owed: a further hour passes without another page.
            let advanced = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port2)/_test/clock",
                headers: [("Content-Type", "application/json")], body: Array(#"{"advance_seconds": 3600}"#.utf8)))
            #expect(advanced.status == 200)
            let pages = slack.received.filter { $0.method == "chat.postMessage" }
            #expect(pages.filter { $0.body["channel"] as? String == "U0ALICE01" }.count == 2) // the failed try and the delivery
            #expect(pages.filter { $0.body["channel"] as? String == "U0BOB0002" }.count == 1)

            let detail = try await curl.perform(KlaxonCurl.HTTPRequest(url: "http://127.0.0.1:\(port2)/v1/incidents/INC-1", headers: [("Authorization", "Bearer api-e2e")]))
            let o = try JSONSerialization.jsonObject(with: Data(detail.body)) as? [String: Any]
            let kinds = (o?["timeline"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
            #expect(kinds.contains("timer.late"))
            #expect(kinds.filter { $0.hasPrefix("escalation.step") }.count == 2)
        }
    }
}
