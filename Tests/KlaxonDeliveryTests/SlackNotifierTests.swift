import Foundation
import Hummingbird
import Testing
import KlaxonCore
import KlaxonCurl
import KlaxonEngine
import KlaxonTestSupport
@testable import KlaxonDelivery

/// What the fake Slack Web API received.
final class SlackLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(path: String, auth: String?, body: [String: Any])] = []
    func append(_ path: String, _ auth: String?, _ body: [String: Any]) { lock.lock(); items.append((path, auth, body)); lock.unlock() }
    var all: [(path: String, auth: String?, body: [String: Any])] { lock.lock(); defer { lock.unlock() }; return items }
}

struct SlackNotifierTests {
    func notifier(port: Int, client: CurlClient) throws -> SlackNotifier {
        SlackNotifier(channel: Channel(name: "slack", kind: .slack, token: .literal("xoxb-test"), apiURL: "http://127.0.0.1:\(port)/api"),
                      client: client, templates: TemplateLibrary(try TemplateSet(directory: nil)), people: { _ in nil })
    }

    /// A fake Slack Web API that logs each call and answers `answer`.
    func fakeSlack(_ log: SlackLog, answer: String) -> (Router<TestContext>) -> Void {
        { router in
            router.post("/api/:method") { req, ctx in
                var req = req
                let body = try await req.collectBody(upTo: 1 << 20)
                log.append("/api/" + (ctx.parameters.get("method") ?? ""), req.headers[.authorization],
                           (try JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:])
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: answer)))
            }
        }
    }

    @Test func aPageIsADirectMessageWithTheBotToken() async throws {
        let log = SlackLog()
        let client = CurlClient()
        defer { client.shutdown() }
        let outcome = try await withServer(fakeSlack(log, answer: #"{"ok": true, "channel": "D0ALICE", "ts": "1795420801.000100"}"#)) { port in
            await (try notifier(port: port, client: client)).deliver(samplePage())
        }
        #expect(outcome == .sent(ExternalRef(channel: "D0ALICE", id: "1795420801.000100")))
        let call = try #require(log.all.first)
        #expect(call.path == "/api/chat.postMessage")
        #expect(call.auth == "Bearer xoxb-test")
        #expect(call.body["channel"] as? String == "U0ALICE01")
        #expect((call.body["text"] as? String)?.hasPrefix("[P0] INC-1") == true)
        #expect((call.body["blocks"] as? [Any])?.isEmpty == false)
    }

    @Test func anUpdateUsesChatUpdateOnTheSameMessage() async throws {
        let log = SlackLog()
        let client = CurlClient()
        defer { client.shutdown() }
        let outcome = try await withServer(fakeSlack(log, answer: #"{"ok": true, "channel": "D0ALICE", "ts": "1.2"}"#)) { port in
            await (try notifier(port: port, client: client)).deliver(samplePage(status: .acknowledged, kind: .pageUpdate, previous: ExternalRef(channel: "D0ALICE", id: "1.2")))
        }
        #expect(outcome == .sent(ExternalRef(channel: "D0ALICE", id: "1.2")))
        let call = try #require(log.all.first)
        #expect(call.path == "/api/chat.update")
        #expect(call.body["ts"] as? String == "1.2")
        #expect(call.body["channel"] as? String == "D0ALICE")
    }

    @Test(arguments: [
        (200, "", #"{"ok": false, "error": "channel_not_found"}"#, "failed"),
        (200, "", #"{"ok": false, "error": "invalid_auth"}"#, "failed"),
        (200, "", #"{"ok": false, "error": "internal_error"}"#, "retry"),
        (429, "7", #"{"ok": false, "error": "ratelimited"}"#, "retry:7"),
        (503, "", "upstream down", "retry"),
        (400, "", "bad", "failed"),
    ])
    func slackErrorsAreClassified(_ status: Int, _ retryAfter: String, _ body: String, _ expected: String) {
        var headers: [(name: String, value: String)] = []
        if !retryAfter.isEmpty { headers.append(("Retry-After", retryAfter)) }
        let outcome = SlackNotifier.classify(method: "chat.postMessage", response: KlaxonCurl.HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
        switch outcome {
        case .failed: #expect(expected == "failed")
        case .retry(let after, _): #expect(expected == (after.map { "retry:\(Int($0))" } ?? "retry"))
        case .sent: Issue.record("sent")
        }
    }

    @Test func anUnreachableSlackIsRetried() async throws {
        let client = CurlClient()
        defer { client.shutdown() }
        // Port 9 (discard) is closed on loopback here: the connection is refused.
        let outcome = await (try notifier(port: 9, client: client)).deliver(samplePage())
        guard case .retry = outcome else { Issue.record("expected retry, got \(outcome)"); return }
    }
}
