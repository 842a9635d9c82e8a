import Foundation
import Hummingbird
import KlaxonCurl
import KlaxonTestSupport

/// A value behind a lock.
final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func with<R>(_ f: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return f(&value) }
}

struct SlackCall: @unchecked Sendable {
    var method: String
    var auth: String?
    var body: [String: Any]
    var ts: String
}

/// A local stand-in for Slack's Web API: records calls and answers like Slack does.
final class FakeSlack: @unchecked Sendable {
    private struct State {
        var calls: [SlackCall] = []
        var unread: [SlackCall] = []
        var waiter: CheckedContinuation<SlackCall, any Error>?
    }
    private let state = Box(State())
    private let counter = Box(0)
    /// The first this-many calls are answered 503, as a Slack outage would.
    let failFirst: Int

    init(failFirst: Int = 0) { self.failFirst = failFirst }

    var received: [SlackCall] { state.with { $0.calls } }

    private func record(_ call: SlackCall) {
        let waiter: CheckedContinuation<SlackCall, any Error>? = state.with { s in
            s.calls.append(call)
            if let w = s.waiter { s.waiter = nil; return w }
            s.unread.append(call)
            return nil
        }
        waiter?.resume(returning: call)
    }

    /// The next call, failing after 20 s so a missing message fails the test instead of hanging it.
    func next() async throws -> SlackCall {
        let guardTask = Task { [self] in
            try await Task.sleep(for: .seconds(20))
            let w: CheckedContinuation<SlackCall, any Error>? = state.with { s in defer { s.waiter = nil }; return s.waiter }
            w?.resume(throwing: Timeout())
        }
        defer { guardTask.cancel() }
        return try await withCheckedThrowingContinuation { c in
            let ready: SlackCall? = state.with { s in
                if !s.unread.isEmpty { return s.unread.removeFirst() }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }

    struct Timeout: Error {}

    func run<T: Sendable>(_ body: @Sendable (Int) async throws -> T) async throws -> T {
        try await withServer({ router in
            // Slack's response URLs (https://hooks.slack.com/actions/…), recorded as method "response_url".
            router.post("/actions/**") { [self] req, _ in
                var req = req
                let data = try await req.collectBody(upTo: 1 << 20)
                let o = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
                record(SlackCall(method: "response_url", auth: req.headers[.authorization], body: o, ts: req.uri.path))
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok")))
            }
            router.post("/api/:method") { [self] req, ctx in
                var req = req
                let data = try await req.collectBody(upTo: 1 << 20)
                let o = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView))) as? [String: Any] ?? [:]
                let n = counter.with { $0 += 1; return $0 }
                let method = ctx.parameters.get("method") ?? ""
                let ts = method == "chat.update" ? (o["ts"] as? String ?? "") : "1795420800.\(String(format: "%06d", n))"
                let call = SlackCall(method: method, auth: req.headers[.authorization], body: o, ts: ts)
                record(call)
                if n <= failFirst {
                    return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "upstream down")))
                }
                let channel = (o["channel"] as? String).map { $0.hasPrefix("U") ? "D" + $0.dropFirst() : $0 } ?? ""
                let answer = try JSONSerialization.data(withJSONObject: ["ok": true, "channel": channel, "ts": ts])
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
            }
        }, body)
    }
}

/// The `klaxon` binary run as a child process; its stdout is read for the listening port.
final class KlaxonProcess: @unchecked Sendable {
    let process = ChildProcess()
    private let output = Pipe()
    private let lines = Box<[String]>([])
    private let portStream: AsyncStream<Int>
    private let portContinuation: AsyncStream<Int>.Continuation
    private let exit: AsyncStream<(status: Int32, signaled: Bool)>

    init(binary: String, arguments: [String], environment: [String: String]) throws {
        (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        env["LOG_LEVEL"] = "warning"
        process.environment = env
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        let cont = portContinuation
        let lines = self.lines
        let (exit, exitContinuation) = AsyncStream.makeStream(of: (status: Int32, signaled: Bool).self)
        self.exit = exit
        process.terminationHandler = { p in
            exitContinuation.yield((p.terminationStatus, p.terminationReason == .uncaughtSignal))
            exitContinuation.finish()
        }
        try process.run()
        // Stdout is read by a thread of its own with blocking reads until EOF, not by a
        // `readabilityHandler`: a dispatch read source cancelled from its own handler as the child
        // exits crashed libdispatch's manager thread on Linux (_dispatch_event_loop_drain).
        let handle = output.fileHandleForReading
        Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                    lines.with { $0.append(String(line)) }
                    if line.hasPrefix("klaxon listening on "), let p = line.split(separator: ":").last.flatMap({ Int($0) }) { cont.yield(p) }
                }
            }
            cont.finish()
        }.start()
    }

    func port() async throws -> Int {
        var it = portStream.makeAsyncIterator()
        guard let p = await it.next() else { throw FakeSlack.Timeout() }
        return p
    }

    /// SIGTERM, then wait: a graceful stop exits 0.
    func terminate() async -> Int32 {
        if process.isRunning { send(SIGTERM) }
        return await exited().status
    }

    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    /// SIGKILL: no graceful shutdown, as a crash or an OOM kill.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    /// Sends `signal` and returns at once: safe from any task. (Waiting for the exit with
    /// Foundation's `Process` from a task of a busy task group crashed libdispatch on Linux.)
    func send(_ signal: Int32) {
        _ = Foundation.kill(process.processIdentifier, signal)
    }

    /// Waits for the process to end, without holding a thread of the concurrency pool: its exit
    /// status, or the signal that ended it.
    func exited() async -> (status: Int32, signaled: Bool) {
        var it = exit.makeAsyncIterator()
        return await it.next() ?? (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }
}

/// The setting of most end-to-end tests: a fresh folder with `ServeTests`' configuration, a fake
/// Slack it points at, and a libcurl client; all removed or shut down afterwards.
struct ServeSetting: Sendable {
    let dir: String
    let slack: FakeSlack
    let slackPort: Int
    let curl: CurlClient
}

func withServeFolder<T: Sendable>(_ name: String, slack: FakeSlack = FakeSlack(), _ body: @Sendable (ServeSetting) async throws -> T) async throws -> T {
    let dir = NSTemporaryDirectory() + "klaxon-\(name)-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let curl = CurlClient()
    defer { curl.shutdown() }
    return try await slack.run { slackPort in
        try ServeTests().writeConfig(in: dir, slackPort: slackPort)
        return try await body(ServeSetting(dir: dir, slack: slack, slackPort: slackPort, curl: curl))
    }
}

/// The secrets `ServeTests`' configuration reads.
let serveEnvironment = ["KLAXON_PROMETHEUS_TOKEN": "am-test-token", "SLACK_BOT_TOKEN": "xoxb-e2e",
                        "SLACK_SIGNING_SECRET": ServeTests.secret, "KLAXON_API_TOKEN": "api-e2e"]

/// `klaxon serve` on that folder, on a free port and the virtual clock (from `start`, or now).
func serveFolder(_ dir: String, start: String? = nil, environment extra: [String: String] = [:]) throws -> KlaxonProcess {
    let args = ["serve", "--config", dir + "/klaxon.yaml", "--listen", "127.0.0.1:0", "--virtual-clock"] + (start.map { ["--virtual-clock-start", $0] } ?? [])
    return try KlaxonProcess(binary: ServeTests.binary, arguments: args, environment: serveEnvironment.merging(extra) { _, new in new })
}
