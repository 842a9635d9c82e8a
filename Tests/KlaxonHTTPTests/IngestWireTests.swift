import Foundation
import KlaxonTestSupport
import NIOCore
import Testing
@testable import KlaxonHTTP

/// `klaxon_http_ingest_wire_total` as the live server's `/metrics` shows it: the requests
/// `IngestWire` answered from the bytes, before NIO's HTTP codec.
func wireAnswers(port: Int) async throws -> Int {
    let text = try await RawConnection.with(port: port) { c in
        try await c.send(rawRequest("GET", "/metrics"))
        return try await c.response().text
    }
    for line in text.split(separator: "\n") where line.hasPrefix("klaxon_http_ingest_wire_total ") {
        return Double(line.split(separator: " ").last ?? "").map { Int($0) } ?? -1
    }
    return 0
}

/// How `IngestWire` frames a request head: what it takes, and what it leaves to NIO's codec.
@Suite struct IngestWireFramingTests {
    static func head(_ lines: [String], body: String = "{}") -> [UInt8] {
        Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }

    static let clean = [
        "POST /v1/alerts/alertmanager HTTP/1.1",
        "Host: localhost",
        "Authorization: Bearer am-test-token",
        "Content-Type: application/json",
        "Content-Length: 2",
    ]

    static func parse(_ bytes: [UInt8]) -> IngestWire.Parsed {
        bytes.withUnsafeBytes { IngestWire.parse($0) }
    }

    @Test func aCleanRequestIsTaken() throws {
        let bytes = Self.head(Self.clean)
        guard case .ingest(let h) = Self.parse(bytes) else { Issue.record("not taken"); return }
        #expect(h.endpoint == .alertmanager)
        #expect(h.headLength == bytes.count - 2)
        #expect(h.bodyLength == 2)
        #expect(h.bearer == .some("am-test-token"))
        #expect(h.contentType == "application/json")
    }

    @Test func everyPrefixOfACleanHeadIsIncomplete() {
        let bytes = Self.head(Self.clean, body: "")
        for n in 0..<bytes.count {
            #expect(Self.parse(Array(bytes.prefix(n))) == .incomplete, "prefix of \(n) bytes")
        }
        if case .ingest = Self.parse(bytes) {} else { Issue.record("the whole head is not taken") }
    }

    @Test(arguments: [
        ("POST /v1/alerts HTTP/1.1", IngestEndpoint.generic),
        ("POST /v1/alerts/grafana HTTP/1.1", .grafana),
        ("POST /v2/enqueue HTTP/1.1", .pagerDuty),
        ("POST /v1/alerts?team=x HTTP/1.1", .generic),
    ])
    func everyIngestPathIsTaken(_ line: String, _ endpoint: IngestEndpoint) {
        guard case .ingest(let h) = Self.parse(Self.head([line, "Content-Length: 2"])) else { Issue.record(Comment(rawValue: line)); return }
        #expect(h.endpoint == endpoint)
    }

    @Test func fieldNamesInAnyCaseAndValuesWithSpacesAround() {
        let bytes = Self.head(["POST /v1/alerts HTTP/1.1", "AUTHORIZATION:   Bearer x \t", "content-TYPE:application/json", "CONTENT-LENGTH: 2", "Connection: Keep-Alive"])
        guard case .ingest(let h) = Self.parse(bytes) else { Issue.record("not taken"); return }
        #expect(h.bearer == .some("x"))
        #expect(h.contentType == "application/json")
        #expect(h.bodyLength == 2)
    }

    /// The usual "Bearer <token>" is read on the bytes; other forms as `bearerToken` reads them,
    /// so both paths refuse and accept the same values.
    @Test(arguments: [
        ("Authorization: Bearer am-test-token", String??.some("am-test-token")),
        ("Authorization: bearer   am-test-token", .some("am-test-token")),
        ("Authorization: BEARER am-test-token", .some("am-test-token")),
        ("Authorization: Basic YTpi", .some(nil)),
        ("Authorization: Bearer", .some(nil)),
        ("Authorization: Bearer ", .some(nil)),
        ("Host: x", nil),
    ])
    func theBearerTokenIsReadAsTheRoutesReadIt(_ field: String, _ expected: String??) {
        guard case .ingest(let h) = Self.parse(Self.head(["POST /v1/alerts HTTP/1.1", field, "Content-Length: 2"])) else { Issue.record("not taken"); return }
        #expect(h.bearer == expected, "\(field)")
        if let value = field.split(separator: ":", maxSplits: 1).last, field.hasPrefix("Authorization") {
            #expect(bearerToken(value.trimmingCharacters(in: .whitespaces)) == expected ?? nil, "\(field)")
        }
    }

    @Test func noContentLengthMeansNoBody() {
        guard case .ingest(let h) = Self.parse(Self.head(["POST /v1/alerts HTTP/1.1", "Host: x"], body: "")) else { Issue.record("not taken"); return }
        #expect(h.bodyLength == 0)
    }

    /// Each of these goes to NIO's codec, whose rules (and `IngestFastPath`, and Hummingbird)
    /// answer it as before.
    static let others: [(String, [UInt8])] = [
        ("GET, at its first byte", Array("G".utf8)),
        ("a GET", head(["GET /healthz HTTP/1.1", "Host: x"], body: "")),
        ("lower-case method", head(["post /v1/alerts HTTP/1.1", "Content-Length: 2"])),
        ("PUT", head(["PUT /v1/alerts HTTP/1.1", "Content-Length: 2"])),
        ("another path", head(["POST /v1/incidents HTTP/1.1", "Content-Length: 2"])),
        ("a path with a trailing slash", head(["POST /v1/alerts/ HTTP/1.1", "Content-Length: 2"])),
        ("a path as long as an ingest path", head(["POST /v2/enqueux HTTP/1.1", "Content-Length: 2"])),
        ("a path as long as the Alertmanager path", head(["POST /v1/alerts/alertmanagex?a=b HTTP/1.1", "Content-Length: 2"])),
        ("absolute form", head(["POST http://x/v1/alerts HTTP/1.1", "Content-Length: 2"])),
        ("HTTP/1.0", head(["POST /v1/alerts HTTP/1.0", "Content-Length: 2"])),
        ("HTTP/2 version", head(["POST /v1/alerts HTTP/2.0", "Content-Length: 2"])),
        ("two spaces after the target", head(["POST /v1/alerts  HTTP/1.1", "Content-Length: 2"])),
        ("chunked", head(["POST /v1/alerts HTTP/1.1", "Transfer-Encoding: chunked"], body: "2\r\n{}\r\n0\r\n\r\n")),
        ("Expect", head(["POST /v1/alerts HTTP/1.1", "Expect: 100-continue", "Content-Length: 2"])),
        ("Upgrade", head(["POST /v1/alerts HTTP/1.1", "Upgrade: h2c", "Content-Length: 2"])),
        ("Connection: close", head(["POST /v1/alerts HTTP/1.1", "Connection: close", "Content-Length: 2"])),
        ("Connection: upgrade", head(["POST /v1/alerts HTTP/1.1", "Connection: keep-alive, upgrade", "Content-Length: 2"])),
        ("two Content-Lengths", head(["POST /v1/alerts HTTP/1.1", "Content-Length: 2", "Content-Length: 2"])),
        ("two Authorizations", head(["POST /v1/alerts HTTP/1.1", "Authorization: Bearer a", "Authorization: Bearer b", "Content-Length: 2"])),
        ("two Content-Types", head(["POST /v1/alerts HTTP/1.1", "Content-Type: application/json", "Content-Type: text/plain", "Content-Length: 2"])),
        ("a signed Content-Length", head(["POST /v1/alerts HTTP/1.1", "Content-Length: +2"])),
        ("an empty Content-Length", head(["POST /v1/alerts HTTP/1.1", "Content-Length: "])),
        ("Content-Length over 1 MiB", head(["POST /v1/alerts HTTP/1.1", "Content-Length: 1048577"])),
        ("a huge Content-Length", head(["POST /v1/alerts HTTP/1.1", "Content-Length: 99999999999999999999"])),
        ("a folded field", head(["POST /v1/alerts HTTP/1.1", "Authorization: Bearer", " am-test-token", "Content-Length: 2"])),
        ("a space before the colon", head(["POST /v1/alerts HTTP/1.1", "Authorization : Bearer x", "Content-Length: 2"])),
        ("a line without a colon", head(["POST /v1/alerts HTTP/1.1", "Authorization", "Content-Length: 2"])),
        ("an empty field name", head(["POST /v1/alerts HTTP/1.1", ": x", "Content-Length: 2"])),
        ("a bare LF inside the head", head(["POST /v1/alerts HTTP/1.1", "Host: x\nContent-Length: 2"])),
        ("a bare CR inside a value", head(["POST /v1/alerts HTTP/1.1", "Host: x\ry", "Content-Length: 2"])),
        ("a NUL in a value", head(["POST /v1/alerts HTTP/1.1", "Host: x\u{0}y", "Content-Length: 2"])),
        ("a DEL in a value", head(["POST /v1/alerts HTTP/1.1", "Host: x\u{7F}", "Content-Length: 2"])),
        ("a control byte in the target", head(["POST /v1/alerts\u{1}x HTTP/1.1", "Content-Length: 2"])),
        ("a non-ASCII token", head(["POST /v1/alerts HTTP/1.1", "Authorization: Bearer tök", "Content-Length: 2"])),
        ("a non-ASCII content type", head(["POST /v1/alerts HTTP/1.1", "Content-Type: application/jsön", "Content-Length: 2"])),
        ("a head longer than the limit", Array(("POST /v1/alerts HTTP/1.1\r\nX: " + String(repeating: "a", count: IngestWire.maxHead)).utf8)),
    ]

    @Test(arguments: others.indices)
    func oddRequestsGoToTheCodec(_ index: Int) {
        let (name, bytes) = Self.others[index]
        #expect(Self.parse(bytes) == .other, "\(name)")
    }

    @Test func otherFieldsMayHoldAnyVisibleByteAndObsText() {
        let bytes = Self.head(["POST /v1/alerts HTTP/1.1", "X-Note: ünïcode \t ok", "User-Agent: Alertmanager/0.25.0", "Content-Length: 2"])
        if case .ingest = Self.parse(bytes) {} else { Issue.record("not taken") }
    }

    @Test func seededRandomHeadsNeverCrashAndTakeOnlyWellFramedOnes() {
        // Mutants of a clean head: whatever the parser takes must still be a POST to an ingest
        // path whose body length is within the bytes' limit.
        var random = SplitMix64(seed: 0x5EED)
        let base = Self.head(Self.clean)
        for _ in 0..<5_000 {
            var b = base
            for _ in 0..<(1 + Int(random.next() % 4)) {
                let at = Int(random.next() % UInt64(b.count))
                switch random.next() % 3 {
                case 0: b[at] = UInt8(truncatingIfNeeded: random.next())
                case 1: b.remove(at: at)
                default: b.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                }
            }
            if case .ingest(let h) = Self.parse(b) {
                #expect(b.starts(with: Array("POST /".utf8)))
                #expect(h.headLength <= b.count && h.bodyLength <= maxBodySize)
                #expect(Array(b[(h.headLength - 4)..<h.headLength]) == [13, 10, 13, 10])
            }
        }
    }
}

/// `IngestWire` on a live server: what it answers, and how a connection passes to the codec.
@Suite struct IngestWireLiveTests {
    static let alert = try! IngestRequest(fixture: "alertmanager/firing-gpu-memory.json")

    func live(_ body: @escaping @Sendable (HTTPHarness, Int) async throws -> Void) async throws {
        let h = try HTTPHarness()
        try await h.server().test(.live) { client in try await body(h, try #require(client.port)) }
    }

    /// `bytes` sent to a fresh server: its answer, and how many requests the wire answered.
    static func answer(_ bytes: [UInt8]) async throws -> (RawResponse, Int) {
        let h = try HTTPHarness()
        return try await h.server().test(.live) { client in
            let port = try #require(client.port)
            let before = try await wireAnswers(port: port)
            let r = try await RawConnection.with(port: port) { c in
                try await c.send(bytes)
                return try await c.response()
            }
            return (r, try await wireAnswers(port: port) - before)
        }
    }

    @Test func everyFixtureOnOneConnectionIsAnsweredFromTheBytes() async throws {
        let names = ["alertmanager/firing-accuracy-drop-2-alerts.json", "alertmanager/firing-feature-pipeline.json",
                     "pagerduty/trigger-drift.json", "pagerduty/acknowledge-drift.json", "alertmanager/resolved-feature-pipeline.json"]
        let requests = try names.map { try IngestRequest(fixture: $0) }
        try await live { h, port in
            let before = try await wireAnswers(port: port)
            try await RawConnection.with(port: port) { c in
                for r in requests {
                    try await c.send(r.bytes)
                    let answer = try await c.response()
                    #expect(answer.status == 202, "\(r.name): \(answer.text)")
                }
            }
            #expect(try await wireAnswers(port: port) - before == requests.count)
            let incidents = try await h.engine.incidents(openOnly: false)
            #expect(incidents.count == 3)
        }
    }

    /// The same request answered by the wire and, chunked, by the codec's fast path: the same
    /// status line, fields (but Date) and body.
    @Test func theWireAnswersByteForByteAsTheCodecPath() async throws {
        let requests: [IngestRequest] = [
            Self.alert,
            IngestRequest("wrong token", headers: [("Authorization", "Bearer nope"), ("Content-Type", "application/json")], body: Array("{}".utf8)),
            IngestRequest("form", headers: [("Authorization", "Bearer am-test-token"), ("Content-Type", "text/plain")], body: Array("{}".utf8)),
            IngestRequest("bad JSON", body: Array("{\"version\":".utf8)),
            IngestRequest("PagerDuty bad action", path: "/v2/enqueue", headers: [("Content-Type", "application/json")],
                          body: Array(#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"explode"}"#.utf8)),
        ]
        func heads(_ r: RawResponse) -> [String] {
            r.headers.filter { $0.name.lowercased() != "date" }.map { "\($0.name): \($0.value)" }
        }
        for r in requests {
            var chunked = r
            chunked.headers.append(("Transfer-Encoding", "chunked"))
            let hex = String(r.body.count, radix: 16)
            let chunkedBody = r.body.isEmpty ? Array("0\r\n\r\n".utf8) : Array("\(hex)\r\n".utf8) + r.body + Array("\r\n0\r\n\r\n".utf8)
            let viaCodec = rawRequest("POST", r.path, headers: chunked.headers, body: chunkedBody)
            let (w, wireCount) = try await Self.answer(r.bytes)
            let (k, codecCount) = try await Self.answer(viaCodec)
            #expect(wireCount == 1, "\(r.name)")
            #expect(codecCount == 0, "\(r.name)")
            #expect(w.status == k.status, "\(r.name)")
            #expect(heads(w) == heads(k), "\(r.name)")
            #expect(w.text == k.text, "\(r.name)")
            #expect(w.header("Date")?.hasSuffix(" GMT") == true)
        }
    }

    /// Many connections with the engine at once: the writer commits them in shared batches and
    /// the answers go back through each event loop's mailbox, a batch at a time. Each
    /// connection gets its own answers (its own group's incident), in order, none lost or doubled.
    @Test func manyConnectionsAtOnceEachGetTheirOwnAnswers() async throws {
        try await live { h, port in
            let before = try await wireAnswers(port: port)
            let connections = 40, each = 3
            func body(group: Int, alert: Int) -> [UInt8] {
                let labels = #"{"alertname":"Load","group":"g\#(group)","instance":"i\#(alert)"}"#
                return Array(("""
                    {"receiver":"klaxon","status":"firing","alerts":[{"status":"firing","labels":\(labels),"annotations":{"summary":"load g\(group)"},\
                    "startsAt":"2026-12-07T00:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://x/","fingerprint":"\(String(format: "%08x%08x", group, alert))"}],\
                    "groupLabels":{"group":"g\(group)"},"commonLabels":\(labels),"commonAnnotations":{},"externalURL":"http://am","version":"4",\
                    "groupKey":"{}:{group=\\"g\(group)\\"}","truncatedAlerts":0}
                    """).utf8)
            }
            let ids = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
                for g in 0..<connections {
                    group.addTask {
                        try await RawConnection.with(port: port) { c in
                            var seen: [String] = []
                            for a in 0..<each {
                                try await c.send(IngestRequest("g\(g)", body: body(group: g, alert: a)).bytes)
                                let r = try await c.response()
                                #expect(r.status == 202, "\(r.text)")
                                seen += r.json["incidents"] as? [String] ?? []
                            }
                            return (g, seen)
                        }
                    }
                }
                var all: [Int: [String]] = [:]
                for try await (g, seen) in group { all[g] = seen }
                return all
            }
            #expect(ids.count == connections)
            for (g, seen) in ids {
                #expect(seen.count == each && Set(seen).count == 1, "group \(g): \(seen)")
            }
            // One incident per connection's group, each answered to that connection alone.
            #expect(Set(ids.values.compactMap(\.first)).count == connections)
            #expect(try await wireAnswers(port: port) - before == connections * each)
            let incidents = try await h.engine.incidents(openOnly: false)
            #expect(incidents.count == connections)
        }
    }

    @Test func aRequestSentOneByteAtATimeIsAnswered() async throws {
        try await live { _, port in
            let before = try await wireAnswers(port: port)
            try await RawConnection.with(port: port) { c in
                for b in Self.alert.bytes { try await c.send([b]) }
                let r = try await c.response()
                #expect(r.status == 202)
                #expect(r.json["incidents"] as? [String] == ["INC-1"])
            }
            #expect(try await wireAnswers(port: port) - before == 1)
        }
    }

    @Test func pipelinedRequestsPassToTheCodecAtTheFirstOddOneAndStayInOrder() async throws {
        let second = try IngestRequest(fixture: "alertmanager/firing-feature-pipeline.json")
        let healthz = rawRequest("GET", "/healthz")
        try await live { _, port in
            let before = try await wireAnswers(port: port)
            let fastBefore = try #require(try await fastPathAnswers(port: port))
            try await RawConnection.with(port: port) { c in
                // Two for the wire, then /healthz takes the connection to the codec.
                try await c.send(Self.alert.bytes + second.bytes + healthz + Self.alert.bytes)
                var statuses: [Int] = []
                var bodies: [[String: Any]] = []
                for _ in 0..<4 {
                    let r = try await c.response()
                    statuses.append(r.status)
                    bodies.append(r.json)
                }
                #expect(statuses == [202, 202, 200, 202])
                #expect(bodies[0]["incidents"] as? [String] == ["INC-1"])
                #expect(bodies[1]["incidents"] as? [String] == ["INC-2"])
                #expect(bodies[3]["incidents"] as? [String] == ["INC-1"])
                // Still one connection, still alive.
                try await c.send(healthz)
                #expect(try await c.response().status == 200)
            }
            #expect(try await wireAnswers(port: port) - before == 2)
            // The last ingest is answered by IngestFastPath, or by the router when it came while
            // Hummingbird still owed /healthz's answer.
            #expect((2...3).contains(try #require(try await fastPathAnswers(port: port)) - fastBefore))
        }
    }

    /// More than a request's worth of pipelined bytes (over 1 MiB) waits while the engine has one:
    /// reading stops and starts again, and every request is answered, in order.
    @Test func aLongPipelineOverOneMiBIsAnsweredInOrder() async throws {
        let one = Self.alert.bytes
        let count = (IngestWire.maxHead + maxBodySize) / one.count + 200
        try await live { h, port in
            let before = try await wireAnswers(port: port)
            try await RawConnection.with(port: port) { c in
                try await c.send(Array([[UInt8]](repeating: one, count: count).joined()))
                for i in 0..<count {
                    let r = try await c.response()
                    #expect(r.status == 202, "answer \(i)")
                    if r.status != 202 { return }
                }
                try await c.send(rawRequest("GET", "/healthz"))
                #expect(try await c.response().status == 200)
            }
            #expect(try await wireAnswers(port: port) - before == count)
            #expect(try await h.engine.incidents(openOnly: false).count == 1)
        }
    }

    @Test func aHalfCloseAfterARequestStillGetsItsAnswer() async throws {
        try await live { _, port in
            try await RawConnection.with(port: port) { c in
                try await c.send(Self.alert.bytes)
                c.finishSending()
                let r = try await c.response()
                #expect(r.status == 202)
                _ = try await c.untilClosed()
                #expect(c.closed)
            }
        }
    }

    @Test func aRefusedRequestAndAnAcceptedOneInOneWrite() async throws {
        let bad = IngestRequest("wrong token", headers: [("Authorization", "Bearer nope"), ("Content-Type", "application/json")], body: Array("{}".utf8))
        try await live { h, port in
            let before = try await wireAnswers(port: port)
            try await RawConnection.with(port: port) { c in
                try await c.send(bad.bytes + Self.alert.bytes + bad.bytes)
                #expect(try await c.response().status == 401)
                #expect(try await c.response().status == 202)
                #expect(try await c.response().status == 401)
            }
            #expect(try await wireAnswers(port: port) - before == 3)
            #expect(try await h.engine.incidents(openOnly: false).count == 1)
        }
    }
}
