import Crypto
import Foundation
import Hummingbird
import KlaxonCurl
import KlaxonTestSupport
import Testing

/// End to end: the real `klaxon` binary on a loopback port, a local fake Slack Web API, a real
/// Alertmanager webhook from ../shared/fixtures, a signed Slack ack, and the virtual clock
/// moved past `escalate_after`.
@Suite(.serialized)
struct ServeTests {
    static let secret = "e2e-signing-secret"

    /// The `klaxon` binary built beside this test bundle.
    static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("klaxon").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return repositoryRoot.appendingPathComponent(".build/debug/klaxon").path
    }

    func writeConfig(in dir: String, slackPort: Int) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/Rotations", withIntermediateDirectories: true)
        try """
        server:
          listen: 127.0.0.1:0
          public_url: http://klaxon.test
        storage: sqlite:./klaxon.db
        time_zone: UTC
        api_token: ${env:KLAXON_API_TOKEN}
        integrations:
          - {name: prometheus, kind: alertmanager, token: "${env:KLAXON_PROMETHEUS_TOKEN}", team: ml-platform}
        channels:
          - {name: slack, kind: slack, token: "${env:SLACK_BOT_TOKEN}", api_url: "http://127.0.0.1:\(slackPort)/api"}
        slack:
          signing_secret: ${env:SLACK_SIGNING_SECRET}
        """.write(toFile: dir + "/klaxon.yaml", atomically: true, encoding: .utf8)
        try """
        people:
          - {id: alice, name: Alice Ng, time_zone: Europe/Berlin, slack: U0ALICE01}
          - {id: bob, name: Bob Okafor, time_zone: America/New_York, slack: U0BOB0002}
        """.write(toFile: dir + "/Rotations/people.yaml", atomically: true, encoding: .utf8)
        try """
        team: ml-platform
        time_zone: Europe/Berlin
        schedules:
          - id: primary
            layers:
              - rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-05}
                members: [alice]
          - id: secondary
            layers:
              - rotation: {every: 1d, handoff: "09:00", start: 2026-01-05}
                members: [bob]
        escalation_policies:
          - id: default
            steps:
              - {notify: [schedule:primary], escalate_after: 5m}
              - {notify: [schedule:secondary]}
        """.write(toFile: dir + "/Rotations/ml-platform.yaml", atomically: true, encoding: .utf8)
    }

    /// The binary runs on jemalloc (`CJemalloc`), not only the test bundle.
    @Test func serveRunsOnJemalloc() async throws {
        try await withServeFolder("alloc") { setting in
            let server = try serveFolder(setting.dir)
            defer { server.stop() }
            _ = try await server.port()
            // Read to the end: /proc files report no size, and a one-shot read stops at a page.
            let handle = try #require(FileHandle(forReadingAtPath: "/proc/\(server.process.processIdentifier)/maps"))
            let maps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
            #expect(maps.contains("libjemalloc"))
        }
    }

    @Test func alertmanagerToSlackAndAckStopsTheEscalation() async throws {
        try await withServeFolder("e2e") { setting in
            let (slack, curl) = (setting.slack, setting.curl)
            let server = try serveFolder(setting.dir)
            defer { server.stop() }
            let port = try await server.port()
            let base = "http://127.0.0.1:\(port)"

            // Alertmanager's webhook, as captured.
            let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: sharedFixtures.appendingPathComponent("alertmanager/firing-accuracy-drop-2-alerts.json"))) as! [String: Any]
            let body = try JSONSerialization.data(withJSONObject: fixture["body"]!)
            let r1 = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: base + "/v1/alerts/alertmanager",
                                                                  headers: [("Authorization", "Bearer am-test-token"), ("Content-Type", "application/json")], body: Array(body)))
            #expect(r1.status == 202)
            #expect(String(decoding: r1.body, as: UTF8.self).contains("INC-1"))

            // Alice gets a direct message with the Acknowledge button.
            let page = try await slack.next()
            #expect(page.method == "chat.postMessage")
            #expect(page.body["channel"] as? String == "U0ALICE01")
            #expect(page.auth == "Bearer xoxb-e2e")
            #expect((page.body["text"] as? String)?.hasPrefix("[P1] INC-1") == true)
            let blocks = String(decoding: try JSONSerialization.data(withJSONObject: page.body["blocks"] ?? []), as: UTF8.self)
            #expect(blocks.contains("incident.ack"))
            #expect(blocks.contains("Acknowledge"))

            // A second incident nobody acknowledges.
            let gpu = try JSONSerialization.jsonObject(with: Data(contentsOf: sharedFixtures.appendingPathComponent("alertmanager/firing-gpu-memory.json"))) as! [String: Any]
            let r2 = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: base + "/v1/alerts/alertmanager",
                                                                  headers: [("Authorization", "Bearer am-test-token"), ("Content-Type", "application/json")],
                                                                  body: Array(try JSONSerialization.data(withJSONObject: gpu["body"]!))))
            #expect(String(decoding: r2.body, as: UTF8.self).contains("INC-2"))
            let page2 = try await slack.next()
            #expect((page2.body["text"] as? String)?.hasPrefix("[P1] INC-2") == true)

            // Alice acknowledges INC-1 with a signed slash command.
            let form = "token=x&team_id=T0001&channel_id=C0INCIDENT&user_id=U0ALICE01&user_name=alice&command=%2Fincident&text=ack+INC-1&response_url=https%3A%2F%2Fhooks.slack.test%2Fx"
            let ts = String(Int(Date().timeIntervalSince1970))
            let started = Date()
            let ack = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: base + "/slack/commands",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Slack-Request-Timestamp", ts),
                          ("X-Slack-Signature", Self.sign(ts, form))], body: Array(form.utf8)))
            #expect(ack.status == 200)
            #expect(Date().timeIntervalSince(started) < 3)
            #expect(String(decoding: ack.body, as: UTF8.self).contains("Acknowledged by Alice Ng"))

            // The page is updated in place.
            let update = try await slack.next()
            #expect(update.method == "chat.update")
            #expect(update.body["ts"] as? String == page.ts)

            // A forged ack is refused.
            let forged = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: base + "/slack/commands",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Slack-Request-Timestamp", ts),
                          ("X-Slack-Signature", Self.sign(ts, form))], body: Array(form.replacingOccurrences(of: "INC-1", with: "INC-2").utf8)))
            #expect(forged.status == 401)

            // Past escalate_after: INC-2 escalates to Bob; INC-1 pages nobody.
            let clock = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: base + "/_test/clock",
                headers: [("Content-Type", "application/json")], body: Array(#"{"advance_seconds": 301}"#.utf8)))
            #expect(clock.status == 200)
            let escalated = try await slack.next()
            #expect(escalated.body["channel"] as? String == "U0BOB0002")
            #expect((escalated.body["text"] as? String)?.hasPrefix("[P1] INC-2") == true)
            _ = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: base + "/_test/clock",
                headers: [("Content-Type", "application/json")], body: Array(#"{"advance_seconds": 3600}"#.utf8)))
            let all = slack.received
            #expect(!all.contains { $0.method == "chat.postMessage" && ($0.body["text"] as? String)?.contains("INC-1") == true && $0.body["channel"] as? String == "U0BOB0002" })
            #expect(all.filter { $0.method == "chat.postMessage" }.count == 3)

            // The API tells the same story.
            let detail = try await curl.perform(KlaxonCurl.HTTPRequest(url: base + "/v1/incidents/INC-1", headers: [("Authorization", "Bearer api-e2e")]))
            let o = try JSONSerialization.jsonObject(with: Data(detail.body)) as? [String: Any]
            #expect(o?["status"] as? String == "acknowledged")
            #expect(o?["acknowledged_by"] as? String == "alice")

            // How the writer and the disk kept up, on /metrics: every commit and sync counted,
            // in buckets down to a tenth of a millisecond.
            let metrics = String(decoding: try await curl.perform(KlaxonCurl.HTTPRequest(url: base + "/metrics")).body, as: UTF8.self)
            func value(_ name: String) -> Double? {
                metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            #expect((value("klaxon_store_commit_requests_count") ?? 0) >= 2, "\(metrics)")
            #expect((value("klaxon_store_commit_requests_sum") ?? 0) >= 2)
            #expect((value("klaxon_store_commit_seconds_count") ?? 0) >= 2)
            #expect((value("klaxon_store_sync_seconds_count") ?? 0) >= 2)
            #expect((value("klaxon_store_sync_requests_sum") ?? 0) >= 2)
            #expect(metrics.contains(#"klaxon_store_commit_seconds_bucket{le="0.0001"}"#))
            #expect(metrics.contains(#"klaxon_store_commit_requests_bucket{le="1.0"}"#) || metrics.contains(#"klaxon_store_commit_requests_bucket{le="1"}"#))

            #expect(await server.terminate() == 0)
        }
    }

    static func sign(_ ts: String, _ body: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("v0:\(ts):\(body)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return "v0=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}
