import Crypto
import Foundation
import KlaxonTestSupport
import KlaxonCurl
import Testing

/// `klaxon oncall`, `schedule` and `calendar-url` as a person runs them, and `klaxon serve` reloading
/// its rotations on SIGHUP and on a file change, with the real binary.
@Suite(.serialized)
struct RotationCommandTests {
    final class Folder {
        let dir = NSTemporaryDirectory() + "klaxon-rot-e2e-" + UUID().uuidString
        var config: String { dir + "/klaxon.yaml" }
        var team: String { dir + "/Rotations/ml-platform.yaml" }

        static let teamText = """
            team: ml-platform
            time_zone: Europe/Berlin
            schedules:
              - id: primary
                layers:
                  - name: weekly
                    rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-05}
                    members: [alice, bob]
                  - name: weekend-cover
                    rotation: {every: 1d, handoff: "09:00", start: 2026-01-03}
                    members: [dana, alice]
                    restrict: ["Sat 00:00-Mon 00:00"]

            """

        init() throws {
            try FileManager.default.createDirectory(atPath: dir + "/Rotations", withIntermediateDirectories: true)
            try """
                server: {listen: "127.0.0.1:0", public_url: "https://oncall.example/"}
                storage: sqlite:./klaxon.db
                time_zone: UTC
                api_token: ${env:KLAXON_API_TOKEN}
                calendar_secret: ${env:KLAXON_CALENDAR_SECRET}

                """.write(toFile: config, atomically: true, encoding: .utf8)
            try """
                people:
                  - {id: alice, name: Alice Ng, time_zone: Europe/Berlin, slack: U0ALICE01}
                  - {id: bob, name: Bob Okafor, time_zone: America/New_York, slack: U0BOB0002}
                  - {id: dana, name: Dana Li, time_zone: Europe/Berlin, slack: U0DANA004}

                """.write(toFile: dir + "/Rotations/people.yaml", atomically: true, encoding: .utf8)
            try Self.teamText.write(toFile: team, atomically: true, encoding: .utf8)
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
    }

    static let env = ["KLAXON_API_TOKEN": "api-e2e", "KLAXON_CALENDAR_SECRET": "cal-e2e"]

    /// Runs `klaxon` to the end: exit status, standard output, standard error.
    static func klaxon(_ args: [String], env: [String: String] = RotationCommandTests.env) throws -> (Int32, String, String) {
        try runKlaxon(args, env: env, unset: ["KLAXON_API_TOKEN", "KLAXON_CALENDAR_SECRET"])
    }

    @Test func oncallScheduleAndCalendarURL() throws {
        let f = try Folder()
        let (s1, json, e1) = try Self.klaxon(["oncall", "--config", f.config, "--team", "ml-platform", "--at", "2026-03-29T02:30:00Z", "--json"])
        #expect(s1 == 0, "\(e1)")
        // Sunday 04:30 in Berlin, the morning of the spring-forward change: the weekend cover's 23-hour shift.
        #expect(json == #"{"team":"ml-platform","at":"2026-03-29T04:30:00+02:00","schedules":[{"id":"primary","oncall":["dana"],"until":"2026-03-29T09:00:00+02:00"}]}"# + "\n")

        let (s2, text, _) = try Self.klaxon(["oncall", "--config", f.config, "--team", "ml-platform", "--at", "2026-03-29T04:30"])
        #expect(s2 == 0)
        #expect(text == """
            ml-platform on call at Sun 2026-03-29 04:30 +02:00 (Europe/Berlin)
              primary  dana (Dana Li)  until Sun 2026-03-29 09:00 +02:00 (in 4h 30m)

            """)

        let (s3, rows, _) = try Self.klaxon(["schedule", "--config", f.config, "--team", "ml-platform", "--from", "2026-03-28", "--to", "2026-03-29T12:00:00+02:00", "--format", "json"])
        #expect(s3 == 0)
        #expect(rows == """
            [
              {"schedule":"primary","member":"alice","start":"2026-03-28T00:00:00+01:00","end":"2026-03-28T09:00:00+01:00"},
              {"schedule":"primary","member":"dana","start":"2026-03-28T09:00:00+01:00","end":"2026-03-29T09:00:00+02:00"},
              {"schedule":"primary","member":"alice","start":"2026-03-29T09:00:00+02:00","end":"2026-03-29T12:00:00+02:00"}
            ]

            """)
        let (s4, svg, _) = try Self.klaxon(["schedule", "--config", f.config, "--team", "ml-platform", "--from", "2026-03-23", "--to", "2026-04-06", "--format", "svg", "--tz", "America/New_York"])
        #expect(s4 == 0)
        #expect(svg.contains("<svg") && svg.contains("</svg>"))

        let (s5, url, _) = try Self.klaxon(["calendar-url", "--config", f.config, "dana"])
        #expect(s5 == 0)
        let mac = HMAC<SHA256>.authenticationCode(for: Array("dana".utf8), using: SymmetricKey(data: Array("cal-e2e".utf8)))
        #expect(url == "https://oncall.example/calendar/dana.ics?token=\(mac.map { String(format: "%02x", $0) }.joined())\n")
    }

    @Test func badInputExitsOneWithOneClearLine() throws {
        let f = try Folder()
        let cases: [([String], [String: String], String)] = [
            (["oncall", "--config", f.config, "--team", "search"], Self.env, "klaxon: unknown team \"search\"; teams: ml-platform\n"),
            (["oncall", "--config", f.config, "--team", "ml-platform", "--at", "noon"], Self.env, "klaxon: bad time for at: expected a time such as"),
            (["schedule", "--config", f.config, "--team", "ml-platform", "--from", "2026-04-01", "--to", "2026-03-01"], Self.env, "klaxon: --to (2026-03-01T00:00:00+01:00) must be after --from"),
            (["schedule", "--config", f.config, "--team", "ml-platform", "--from", "2026-03-01", "--to", "2026-04-01", "--format", "pdf"], Self.env, "klaxon: unknown format \"pdf\""),
            (["calendar-url", "--config", f.config, "zoe"], Self.env, "klaxon: unknown person \"zoe\""),
            (["calendar-url", "--config", f.config, "dana"], ["KLAXON_API_TOKEN": "x"], "klaxon: calendar URLs need calendar_secret in klaxon.yaml (it is written as ${env:KLAXON_CALENDAR_SECRET}, which is not set)"),
        ]
        for (args, env, message) in cases {
            let (status, out, err) = try Self.klaxon(args, env: env)
            #expect(status == 1, "\(args)")
            #expect(out.isEmpty, "\(args): \(out)")
            #expect(err.hasPrefix(message), "\(args): \(err)")
        }
    }

    /// The server reloads on SIGHUP and when a file changes; a broken edit is refused and logged,
    /// and the API keeps answering from the configuration in use. Waits are for the server's own
    /// log lines (each bounded), not for time to pass.
    @Test func serveReloadsOnSIGHUPAndOnFileChange() async throws {
        let f = try Folder()
        let server = try LoggingProcess(binary: ServeTests.binary, arguments: ["serve", "--config", f.config, "--listen", "127.0.0.1:0"], environment: Self.env)
        defer { server.stop() }
        let portLine = try await server.line { $0.hasPrefix("klaxon listening on ") }
        let port = try #require(portLine.split(separator: ":").last.flatMap { Int($0) })
        let curl = CurlClient()
        defer { curl.shutdown() }
        func oncall() async throws -> String {
            let r = try await curl.perform(KlaxonCurl.HTTPRequest(url: "http://127.0.0.1:\(port)/v1/oncall?team=ml-platform&at=2026-03-25T12:00:00Z",
                                                                  headers: [("Authorization", "Bearer api-e2e")]))
            return String(decoding: r.body, as: UTF8.self)
        }
        #expect(try await oncall().contains(#""oncall":["bob"]"#))

        // A fixed edit and SIGHUP: applied.
        try Folder.teamText.replacingOccurrences(of: "[alice, bob]", with: "[dana]").write(toFile: f.team, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        _ = try await server.line { $0.contains("configuration reloaded (SIGHUP)") }
        #expect(try await oncall().contains(#""oncall":["dana"]"#))

        // A broken edit and SIGHUP: refused, the error logged at its place, the old answer kept.
        try Folder.teamText.replacingOccurrences(of: "[alice, bob]", with: "[dana, zoe]").write(toFile: f.team, atomically: true, encoding: .utf8)
        kill(server.process.processIdentifier, SIGHUP)
        _ = try await server.line { $0.contains("configuration not reloaded (SIGHUP)") }
        #expect(server.lines.contains { $0.contains("ml-platform.yaml:8:25: unknown person \"zoe\"") }, "\(server.lines)")
        #expect(try await oncall().contains(#""oncall":["dana"]"#))

        // A file change alone is noticed (polled every 2 s).
        try Folder.teamText.replacingOccurrences(of: "[alice, bob]", with: "[alice]").write(toFile: f.team, atomically: true, encoding: .utf8)
        _ = try await server.line { $0.contains("configuration reloaded (a configuration file changed)") }
        #expect(try await oncall().contains(#""oncall":["alice"]"#))
        #expect(server.terminate() == 0)
    }
}

/// A child process whose standard output and error are read line by line, with a bounded wait for a line.
final class LoggingProcess: @unchecked Sendable {
    let process = ChildProcess()
    private let pipe = Pipe()
    private let errors = Pipe()
    private let state = Box<(lines: [String], seen: Int, waiter: CheckedContinuation<Void, Never>?)>(([], 0, nil))

    var lines: [String] { state.with { $0.lines } }

    init(binary: String, arguments: [String], environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.standardOutput = pipe
        process.standardError = errors
        for handle in [pipe.fileHandleForReading, errors.fileHandleForReading] {
            let partial = Box("")
            handle.readabilityHandler = { [state] h in
                let data = h.availableData
                if data.isEmpty { h.readabilityHandler = nil; return }
                let complete: [String] = partial.with { p in
                    p += String(decoding: data, as: UTF8.self)
                    var parts = p.components(separatedBy: "\n")
                    p = parts.removeLast()
                    return parts
                }
                let w: CheckedContinuation<Void, Never>? = state.with { s in
                    s.lines += complete
                    defer { s.waiter = nil }
                    return s.waiter
                }
                w?.resume()
            }
        }
        try process.run()
    }

    struct Timeout: Error, CustomStringConvertible { var description: String }

    /// The first line not yet waited for that satisfies `match` (lines before it are passed over);
    /// fails after 30 s.
    func line(_ match: @escaping @Sendable (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(30)
        while true {
            let found: String? = state.with { s in
                while s.seen < s.lines.count {
                    let l = s.lines[s.seen]
                    s.seen += 1
                    if match(l) { return l }
                }
                return nil
            }
            if let found { return found }
            guard Date() < deadline, process.isRunning else { throw Timeout(description: "no such line; got:\n" + lines.joined(separator: "\n")) }
            // Wait for more output, or at most a second so the deadline is checked.
            let guardTask = Task { [state] in
                try? await Task.sleep(for: .seconds(1))
                let w: CheckedContinuation<Void, Never>? = state.with { s in defer { s.waiter = nil }; return s.waiter }
                w?.resume()
            }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now: Bool = state.with { s in
                    if s.seen < s.lines.count { return true }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
            guardTask.cancel()
        }
    }

    func terminate() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func stop() { if process.isRunning { process.terminate(); process.waitUntilExit() } }
}
