import Foundation
import KlaxonCurl
import KlaxonTestSupport
import Testing

/// `klaxon report` on the store a real `klaxon serve` wrote: an Alertmanager alert, an
/// acknowledgement and a resolution through the API on the virtual clock.
@Suite(.serialized)
struct ReportCommandTests {
    @Test func reportsWhatTheServerRecorded() async throws {
        try await withServeFolder("report") { setting in
            let (dir, curl) = (setting.dir, setting.curl)
            let config = dir + "/klaxon.yaml"
            // Before anything ran there is no store to report on (and none is created).
            let (noneCode, _, noneErr) = try await runKlaxonAsync(["report", "--from", "2026-11-23", "--to", "2026-11-24", "--config", config])
            #expect(noneCode == 1 && noneErr.contains("no store at"), "\(noneErr)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/klaxon.db"))

            // The fixture's alert started at 07:41:57.17; the server opens the incident at 07:45.
            let server = try serveFolder(dir, start: "2026-11-23T07:45:00Z")
            let base = "http://127.0.0.1:\(try await server.port())"
            func post(_ path: String, _ body: String, auth: Bool = true) async throws -> Int {
                try await curl.perform(HTTPRequest(method: "POST", url: base + path,
                    headers: [("Content-Type", "application/json")] + (auth ? [("Authorization", "Bearer api-e2e")] : []), body: Array(body.utf8))).status
            }
            let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: sharedFixtures.appendingPathComponent("alertmanager/firing-gpu-memory.json"))) as! [String: Any]
            let sent = try await curl.perform(HTTPRequest(method: "POST", url: base + "/v1/alerts/alertmanager",
                headers: [("Authorization", "Bearer am-test-token"), ("Content-Type", "application/json")],
                body: Array(try JSONSerialization.data(withJSONObject: fixture["body"]!))))
            #expect(sent.status == 202)
            #expect(try await post("/_test/clock", #"{"advance_seconds": 120}"#, auth: false) == 200)
            #expect(try await post("/v1/incidents/INC-1/ack", #"{"by": "alice"}"#) == 200)
            #expect(try await post("/_test/clock", #"{"advance_seconds": 600}"#, auth: false) == 200)
            #expect(try await post("/v1/incidents/INC-1/resolve", #"{"by": "alice", "note": "restarted the pod"}"#) == 200)
            #expect(await server.terminate() == 0)

            let (code, out, err) = try await runKlaxonAsync(["report", "--from", "2026-11-23", "--to", "2026-11-24", "--format", "json", "--config", config])
            #expect(code == 0, "\(err)")
            let o = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], "\(out)")
            let all = try #require(o["all"] as? [String: Any])
            #expect(all["incidents"] as? Int == 1)
            #expect(abs((all["mttd_seconds"] as? Double ?? 0) - 182.832) < 0.01, "\(all)")
            #expect(all["mtta_seconds"] as? Double == 120)
            #expect(all["mttr_seconds"] as? Double == 720)
            #expect((o["by_team"] as? [[String: Any]])?.first?["team"] as? String == "ml-platform")

            let (tableCode, table, _) = try await runKlaxonAsync(["report", "--from", "2026-11-23", "--to", "2026-11-24", "--config", config])
            #expect(tableCode == 0)
            #expect(table.contains("Incidents opened from 2026-11-23 to 2026-11-24"))
            #expect(table.contains("ml-platform  1          3m3s  2m    12m   0%"), "\(table)")
            let (htmlCode, html, _) = try await runKlaxonAsync(["report", "--from", "2026-11-23", "--to", "2026-11-24", "--format", "html", "--config", config])
            #expect(htmlCode == 0 && html.hasPrefix("<!DOCTYPE html>") && html.contains("<th>ml-platform</th>"))

            // A day later in Berlin: nothing opened then.
            let (_, later, _) = try await runKlaxonAsync(["report", "--from", "2026-11-24", "--to", "2026-11-25", "--format", "json", "--config", config])
            #expect(((try JSONSerialization.jsonObject(with: Data(later.utf8)) as? [String: Any])?["all"] as? [String: Any])?["incidents"] as? Int == 0)

            for (args, message) in [(["--from", "2026-11-24", "--to", "2026-11-23"], "must come after"),
                                    (["--from", "yesterday", "--to", "2026-11-23"], "--from"),
                                    (["--from", "2026-11-23", "--to", "2026-11-24", "--format", "pdf"], "format")] {
                let (badCode, _, badErr) = try await runKlaxonAsync(["report"] + args + ["--config", config])
                #expect(badCode != 0 && badErr.contains(message), "\(args): \(badErr)")
            }
        }
    }
}
