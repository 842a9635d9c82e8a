import Foundation
import KlaxonTestSupport
import KlaxonCurl
import Testing

/// The same events through `klaxon simulate` and through a running `klaxon serve` (virtual
/// clock, fake Slack) page the same people in the same order.
@Suite(.serialized)
struct SimulateTests {
    @Test func simulateAndServeAgree() async throws {
        let start = "2026-03-28T10:00:00Z" // a Saturday before the EU change to summer time

        try await withServeFolder("sim-e2e") { setting in
            let (dir, slack, curl) = (setting.dir, setting.slack, setting.curl)
            // Add a generic integration and low urgency for P3, with working hours.
            var yaml = try String(contentsOfFile: dir + "/klaxon.yaml", encoding: .utf8)
            yaml = yaml.replacingOccurrences(of: "integrations:\n", with: "integrations:\n  - {name: scripts, kind: generic, token: script-token, team: ml-platform}\n")
            yaml += "\nurgency: {high: [P0, P1, P2], low: [P3], none: [P4]}\n"
            try yaml.write(toFile: dir + "/klaxon.yaml", atomically: true, encoding: .utf8)
            try """
            people:
              - {id: alice, name: Alice Ng, time_zone: Europe/Berlin, working_hours: "Mon-Fri 09:00-18:00", slack: U0ALICE01}
              - {id: bob, name: Bob Okafor, time_zone: America/New_York, working_hours: "Mon-Fri 09:00-17:00", slack: U0BOB0002}
            """.write(toFile: dir + "/Rotations/people.yaml", atomically: true, encoding: .utf8)

            // (seconds after start, event line)
            let events: [(Int, String)] = [
                (0, #"{"summary": "accuracy down", "source": "prom", "severity": "critical", "dedup_key": "a"}"#),
                (60, #"{"summary": "features stale", "source": "prom", "severity": "warning", "dedup_key": "b"}"#),
                (420, "ack INC-1 bob"),
                (600, #"{"summary": "gpu memory", "source": "prom", "severity": "error", "dedup_key": "c"}"#),
            ]
            let end = 3 * 86_400
            let base = ISO8601DateFormatter().date(from: start)!
            var lines: [String] = []
            for (offset, e) in events {
                let at = ISO8601DateFormatter().string(from: base.addingTimeInterval(TimeInterval(offset)))
                if e.hasPrefix("ack") {
                    let parts = e.split(separator: " ")
                    lines.append(#"{"at": "\#(at)", "ack": {"incident": "\#(parts[1])", "by": "\#(parts[2])"}}"#)
                } else {
                    lines.append(#"{"at": "\#(at)", "alert": \#(e)}"#)
                }
            }
            try lines.joined(separator: "\n").write(toFile: dir + "/events.jsonl", atomically: true, encoding: .utf8)

            // The simulation.
            let sim = ChildProcess()
            sim.executableURL = URL(fileURLWithPath: ServeTests.binary)
            sim.arguments = ["simulate", "--config", dir + "/klaxon.yaml", "--events", dir + "/events.jsonl",
                             "--to", ISO8601DateFormatter().string(from: base.addingTimeInterval(TimeInterval(end)))]
            var env = ProcessInfo.processInfo.environment
            env["SLACK_BOT_TOKEN"] = "xoxb-e2e"; env["KLAXON_PROMETHEUS_TOKEN"] = "x"
            sim.environment = env
            let out = Pipe()
            sim.standardOutput = out
            try sim.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            sim.waitUntilExit()
            #expect(sim.terminationStatus == 0)
            let simulated = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.filter { $0["event"] as? String == "page" }.map { "\($0["incident"]!) \($0["to"]!)" }

            // The live service, driven to the same times.
            let server = try serveFolder(dir, start: start)
            defer { server.stop() }
            let url = "http://127.0.0.1:\(try await server.port())"
            var now = 0
            func advance(to offset: Int) async throws {
                guard offset > now else { return }
                let r = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: url + "/_test/clock", headers: [("Content-Type", "application/json")],
                                                                     body: Array("{\"advance_seconds\": \(offset - now)}".utf8), timeout: .seconds(60)))
                #expect(r.status == 200)
                now = offset
            }
            for (offset, e) in events {
                try await advance(to: offset)
                if e.hasPrefix("ack") {
                    let parts = e.split(separator: " ")
                    let r = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: url + "/v1/incidents/\(parts[1])/ack",
                        headers: [("Authorization", "Bearer api-e2e"), ("Content-Type", "application/json")], body: Array("{\"by\": \"\(parts[2])\"}".utf8)))
                    #expect(r.status == 200)
                } else {
                    let r = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: url + "/v1/alerts",
                        headers: [("Authorization", "Bearer script-token"), ("Content-Type", "application/json")], body: Array(e.utf8)))
                    #expect(r.status == 202)
                }
            }
            try await advance(to: end)
            let live = slack.received.filter { $0.method == "chat.postMessage" && ($0.body["channel"] as? String ?? "").hasPrefix("U") }.map { call -> String in
                let text = call.body["text"] as? String ?? ""
                let incident = text.split(separator: " ").dropFirst().first.map(String.init) ?? "?"
                let who = call.body["channel"] as? String == "U0ALICE01" ? "alice" : "bob"
                return "\(incident) \(who)"
            }
            // The same pages; the delivery service sends messages due together concurrently, so
            // pages due at one instant (INC-3 to alice and bob) may reach Slack in either order.
            #expect(simulated.sorted() == live.sorted())
            #expect(simulated.count >= 4)
        }
    }
}
