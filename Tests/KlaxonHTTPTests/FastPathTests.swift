import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonCore
import KlaxonEngine
import KlaxonTestSupport
import Testing
@testable import KlaxonHTTP

/// A request to send both ways: through Hummingbird's router (`.router` tests never run channel
/// handlers) and over loopback to the server `klaxon serve` builds, where `IngestFastPath`
/// answers it on the event loop.
struct IngestRequest: Sendable, CustomStringConvertible {
    var name: String
    var path: String
    var headers: [(String, String)]
    var body: [UInt8]
    var description: String { name }

    init(_ name: String, path: String = "/v1/alerts/alertmanager", headers: [(String, String)] = [("Authorization", "Bearer am-test-token"), ("Content-Type", "application/json")],
         body: [UInt8]) {
        self.name = name; self.path = path; self.headers = headers; self.body = body
    }

    init(fixture relative: String) throws {
        let f = try Fixture(relative)
        self.init(relative, path: f.path, headers: f.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, body: f.body)
    }

    var fields: HTTPFields {
        var h = HTTPFields()
        for (k, v) in headers { h[HTTPField.Name(k)!] = v }
        return h
    }

    var bytes: [UInt8] { rawRequest("POST", path, headers: headers, body: body) }
}

/// What a client sees of an answer.
struct Seen: Equatable, CustomStringConvertible {
    var status: Int
    var contentType: String?
    var retryAfter: String?
    var wwwAuthenticate: String?
    var body: String

    init(_ r: TestResponse) {
        status = Int(r.status.code); contentType = r.headers[.contentType]
        retryAfter = r.headers[.retryAfter]; wwwAuthenticate = r.headers[.wwwAuthenticate]
        body = String(buffer: r.body)
    }

    init(_ r: RawResponse) {
        status = r.status; contentType = r.header("Content-Type")
        retryAfter = r.header("Retry-After"); wwwAuthenticate = r.header("WWW-Authenticate")
        body = r.text
    }

    var description: String { "\(status) \(body)" }
}

/// `klaxon_alert_requests_total` and `klaxon_alerts_total` of the harness's integrations (their
/// names carry `prefix`, and so does its `unknown`).
func requestCounts(prefix: String) -> [String: Int] {
    let text = String(decoding: testRegistry.emitToBuffer(), as: UTF8.self)
    var counts: [String: Int] = [:]
    for line in text.split(separator: "\n") where (line.hasPrefix("klaxon_alert_requests_total{") || line.hasPrefix("klaxon_alerts_total{"))
        && line.contains("integration=\"\(prefix)") {
        let parts = line.split(separator: " ")
        counts[String(parts[0])] = Int(Double(parts[parts.count - 1]) ?? -1)
    }
    return counts
}

/// `klaxon_http_ingest_fast_path_total` as the live server's `/metrics` shows it: the requests
/// `IngestFastPath` answered (nil if the line is missing).
func fastPathAnswers(port: Int) async throws -> Int? {
    let text = try await RawConnection.with(port: port) { c in
        try await c.send(rawRequest("GET", "/metrics"))
        return try await c.response().text
    }
    for line in text.split(separator: "\n") where line.hasPrefix("klaxon_http_ingest_fast_path_total ") {
        return Double(line.split(separator: " ").last ?? "").map { Int($0) }
    }
    return nil
}

/// Sends `requests` through the router of a fresh harness: answers, counter changes, store changes.
func viaRouter(_ requests: [IngestRequest], prefix: String) async throws -> (seen: [Seen], counts: [String: Int], store: [Int], changed: Bool) {
    let h = try HTTPHarness(prefix: prefix)
    try await h.openIncidents(upTo: 1)
    let before = try await h.counts()
    let countsBefore = requestCounts(prefix: prefix)
    let seen = try await h.app().test(.router) { client in
        var seen: [Seen] = []
        for r in requests {
            seen.append(Seen(try await client.execute(uri: r.path, method: .post, headers: r.fields, body: ByteBuffer(bytes: r.body))))
        }
        return seen
    }
    let after = try await h.counts()
    return (seen, delta(countsBefore, requestCounts(prefix: prefix)), after, after != before)
}

/// Sends `requests` over loopback to the server of a fresh harness, one connection each (or
/// all on one keep-alive connection), checking that the fast path answered every one.
func viaFastPath(_ requests: [IngestRequest], prefix: String, oneConnection: Bool = false) async throws -> (seen: [Seen], counts: [String: Int], store: [Int], changed: Bool) {
    let h = try HTTPHarness(prefix: prefix)
    try await h.openIncidents(upTo: 1)
    let before = try await h.counts()
    let countsBefore = requestCounts(prefix: prefix)
    let seen = try await h.server().test(.live) { client in
        let port = try #require(client.port)
        let answeredBefore = try #require(try await fastPathAnswers(port: port))
        var seen: [Seen] = []
        if oneConnection {
            try await RawConnection.with(port: port) { c in
                for r in requests {
                    try await c.send(r.bytes)
                    seen.append(Seen(try await c.response()))
                }
            }
        } else {
            for r in requests {
                seen.append(try await RawConnection.with(port: port) { c in
                    try await c.send(r.bytes)
                    return Seen(try await c.response())
                })
            }
        }
        let answered = try #require(try await fastPathAnswers(port: port))
        #expect(answered - answeredBefore == requests.count, "not every request was answered by the fast path")
        return seen
    }
    let after = try await h.counts()
    return (seen, delta(countsBefore, requestCounts(prefix: prefix)), after, after != before)
}

func delta(_ before: [String: Int], _ after: [String: Int]) -> [String: Int] {
    var d: [String: Int] = [:]
    for (k, v) in after where v != before[k] ?? 0 { d[k] = v - (before[k] ?? 0) }
    return d
}

/// The event-loop ingest path answers exactly as the router does.
@Suite struct FastPathAnswersAsTheRouterTests {
    @Test func everyAlertmanagerAndPagerDutyFixture() async throws {
        let names = ["alertmanager/firing-accuracy-drop-2-alerts.json", "alertmanager/firing-feature-pipeline.json",
                     "alertmanager/firing-gpu-memory.json", "alertmanager/resolved-feature-pipeline.json",
                     "pagerduty/trigger-drift.json", "pagerduty/acknowledge-drift.json", "pagerduty/resolve-drift.json",
                     "pagerduty/trigger-rag-index.json"]
        // Every fixture of both folders is in the list.
        for folder in ["alertmanager", "pagerduty"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: sharedFixtures.appendingPathComponent(folder).path)
            #expect(Set(files.map { "\(folder)/\($0)" }).isSubset(of: Set(names)))
        }
        let requests = try names.map { try IngestRequest(fixture: $0) }
        let router = try await viaRouter(requests, prefix: "fx-")
        let fast = try await viaFastPath(requests, prefix: "fx-", oneConnection: true)
        #expect(router.seen.allSatisfy { $0.status == 202 }, "\(router.seen)")
        #expect(fast.seen == router.seen)
        #expect(fast.counts == router.counts)
        #expect(fast.counts["klaxon_alert_requests_total{integration=\"fx-prometheus\",outcome=\"accepted\"}"] == 4, "\(fast.counts)")
        #expect(fast.store == router.store)
    }

    @Test func theIncidentsAreTheSame() async throws {
        let requests = try ["alertmanager/firing-accuracy-drop-2-alerts.json", "alertmanager/firing-gpu-memory.json", "pagerduty/trigger-drift.json"]
            .map { try IngestRequest(fixture: $0) }
        func incidents(_ h: HTTPHarness) async throws -> [String] {
            try await h.engine.incidents(openOnly: false).map { "\($0.id) \($0.title) \($0.severity) \($0.status) \($0.integration)" }
        }
        let a = try HTTPHarness(), b = try HTTPHarness()
        try await a.app().test(.router) { client in
            for r in requests { _ = try await client.execute(uri: r.path, method: .post, headers: r.fields, body: ByteBuffer(bytes: r.body)) }
        }
        try await b.server().test(.live) { client in
            try await RawConnection.with(port: try #require(client.port)) { c in
                for r in requests {
                    try await c.send(r.bytes)
                    #expect(try await c.response().status == 202)
                }
            }
        }
        let expected = try await incidents(a)
        #expect(expected.count == 3)
        #expect(try await incidents(b) == expected)
        #expect(try await b.engine.detail(1).alerts.map(\.alert.fingerprint).sorted() == ["1b3845ba7f237ea3", "f9aebd216ec76f19"])
    }

    static let oversized = Array(repeating: UInt8(ascii: " "), count: (1 << 20) + 10)
    static let pagerDutyJSON = [("Content-Type", "application/json")]

    static let hostile: [IngestRequest] = [
        IngestRequest("malformed JSON", body: Array("{\"version\": \"4\",".utf8)),
        IngestRequest("invalid UTF-8", body: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]),
        IngestRequest("JSON array", body: Array("[1,2,3]".utf8)),
        IngestRequest("empty body", body: []),
        IngestRequest("version 3", body: Array(#"{"version":"3","groupKey":"g","alerts":[]}"#.utf8)),
        IngestRequest("form content type", headers: [("Authorization", "Bearer am-test-token"), ("Content-Type", "application/x-www-form-urlencoded")], body: Array("{}".utf8)),
        IngestRequest("no content type", headers: [("Authorization", "Bearer am-test-token")], body: Array("{}".utf8)),
        IngestRequest("no token", headers: [("Content-Type", "application/json")], body: Array("{}".utf8)),
        IngestRequest("wrong token", headers: [("Authorization", "Bearer nope"), ("Content-Type", "application/json")], body: Array("{}".utf8)),
        IngestRequest("basic scheme", headers: [("Authorization", "Basic YW06dGVzdA=="), ("Content-Type", "application/json")], body: Array("{}".utf8)),
        IngestRequest("empty bearer", headers: [("Authorization", "Bearer "), ("Content-Type", "application/json")], body: Array("{}".utf8)),
        IngestRequest("lower-case bearer with spaces", headers: [("Authorization", "bearer   nope  "), ("Content-Type", "application/json")], body: Array("{}".utf8)),
        IngestRequest("grafana token on alertmanager", headers: [("Authorization", "Bearer grafana-test-token"), ("Content-Type", "application/json")], body: Array("{}".utf8)),
        IngestRequest("body over 1 MiB", body: oversized),
        IngestRequest("body over 1 MiB and a wrong token", headers: [("Authorization", "Bearer nope"), ("Content-Type", "application/json")], body: oversized),
        IngestRequest("grafana bad state", path: "/v1/alerts/grafana", headers: [("Authorization", "Bearer grafana-test-token"), ("Content-Type", "application/json")],
                      body: Array(#"{"version":"1","groupKey":"g","state":"burning","alerts":[]}"#.utf8)),
        IngestRequest("generic without summary", path: "/v1/alerts?x=1", headers: [("Authorization", "Bearer generic-token"), ("Content-Type", "application/json")],
                      body: Array(#"{"source":"cron"}"#.utf8)),
        IngestRequest("PagerDuty bad action", path: "/v2/enqueue", headers: pagerDutyJSON,
                      body: Array(#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"explode"}"#.utf8)),
        IngestRequest("PagerDuty malformed JSON", path: "/v2/enqueue", headers: pagerDutyJSON, body: Array("{not json".utf8)),
        IngestRequest("PagerDuty unknown routing key", path: "/v2/enqueue", headers: pagerDutyJSON,
                      body: Array(#"{"routing_key":"R0UTINGKEY0000000000000000000001","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}"#.utf8)),
        IngestRequest("PagerDuty text content type", path: "/v2/enqueue", headers: [("Content-Type", "text/plain")], body: Array("{}".utf8)),
        IngestRequest("PagerDuty body over 1 MiB", path: "/v2/enqueue", headers: pagerDutyJSON, body: oversized),
    ]

    @Test(arguments: hostile.indices)
    func hostileInputIsRefusedAlikeAndChangesNothing(_ index: Int) async throws {
        let r = Self.hostile[index]
        let prefix = "hostile\(index)-"
        let router = try await viaRouter([r], prefix: prefix)
        let fast = try await viaFastPath([r], prefix: prefix)
        #expect(router.seen.first.map { (400..<500).contains($0.status) } == true, "\(r.name): \(router.seen)")
        #expect(router.seen.first?.contentType == IngestReply.contentType)
        #expect(fast.seen == router.seen, "\(r.name)")
        #expect(fast.counts == router.counts, "\(r.name)")
        #expect(!router.changed, "\(r.name) changed the store through the router")
        #expect(!fast.changed, "\(r.name) changed the store through the fast path")
    }

    @Test func theRateLimitAnswersAlike() async throws {
        let body = Array(#"{"summary":"disk full","source":"cron","dedup_key":"disk"}"#.utf8)
        let r = IngestRequest("generic", path: "/v1/alerts", headers: [("Authorization", "Bearer generic-token"), ("Content-Type", "application/json")], body: body)
        let router = try await viaRouter([r, r, r], prefix: "rate-")
        let fast = try await viaFastPath([r, r, r], prefix: "rate-", oneConnection: true)
        #expect(router.seen.map(\.status) == [202, 202, 429])
        #expect(router.seen.last?.retryAfter == "1")
        #expect(fast.seen == router.seen)
        #expect(fast.counts == router.counts)
        #expect(fast.store == router.store)
    }

    @Test func aPagerDutyTriggerWithoutDedupKeyGetsOne() async throws {
        let body = Array(#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}"#.utf8)
        let fast = try await viaFastPath([IngestRequest("pd", path: "/v2/enqueue", headers: [("Content-Type", "application/json")], body: body)], prefix: "pdkey-")
        #expect(fast.seen.first?.status == 202)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(fast.seen[0].body.utf8)) as? [String: Any])
        #expect((answer["dedup_key"] as? String)?.count == 32)
    }
}

/// HTTP/1.1 on the fast path: order, keep-alive, closing, framing, disconnects. A connection
/// that stops reading (as one handed to the codec did while `IngestWire` kept NIO's automatic
/// read off) fails here after a minute instead of holding the test run.
@Suite(.timeLimit(.minutes(1))) struct FastPathConnectionTests {
    static let alert = try! IngestRequest(fixture: "alertmanager/firing-gpu-memory.json")
    static let healthz = rawRequest("GET", "/healthz")

    func live(_ body: @escaping @Sendable (HTTPHarness, Int) async throws -> Void) async throws {
        let h = try HTTPHarness()
        try await h.server().test(.live) { client in try await body(h, try #require(client.port)) }
    }

    @Test func anIngestThenHealthzPipelinedAreAnsweredInOrder() async throws {
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(Self.alert.bytes + Self.healthz)
                let first = try await c.response()
                #expect(first.status == 202)
                #expect(first.json["incidents"] as? [String] == ["INC-1"])
                let second = try await c.response()
                #expect(second.status == 200)
                #expect(second.json["status"] as? String == "ok")
            }
            #expect(try await fastPathAnswers(port: port) == 1)
        }
    }

    @Test func healthzThenAnIngestPipelinedAreAnsweredInOrder() async throws {
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(Self.healthz + Self.alert.bytes)
                let first = try await c.response()
                #expect(first.status == 200)
                #expect(first.json["status"] as? String == "ok")
                let second = try await c.response()
                #expect(second.status == 202)
                #expect(second.json["incidents"] as? [String] == ["INC-1"])
            }
        }
    }

    @Test func aLongPipelineOfBothKindsStaysInOrder() async throws {
        let list = rawRequest("GET", "/v1/incidents", headers: [("Authorization", "Bearer \(apiToken)")])
        let bad = IngestRequest("bad", body: Array("{}".utf8)).bytes
        let second = try IngestRequest(fixture: "alertmanager/firing-feature-pipeline.json").bytes
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(Self.alert.bytes + Self.healthz + bad + second + list + Self.healthz + Self.alert.bytes)
                var statuses: [Int] = []
                var bodies: [[String: Any]] = []
                for _ in 0..<7 {
                    let r = try await c.response()
                    statuses.append(r.status)
                    bodies.append(r.json)
                }
                #expect(statuses == [202, 200, 400, 202, 200, 200, 202])
                #expect(bodies[3]["incidents"] as? [String] == ["INC-2"])
                #expect((bodies[4]["incidents"] as? [[String: Any]])?.count == 2)
                #expect(bodies[6]["incidents"] as? [String] == ["INC-1"])
            }
        }
    }

    @Test func anIngestThenTheIncidentListOnOneKeepAliveConnection() async throws {
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(Self.alert.bytes)
                let r = try await c.response()
                #expect(r.status == 202)
                #expect(r.header("Connection") == nil)
                #expect(r.header("Content-Length") == "\(r.body.count)")
                #expect(r.header("Server") == "Klaxon")
                #expect(r.header("Date")?.hasSuffix(" GMT") == true)
                try await c.send(rawRequest("GET", "/v1/incidents?status=open", headers: [("Authorization", "Bearer \(apiToken)")]))
                let list = try await c.response()
                #expect(list.status == 200)
                #expect((list.json["incidents"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["INC-1"])
                #expect(!c.closed)
            }
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        var closing = Self.alert
        closing.headers.append(("Connection", "close"))
        let request = closing
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                // The request after it is never answered.
                try await c.send(request.bytes + Self.healthz)
                let r = try await c.response()
                #expect(r.status == 202)
                #expect(r.header("Connection") == "close")
                #expect(try await c.untilClosed().isEmpty)
                #expect(c.closed)
            }
        }
    }

    @Test func http10WithoutKeepAliveIsClosedAfterTheAnswer() async throws {
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(rawRequest("POST", Self.alert.path, headers: Self.alert.headers, body: Self.alert.body, version: "HTTP/1.0"))
                let r = try await c.response()
                #expect(r.status == 202)
                #expect(try await c.untilClosed().isEmpty)
                #expect(c.closed)
            }
            // Hummingbird's routes close too.
            try await RawConnection.with(port: port) { c in
                try await c.send(rawRequest("GET", "/healthz", version: "HTTP/1.0"))
                #expect(try await c.response().status == 200)
                #expect(try await c.untilClosed().isEmpty)
            }
            #expect(try await fastPathAnswers(port: port) == 1)
        }
    }

    @Test func http10WithKeepAliveStaysOpen() async throws {
        var keepAlive = Self.alert
        keepAlive.headers.append(("Connection", "keep-alive"))
        let request = keepAlive
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(rawRequest("POST", request.path, headers: request.headers, body: request.body, version: "HTTP/1.0"))
                #expect(try await c.response().status == 202)
                try await c.send(rawRequest("GET", "/healthz", headers: [("Connection", "keep-alive")], version: "HTTP/1.0"))
                #expect(try await c.response().status == 200)
            }
        }
    }

    @Test func aBodyAnnouncedOverOneMiBIsRefusedAtOnceAndTheConnectionCloses() async throws {
        try await live { h, port in
            try await RawConnection.with(port: port) { c in
                // Only the head is sent.
                try await c.send(rawRequest("POST", "/v1/alerts/alertmanager", headers: Self.alert.headers + [("Content-Length", "\((1 << 20) + 1)")]))
                let r = try await c.response()
                #expect(r.status == 413)
                #expect(r.json["error"] as? String == "payload_too_large")
                #expect(r.header("Connection") == "close")
                _ = try await c.untilClosed()
                #expect(c.closed)
            }
            #expect(try await h.counts() == [0, 0, 0, 0, 0])
        }
    }

    @Test func aChunkedBodyInSeveralPartsIsGathered() async throws {
        let body = Self.alert.body
        let thirds = [Array(body[..<(body.count / 3)]), Array(body[(body.count / 3)..<(2 * body.count / 3)]), Array(body[(2 * body.count / 3)...])]
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(rawRequest("POST", Self.alert.path, headers: Self.alert.headers + [("Transfer-Encoding", "chunked")]))
                for part in thirds {
                    try await c.send(Array((String(part.count, radix: 16) + "\r\n").utf8) + part + Array("\r\n".utf8))
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await c.send("0\r\n\r\n")
                let r = try await c.response()
                #expect(r.status == 202)
                #expect(r.json["incidents"] as? [String] == ["INC-1"])
            }
        }
    }

    @Test func aChunkedBodyOverOneMiBIsRefused() async throws {
        try await live { h, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(rawRequest("POST", Self.alert.path, headers: Self.alert.headers + [("Transfer-Encoding", "chunked")]))
                let chunk = Array(repeating: UInt8(ascii: " "), count: 256 * 1024)
                for _ in 0..<5 {
                    try? await c.send(Array((String(chunk.count, radix: 16) + "\r\n").utf8) + chunk + Array("\r\n".utf8))
                }
                let r = try await c.response()
                #expect(r.status == 413)
                _ = try await c.untilClosed()
                #expect(c.closed)
            }
            #expect(try await h.counts() == [0, 0, 0, 0, 0])
        }
    }

    @Test func expect100ContinueIsAnswered() async throws {
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                var head = rawRequest("POST", Self.alert.path, headers: Self.alert.headers + [("Expect", "100-continue"), ("Content-Length", "\(Self.alert.body.count)")])
                try await c.send(head)
                #expect(try await c.response().status == 100)
                try await c.send(Self.alert.body)
                #expect(try await c.response().status == 202)
                // Refused before the body is sent: answered at once, then closed.
                head = rawRequest("POST", Self.alert.path, headers: [("Authorization", "Bearer nope"), ("Content-Type", "application/json"),
                                                                     ("Expect", "100-continue"), ("Content-Length", "10")])
                try await c.send(head)
                let refused = try await c.response()
                #expect(refused.status == 401)
                _ = try await c.untilClosed()
            }
        }
    }

    @Test func aClientLeavingMidCommitBreaksNothing() async throws {
        try await live { h, port in
            for i in 0..<20 {
                let request = try IngestRequest(fixture: i % 2 == 0 ? "alertmanager/firing-gpu-memory.json" : "alertmanager/firing-feature-pipeline.json")
                try await RawConnection.with(port: port) { c in
                    try await c.send(request.bytes + Self.healthz)
                }
            }
            // Half-closed after the request: still answered.
            try await RawConnection.with(port: port) { c in
                try await c.send(try IngestRequest(fixture: "alertmanager/firing-accuracy-drop-2-alerts.json").bytes)
                c.finishSending()
                #expect(try await c.response().status == 202)
            }
            try await RawConnection.with(port: port) { c in
                try await c.send(Self.healthz)
                #expect(try await c.response().status == 200)
            }
            // The alerts were committed all the same.
            var counts: [Int] = []
            for _ in 0..<50 {
                counts = try await h.counts()
                if counts.first == 3 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(counts.first == 3)
        }
    }

    @Test func otherRequestsAndMethodsGoToTheRouter() async throws {
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(rawRequest("GET", "/v1/alerts/alertmanager"))
                #expect(try await c.response().status == 404)
                try await c.send(rawRequest("POST", "/v1/alerts/alertmanager/extra", headers: Self.alert.headers, body: Self.alert.body))
                #expect(try await c.response().status == 404)
                try await c.send(rawRequest("GET", "/metrics"))
                let metrics = try await c.response()
                #expect(metrics.status == 200)
            }
            #expect(try await fastPathAnswers(port: port) == 0)
        }
    }
}

struct HTTPDateTests {
    @Test(arguments: [(0, "Thu, 01 Jan 1970 00:00:00 GMT"), (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
                      (1_795_420_830, "Mon, 23 Nov 2026 08:00:30 GMT"), (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT")])
    func formats(_ t: Int, _ text: String) {
        #expect(HTTPDate.format(t) == text)
    }
}
