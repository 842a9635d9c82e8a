import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonTestSupport
import Testing
@testable import KlaxonHTTP

/// Malformed, hostile and unauthorised requests: each gets a JSON 4xx and changes nothing.
struct HostileInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var uri = "/v1/alerts/alertmanager"
        var method: HTTPRequest.Method = .post
        var headers: [String: String] = ["Authorization": "Bearer am-test-token", "Content-Type": "application/json"]
        var body: [UInt8]
        var status: HTTPResponse.Status
        var description: String { name }
    }

    static var valid: [String: Any] {
        let data = try! Data(contentsOf: sharedFixtures.appendingPathComponent("alertmanager/firing-gpu-memory.json"))
        return (try! JSONSerialization.jsonObject(with: data) as! [String: Any])["body"] as! [String: Any]
    }

    static func mutated(_ change: (inout [String: Any]) -> Void) -> [UInt8] {
        var o = valid
        change(&o)
        return Array(try! JSONSerialization.data(withJSONObject: o))
    }

    static func alertMutated(_ change: (inout [String: Any]) -> Void) -> [UInt8] {
        mutated { o in
            var alerts = o["alerts"] as! [[String: Any]]
            change(&alerts[0])
            o["alerts"] = alerts
        }
    }

    static let cases: [Case] = {
        let good = mutated { _ in }
        let cs: [Case] = [
            Case(name: "no token", headers: ["Content-Type": "application/json"], body: good, status: .unauthorized),
            Case(name: "wrong token", headers: ["Authorization": "Bearer nope", "Content-Type": "application/json"], body: good, status: .unauthorized),
            Case(name: "basic scheme", headers: ["Authorization": "Basic YW06dGVzdA==", "Content-Type": "application/json"], body: good, status: .unauthorized),
            Case(name: "empty bearer", headers: ["Authorization": "Bearer ", "Content-Type": "application/json"], body: good, status: .unauthorized),
            Case(name: "token of an integration whose secret is unset", headers: ["Authorization": "Bearer ${env:UNSET}", "Content-Type": "application/json"], body: good, status: .unauthorized),
            Case(name: "form content type", headers: ["Authorization": "Bearer am-test-token", "Content-Type": "application/x-www-form-urlencoded"], body: good, status: .unsupportedMediaType),
            Case(name: "no content type", headers: ["Authorization": "Bearer am-test-token"], body: good, status: .unsupportedMediaType),
            Case(name: "empty body", body: [], status: .badRequest),
            Case(name: "malformed JSON", body: Array("{\"version\": \"4\",".utf8), status: .badRequest),
            Case(name: "truncated JSON", body: Array(good.prefix(good.count / 2)), status: .badRequest),
            Case(name: "JSON array", body: Array("[1,2,3]".utf8), status: .badRequest),
            Case(name: "JSON string", body: Array("\"hello\"".utf8), status: .badRequest),
            Case(name: "invalid UTF-8", body: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], status: .badRequest),
            Case(name: "100k-deep nesting", body: Array(String(repeating: "[", count: 100_000).utf8) + Array(String(repeating: "]", count: 100_000).utf8), status: .badRequest),
            Case(name: "deep nesting in a field", body: Array(("{\"version\":\"4\",\"x\":" + String(repeating: "{\"a\":", count: 5000) + "1" + String(repeating: "}", count: 5000) + "}").utf8), status: .badRequest),
            Case(name: "body over 1 MiB", body: Array(repeating: UInt8(ascii: " "), count: (1 << 20) + 10), status: .contentTooLarge),
            Case(name: "version 3", body: mutated { $0["version"] = "3" }, status: .badRequest),
            Case(name: "version as number", body: mutated { $0["version"] = 4 }, status: .badRequest),
            Case(name: "missing groupKey", body: mutated { $0["groupKey"] = nil }, status: .badRequest),
            Case(name: "empty groupKey", body: mutated { $0["groupKey"] = "" }, status: .badRequest),
            Case(name: "groupKey not a string", body: mutated { $0["groupKey"] = ["a": 1] }, status: .badRequest),
            Case(name: "alerts missing", body: mutated { $0["alerts"] = nil }, status: .badRequest),
            Case(name: "alerts not an array", body: mutated { $0["alerts"] = "x" }, status: .badRequest),
            Case(name: "alerts empty", body: mutated { $0["alerts"] = [] as [Any] }, status: .badRequest),
            Case(name: "alert not an object", body: mutated { $0["alerts"] = [1] }, status: .badRequest),
            Case(name: "bad group status", body: mutated { $0["status"] = "burning" }, status: .badRequest),
            Case(name: "bad alert status", body: alertMutated { $0["status"] = "pending" }, status: .badRequest),
            Case(name: "labels not an object", body: alertMutated { $0["labels"] = ["a", "b"] }, status: .badRequest),
            Case(name: "label value not a string", body: alertMutated { $0["labels"] = ["alertname": 5] }, status: .badRequest),
            Case(name: "no labels", body: alertMutated { $0["labels"] = [String: String]() }, status: .badRequest),
            Case(name: "annotation not a string", body: alertMutated { $0["annotations"] = ["summary": ["x"]] }, status: .badRequest),
            Case(name: "bad startsAt", body: alertMutated { $0["startsAt"] = "yesterday" }, status: .badRequest),
            Case(name: "startsAt as number", body: alertMutated { $0["startsAt"] = 12345 }, status: .badRequest),
            Case(name: "unknown route", uri: "/v1/alerts/nagios", body: good, status: .notFound),
            Case(name: "GET on ingest", method: .get, body: [], status: .notFound),
            Case(name: "incidents without token", uri: "/v1/incidents", method: .get, headers: [:], body: [], status: .unauthorized),
            Case(name: "incidents with an integration token", uri: "/v1/incidents", method: .get, headers: ["Authorization": "Bearer am-test-token"], body: [], status: .unauthorized),
            Case(name: "incident that does not exist", uri: "/v1/incidents/INC-999", method: .get, headers: ["Authorization": "Bearer \(apiToken)"], body: [], status: .notFound),
            Case(name: "incident id that is not one", uri: "/v1/incidents/banana", method: .get, headers: ["Authorization": "Bearer \(apiToken)"], body: [], status: .notFound),
            Case(name: "bad status filter", uri: "/v1/incidents?status=maybe", method: .get, headers: ["Authorization": "Bearer \(apiToken)"], body: [], status: .badRequest),
            Case(name: "ack by nobody", uri: "/v1/incidents/INC-1/ack", headers: ["Authorization": "Bearer \(apiToken)", "Content-Type": "application/json"], body: Array("{}".utf8), status: .badRequest),
            Case(name: "ack by an unknown person", uri: "/v1/incidents/INC-1/ack", headers: ["Authorization": "Bearer \(apiToken)", "Content-Type": "application/json"], body: Array(#"{"by": "mallory"}"#.utf8), status: .badRequest),
            Case(name: "ack of a missing incident", uri: "/v1/incidents/INC-99/ack", headers: ["Authorization": "Bearer \(apiToken)", "Content-Type": "application/json"], body: Array(#"{"by": "alice"}"#.utf8), status: .notFound),
            Case(name: "unknown action", uri: "/v1/incidents/INC-1/delete", headers: ["Authorization": "Bearer \(apiToken)", "Content-Type": "application/json"], body: Array(#"{"by": "alice"}"#.utf8), status: .notFound),
            Case(name: "slack command unsigned", uri: "/slack/commands", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array("command=%2Fincident&text=ack".utf8), status: .unauthorized),
            Case(name: "slack interaction unsigned", uri: "/slack/interactions", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array("payload=%7B%7D".utf8), status: .unauthorized),
        ]
        return cs
    }()

    @Test func thereAreAtLeastFortyCases() { #expect(Self.cases.count >= 40) }

    @Test(arguments: cases)
    func refusedWithAJSONErrorAndNothingChanges(_ c: Case) async throws {
        let h = try HTTPHarness()
        try await h.openIncidents(upTo: 1)
        let before = try await h.counts()
        try await h.app().test(.router) { client in
            var headers = HTTPFields()
            for (k, v) in c.headers { headers[HTTPField.Name(k)!] = v }
            let r = try await client.execute(uri: c.uri, method: c.method, headers: headers, body: ByteBuffer(bytes: c.body))
            expectError(r, c.status)
        }
        #expect(try await h.counts() == before, "\(c.name) changed the store")
    }
}

struct APITests {
    @Test func healthReadinessAndMetrics() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/readyz", method: .get).status == .ok)
            let f = try Fixture("alertmanager/firing-gpu-memory.json")
            _ = try await client.execute(uri: f.path, method: .post, headers: f.httpHeaders, body: ByteBuffer(bytes: f.body))
            let m = try await client.execute(uri: "/metrics", method: .get)
            #expect(m.status == .ok)
            let text = String(buffer: m.body)
            #expect(text.contains("klaxon_alerts_received_total"))
            #expect(text.contains("klaxon_incidents_opened_total"))
            #expect(text.contains("\nklaxon_http_ingest_fast_path_total "), "\(text)")
            let names = text.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }.map { $0.split(separator: "{").first.map(String.init) ?? "" }
            #expect(names.allSatisfy { $0.hasPrefix("klaxon_") }, "\(names)")
        }
    }

    @Test func listShowAndActThroughTheAPI() async throws {
        let h = try HTTPHarness()
        try await h.openIncidents(upTo: 3)
        let auth: HTTPFields = [.authorization: "Bearer \(apiToken)", .contentType: "application/json"]
        try await h.app().test(.router) { client in
            let list = json(try await client.execute(uri: "/v1/incidents?status=open", method: .get, headers: auth).body)
            let ids = (list["incidents"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids == ["INC-3", "INC-2", "INC-1"])
            let ack = try await client.execute(uri: "/v1/incidents/INC-2/ack", method: .post, headers: auth, body: ByteBuffer(string: #"{"by": "bob", "note": "looking"}"#))
            #expect(ack.status == .ok)
            #expect(json(ack.body)["status"] as? String == "acknowledged")
            let res = try await client.execute(uri: "/v1/incidents/INC-3/resolve", method: .post, headers: auth, body: ByteBuffer(string: #"{"by": "alice"}"#))
            #expect(json(res.body)["status"] as? String == "resolved")
            let open = json(try await client.execute(uri: "/v1/incidents?status=open", method: .get, headers: auth).body)
            #expect((open["incidents"] as? [[String: Any]])?.count == 2)
            let detail = json(try await client.execute(uri: "/v1/incidents/INC-2", method: .get, headers: auth).body)
            #expect(detail["acknowledged_by"] as? String == "bob")
            #expect((detail["alerts"] as? [[String: Any]])?.count == 1)
            let timeline = (detail["timeline"] as? [[String: Any]])?.compactMap { $0["kind"] as? String } ?? []
            #expect(timeline.contains("incident.acknowledged"))
            let again = try await client.execute(uri: "/v1/incidents/INC-3/ack", method: .post, headers: auth, body: ByteBuffer(string: #"{"by": "alice"}"#))
            expectError(again, .conflict)
        }
    }
}

struct HeaderRuleTests {
    @Test(arguments: ["application/json", "Application/JSON; charset=utf-8", "application/jsonx", "application/vnd.api+json",
                      "APPLICATION/PROBLEM+JSON", "text/x+Json;q=1"])
    func jsonContentTypes(_ ct: String) {
        #expect(jsonContentTypeError(ct) == nil)
    }

    @Test(arguments: ["text/plain", "application/jso", "application/x-www-form-urlencoded", "+jso", "application/jsön", "é"])
    func otherContentTypes(_ ct: String) {
        #expect(jsonContentTypeError(ct)?.message == "Content-Type must be application/json, not \(ct.lowercased()).")
    }

    @Test func noContentType() {
        #expect(jsonContentTypeError(nil)?.message == "Content-Type must be application/json.")
        #expect(jsonContentTypeError("")?.message == "Content-Type must be application/json.")
    }

    @Test(arguments: [("Bearer abc", "abc"), ("Bearer  abc ", "abc"), ("bearer abc", "abc"), ("BEARER a b", "a b"), ("Bearer\u{A0}abc", nil),
                      ("Bearer", nil), ("Bearer ", nil), ("Basic abc", nil), (" Bearer abc", "abc"), ("Bearer abc\u{A0}", "abc")] as [(String, String?)])
    func bearerTokens(_ header: String, _ token: String?) {
        #expect(bearerToken(header) == token)
    }
}

struct RFC3339Tests {
    @Test(arguments: [
        ("2026-11-23T07:41:57.167568374Z", 1_795_419_717.167),
        ("2026-11-23T07:41:57Z", 1_795_419_717),
        ("2026-11-23T09:41:57+02:00", 1_795_419_717),
        ("2026-11-23T04:11:57.5-03:30", 1_795_419_717.5),
        ("0001-01-01T00:00:00Z", -62_135_596_800),
        ("2024-02-29T00:00:00Z", 1_709_164_800),
    ])
    func parses(_ text: String, _ expected: Double) {
        #expect(parseRFC3339(text)?.timeIntervalSince1970 == expected)
    }

    @Test(arguments: ["", "yesterday", "2026-13-01T00:00:00Z", "2026-11-23T24:00:00Z", "2026-11-23T07:41:57", "2026-11-23T07:41:57.Z",
                      "2026-11-23T07:41:57+0200", "2026-11-23T07:41:57Zjunk", "2026-11-23 07:41"])
    func refuses(_ text: String) {
        #expect(parseRFC3339(text) == nil)
    }
}

struct FastJSONTests {
    @Test func readsWhatFoundationReads() throws {
        for name in ["alertmanager/firing-accuracy-drop-2-alerts.json", "grafana/firing-token-budget.json", "pagerduty/trigger-drift.json", "slack/slash-ack-valid.json"] {
            let data = try Data(contentsOf: sharedFixtures.appendingPathComponent(name))
            let mine = try FastJSON.parse(Array(data))
            let theirs = try JSONSerialization.jsonObject(with: data)
            // Compare through a canonical re-serialisation.
            let a = try JSONSerialization.data(withJSONObject: mine, options: [.sortedKeys])
            let b = try JSONSerialization.data(withJSONObject: theirs, options: [.sortedKeys])
            #expect(String(decoding: a, as: UTF8.self) == String(decoding: b, as: UTF8.self), "\(name)")
        }
    }

    @Test func escapesNumbersAndLiterals() throws {
        let v = try FastJSON.parse(Array(#" {"s": "a\"b\\c\/d\n\u00e9\ud83d\ude00", "n": [0, -1.5, 2e3, 1E-2], "t": true, "f": false, "z": null} "#.utf8)) as? [String: Any]
        #expect(v?["s"] as? String == "a\"b\\c/d\né😀")
        #expect(v?["n"] as? [Double] == [0, -1.5, 2000, 0.01])
        #expect(v?["t"] as? Bool == true)
        #expect(v?["f"] as? Bool == false)
        #expect(v?["z"] is NSNull)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\\ud800\"", "tru", "{} x", "\"a\u{1}b\"", "1e999",
                      String(repeating: "[", count: 65) + String(repeating: "]", count: 65)])
    func refuses(_ text: String) {
        #expect(throws: FastJSON.Failure.self) { try FastJSON.parse(Array(text.utf8)) }
    }

    @Test func aRepeatedKeyCountsOnceWithItsLastValue() throws {
        let o = try parseJSONObject(Array(#"{"a": 1, "b": "x", "a": "two"}"#.utf8))
        guard case .string("two")? = o["a"] else { Issue.record("a is \(String(describing: o["a"]))"); return }
        #expect((o.any["a"] as? String) == "two")
        let labels = try Fields(try parseJSONObject(Array(#"{"l": {"a": 1, "a": "x", "b": "y"}}"#.utf8))).stringMap("l")
        #expect(labels == ["a": "x", "b": "y"])
        #expect(throws: APIError.self) {
            try Fields(try parseJSONObject(Array(#"{"l": {"a": "x", "a": 1}}"#.utf8))).stringMap("l")
        }
        let values = try Fields(try parseJSONObject(Array(#"{"v": {"a": "x", "a": 1.5}}"#.utf8))).numberMap("v")
        #expect(values == ["a": 1.5])
    }

    @Test func foundationValuesConvert() throws {
        let data = Data(#"{"s": "x", "n": 2, "d": 0.5, "t": true, "z": null, "a": [1, "y"], "o": {"k": false}}"#.utf8)
        let any = try JSONSerialization.jsonObject(with: data)
        guard case .object(let o)? = JSONValue(any: any) else { Issue.record("not an object"); return }
        guard case .string("x")? = o["s"], case .number(2)? = o["n"], case .number(0.5)? = o["d"], case .bool(true)? = o["t"],
              case .null? = o["z"], case .array(let a)? = o["a"], case .object(let inner)? = o["o"], case .bool(false)? = inner["k"] else {
            Issue.record("\(o)"); return
        }
        #expect(a.count == 2)
    }

    @Test func sixtyFourLevelsAreFine() throws {
        _ = try FastJSON.parse(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8))
    }
}
