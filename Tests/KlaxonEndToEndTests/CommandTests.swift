import Foundation
import KlaxonTestSupport
import Testing

/// `klaxon` with arguments and environment changes, its stdout and stderr on pipes; not started.
func klaxonProcess(_ args: [String], env: [String: String], unset: [String] = []) -> (ChildProcess, out: Pipe, err: Pipe) {
    let p = ChildProcess()
    p.executableURL = URL(fileURLWithPath: ServeTests.binary)
    p.arguments = args
    var e = ProcessInfo.processInfo.environment
    for k in unset { e[k] = nil }
    for (k, v) in env { e[k] = v }
    p.environment = e
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    return (p, out, err)
}

/// Runs `klaxon` with arguments; returns exit code, stdout and stderr.
func runKlaxon(_ args: [String], env: [String: String] = [:], unset: [String] = []) throws -> (Int32, String, String) {
    let (p, out, err) = klaxonProcess(args, env: env, unset: unset)
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let r = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: r, as: UTF8.self))
}

/// `runKlaxon` without holding a thread of the Swift concurrency pool while the child runs (it
/// has as many threads as cores, two here): for tests whose child talks to a server in this
/// process, which needs a pool thread to answer.
func runKlaxonAsync(_ args: [String], env: [String: String] = [:]) async throws -> (Int32, String, String) {
    let (p, out, err) = klaxonProcess(args, env: env)
    return try await withCheckedThrowingContinuation { (c: CheckedContinuation<(Int32, String, String), any Error>) in
        let readers = DispatchGroup()
        let o = Box(Data()), r = Box(Data())
        for (pipe, box) in [(out, o), (err, r)] {
            readers.enter()
            Thread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                box.with { $0 = data }
                readers.leave()
            }.start()
        }
        p.terminationHandler = { process in
            readers.wait()
            c.resume(returning: (process.terminationStatus, String(decoding: o.with { $0 }, as: UTF8.self), String(decoding: r.with { $0 }, as: UTF8.self)))
        }
        do { try p.run() } catch { c.resume(throwing: error) }
    }
}

@Suite(.serialized)
struct CommandTests {
    static let config = repositoryRoot.appendingPathComponent("klaxon.yaml").path

    @Test(arguments: ["page.slack", "page.email", "executive-briefing.slack", "executive-briefing.email", "customer-notice.slack",
                      "customer-notice.email", "technical-update.slack", "technical-update.email", "escalation-exhausted.slack", "post-incident-review.md"])
    func everyShippedTemplateRenders(_ name: String) throws {
        let parts = name.split(separator: ".")
        let (code, out, err) = try runKlaxon(["template", "render", String(parts[0]), "--channel-kind", String(parts[1]), "--config", Self.config])
        #expect(code == 0, "\(err)")
        #expect(out.contains("INC-7"))
        if parts[1] == "slack" { #expect((try? JSONSerialization.jsonObject(with: Data(out.utf8))) != nil) }
    }

    @Test func classifyAndPlaybookShow() throws {
        let fixture = sharedFixtures.appendingPathComponent("alertmanager/firing-accuracy-drop-2-alerts.json").path
        let (code, out, _) = try runKlaxon(["classify", "--alert", fixture, "--config", Self.config])
        #expect(code == 0)
        #expect(out.contains("playbook: model-accuracy-degradation   severity: P0"))
        let json = try runKlaxon(["classify", "--alert", sharedFixtures.appendingPathComponent("pagerduty/trigger-drift.json").path, "--json", "--config", Self.config])
        let o = try JSONSerialization.jsonObject(with: Data(json.1.utf8)) as? [String: Any]
        #expect(o?["format"] as? String == "pagerduty")
        #expect((o?["alerts"] as? [[String: Any]])?.first?["playbook"] as? String == "model-drift")
        let (showCode, show, _) = try runKlaxon(["playbook", "show", "gpu-memory-exhaustion", "--config", Self.config])
        #expect(showCode == 0)
        #expect(show.contains("Triage"))
        #expect(show.contains("Rollback to known good"))
        let (missingCode, _, missingErr) = try runKlaxon(["playbook", "show", "nope", "--config", Self.config])
        #expect(missingCode == 1)
        #expect(missingErr.contains("no playbook \"nope\""))
        let bad = NSTemporaryDirectory() + "klaxon-bad-alert-" + UUID().uuidString + ".json"
        try "{\"labels\": ".write(toFile: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let (badCode, _, badErr) = try runKlaxon(["classify", "--alert", bad, "--config", Self.config])
        #expect(badCode == 1)
        #expect(badErr.contains("\(bad): The file is not valid JSON"), "\(badErr)")
    }

    @Test(arguments: [("KLAXON_INBOX", 0), ("KLAXON_CHUNK", 1), ("KLAXON_MOVED", 0)])
    func serveRefusesABadStoreSetting(_ name: String, least: Int) throws {
        let dir = NSTemporaryDirectory() + "klaxon-inbox-env-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "storage: sqlite:./k.db\ntime_zone: UTC\n".write(toFile: dir + "/klaxon.yaml", atomically: true, encoding: .utf8)
        // An address that cannot be bound: were the variable not checked, serve would open the
        // store and then fail on it (exit 1), not hang.
        for bad in ["abc", "\(least - 1)", "4096 rows", "", "5000000000000000000", "\((1 << 30) + 1)"] {
            let (code, _, err) = try runKlaxon(["serve", "--config", dir + "/klaxon.yaml", "--listen", "256.1.1.1:1"], env: [name: bad])
            #expect(code == 2, "\(bad): \(err)")
            #expect(err.contains("\(name) must be a whole number from \(least) to 1073741824, got \"\(bad)\""), "\(err)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/k.db"), "the store was opened")
        }
    }

    @Test func sendTestReachesSlack() async throws {
        let dir = NSTemporaryDirectory() + "klaxon-sendtest-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let slack = FakeSlack()
        try await slack.run { port in
            try ServeTests().writeConfig(in: dir, slackPort: port)
            let (code, out, err) = try await runKlaxonAsync(["send-test", "--channel", "slack", "--to", "bob", "--config", dir + "/klaxon.yaml"], env: ["SLACK_BOT_TOKEN": "xoxb-e2e"])
            #expect(code == 0, "\(err)")
            #expect(out.contains("sent to bob (slack) through slack"))
            let call = try await slack.next()
            #expect(call.body["channel"] as? String == "U0BOB0002")
            #expect((call.body["text"] as? String)?.contains("[TEST]") == true)
            let (noSecret, _, noSecretErr) = try await runKlaxonAsync(["send-test", "--channel", "slack", "--config", dir + "/klaxon.yaml"], env: ["SLACK_BOT_TOKEN": ""])
            #expect(noSecret == 1)
            #expect(noSecretErr.contains("missing"))
        }
    }

    @Test func simulateReportsBadInputWithItsLine() throws {
        let dir = NSTemporaryDirectory() + "klaxon-simbad-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{\"at\": \"2026-01-01T00:00:00Z\", \"ack\": {\"incident\": \"INC-1\", \"by\": \"alice\"}}\n{\"at\": \"yesterday\"}\n".write(toFile: dir + "/e.jsonl", atomically: true, encoding: .utf8)
        let (code, _, err) = try runKlaxon(["simulate", "--events", dir + "/e.jsonl", "--config", Self.config])
        #expect(code == 1)
        #expect(err.contains("e.jsonl:2: \"at\" must be an RFC 3339 time"))
    }
}
