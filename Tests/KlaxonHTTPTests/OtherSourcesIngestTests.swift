import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonCore
import KlaxonEngine
import Testing
@testable import KlaxonHTTP

struct PagerDutyIngestTests {
    func post(_ client: some TestClientProtocol, _ f: Fixture) async throws -> TestResponse {
        try await client.execute(uri: f.path, method: .post, headers: f.httpHeaders, body: ByteBuffer(bytes: f.body))
    }

    @Test func triggerAcknowledgeResolveAnswerAsPagerDutyDoes() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            let t = try await post(client, try Fixture("pagerduty/trigger-drift.json"))
            #expect(t.status == .accepted)
            let o = json(t.body)
            #expect(o["status"] as? String == "success")
            #expect(o["message"] as? String == "Event processed")
            #expect(o["dedup_key"] as? String == "churn-model-drift")
            var d = try await h.engine.detail(1)
            #expect(d.incident.title == "Feature drift detected on churn-model inputs (PSI 0.41)")
            #expect(d.incident.severity == .p2) // error -> P2 by severity_defaults
            let alert = try #require(d.alerts.first?.alert)
            #expect(alert.values["psi"] == 0.41)
            #expect(alert.annotations["model"] == "churn-model")
            #expect(alert.labels["source"] == "drift-monitor-01")
            #expect(alert.links.contains(AlertLink(href: "https://dash.example/drift", text: "Drift dashboard")))

            let a = try await post(client, try Fixture("pagerduty/acknowledge-drift.json"))
            #expect(a.status == .accepted)
            #expect(json(a.body)["dedup_key"] as? String == "churn-model-drift")
            d = try await h.engine.detail(1)
            #expect(d.incident.status == .acknowledged)

            let r = try await post(client, try Fixture("pagerduty/resolve-drift.json"))
            #expect(r.status == .accepted)
            d = try await h.engine.detail(1)
            #expect(d.incident.status == .resolved)

            let rag = try await post(client, try Fixture("pagerduty/trigger-rag-index.json"))
            #expect(json(rag.body)["dedup_key"] as? String == "rag-index-nan")
            #expect(try await h.engine.detail(2).incident.severity == .p1)
        }
    }

    @Test func aTriggerWithoutDedupKeyGetsOneGenerated() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            let body = #"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}"#
            let r = try await client.execute(uri: "/v2/enqueue", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(r.status == .accepted)
            let key = try #require(json(r.body)["dedup_key"] as? String)
            #expect(key.count == 32)
        }
        #expect(try await h.engine.detail(1).alerts.first?.alert.fingerprint.count == 32)
    }

    static let invalid: [(String, String)] = [
        (#"{"event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}"#, "'routing_key' is missing or blank"),
        (#"{"routing_key":"short","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}"#, "Length of 'routing_key' is incorrect (should be 32 characters)"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"explode"}"#, "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000"}"#, "'event_action' is missing or blank"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger"}"#, "'payload' is missing or blank"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","payload":{"source":"x","severity":"info"}}"#, "'payload.summary' is missing or blank"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","payload":{"summary":"s","severity":"info"}}"#, "'payload.source' is missing or blank"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","payload":{"summary":"s","source":"x"}}"#, "'payload.severity' is missing or blank"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"sev1"}}"#, "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"acknowledge"}"#, "'dedup_key' is missing or blank"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"resolve","dedup_key":""}"#, "'dedup_key' is missing or blank"),
        ("{\"routing_key\":\"R0UTINGKEY0000000000000000000000\",\"event_action\":\"trigger\",\"dedup_key\":\"\(String(repeating: "k", count: 256))\",\"payload\":{\"summary\":\"s\",\"source\":\"x\",\"severity\":\"info\"}}", "Length of 'dedup_key' is too long (must be at most 255 characters)"),
        ("{\"routing_key\":\"R0UTINGKEY0000000000000000000000\",\"event_action\":\"trigger\",\"payload\":{\"summary\":\"\(String(repeating: "s", count: 1025))\",\"source\":\"x\",\"severity\":\"info\"}}", "Length of 'payload.summary' is too long (must be at most 1024 characters)"),
        (#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","payload":{"summary":5,"source":"x","severity":"info"}}"#, "'payload.summary' must be a string"),
        ("{not json", "The request body is not valid JSON (expected a string key)."),
    ]

    @Test(arguments: invalid)
    func invalidEventsAreRefusedInPagerDutysShape(_ body: String, _ error: String) async throws {
        let h = try HTTPHarness()
        try await h.openIncidents(upTo: 1)
        let before = try await h.counts()
        try await h.app().test(.router) { client in
            let r = try await client.execute(uri: "/v2/enqueue", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(r.status == .badRequest)
            let o = json(r.body)
            #expect(o["status"] as? String == "invalid event")
            #expect(o["message"] as? String == "Event object is invalid")
            #expect((o["errors"] as? [String])?.contains(error) == true, "\(o)")
            // PagerDuty's three keys and nothing else, in its order.
            #expect(Set(o.keys) == ["status", "message", "errors"], "\(o)")
            #expect(String(buffer: r.body).hasPrefix(#"{"status":"invalid event","message":"Event object is invalid","errors":["#))
        }
        #expect(try await h.counts() == before)
    }

    @Test func aSuccessHasPagerDutysThreeKeysInItsOrder() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            let body = #"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","dedup_key":"a/b\"c","payload":{"summary":"s","source":"x","severity":"info"}}"#
            let r = try await client.execute(uri: "/v2/enqueue", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(r.status == .accepted)
            #expect(String(buffer: r.body) == #"{"status":"success","message":"Event processed","dedup_key":"a/b\"c"}"#)
        }
    }

    /// PagerDuty documents 202, 400, 429 and 5xx for /v2/enqueue, never 401: a well-formed key
    /// that no integration has is refused as an invalid event, in PagerDuty's shape.
    @Test func anUnknownRoutingKeyIsRefusedAsAnInvalidEvent() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            let body = #"{"routing_key":"R0UTINGKEY0000000000000000000001","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}"#
            let r = try await client.execute(uri: "/v2/enqueue", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(r.status == .badRequest)
            #expect(r.headers[.wwwAuthenticate] == nil)
            let o = json(r.body)
            #expect(Set(o.keys) == ["status", "message", "errors"], "\(o)")
            #expect(o["status"] as? String == "invalid event")
            #expect(o["message"] as? String == "Event object is invalid")
            #expect(o["errors"] as? [String] == ["'routing_key' is not known to this Klaxon (it is no pagerduty integration's token)"])
        }
        #expect(try await h.counts() == [0, 0, 0, 0, 0])
    }

    static let timestamps: [(String, Double)] = [
        ("2026-11-23T07:41:57.123+0000", 1_795_419_717.123), // PagerDuty's own example form
        ("2026-11-23T09:41:57+0200", 1_795_419_717),
        ("2026-11-23T04:11:57-0330", 1_795_419_717),
        ("2026-11-23T07:41:57Z", 1_795_419_717),
        ("2026-11-23T07:41:57.5Z", 1_795_419_717.5),
        ("2026-11-23T09:41:57+02:00", 1_795_419_717),
        ("2026-11-23T09:41:57.250+02:00", 1_795_419_717.25),
        ("2026-11-23T09:41:57+02", 1_795_419_717),
    ]

    @Test(arguments: timestamps)
    func aTimestampInAnyISO8601FormIsAccepted(_ text: String, _ expected: Double) async throws {
        #expect(parseISO8601(text)?.timeIntervalSince1970 == expected)
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            let body = #"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","dedup_key":"t","payload":{"summary":"s","source":"x","severity":"info","timestamp":"\#(text)"}}"#
            let r = try await client.execute(uri: "/v2/enqueue", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(r.status == .accepted, "\(String(buffer: r.body))")
        }
        #expect(try await h.engine.detail(1).alerts.first?.alert.startsAt?.timeIntervalSince1970 == expected)
    }

    static let badTimestamps = ["", "yesterday", "1795419717", "2026-11-23", "2026-11-23T07:41:57", "2026-11-23T07:41:57+020", "2026-11-23T07:41:57+02:0",
                                "2026-11-23T07:41:57+02000", "2026-11-23T07:41:57+2400", "2026-11-23T07:41:57+0260", "2026-11-23T07:41:57.+0000",
                                "2026-11-23T07:41:57+00x0", "2026-11-23T07:41:57Z+0000", "2026-13-23T07:41:57+0000", "2026-11-23T25:41:57+0000",
                                "2026-11-23T07:41:57 +0000", "2026-11-23T07:41:57-"]

    @Test(arguments: badTimestamps)
    func aTimestampThatIsNotISO8601IsRefused(_ text: String) async throws {
        #expect(parseISO8601(text) == nil)
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            let body = #"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info","timestamp":"\#(text)"}}"#
            let r = try await client.execute(uri: "/v2/enqueue", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(r.status == .badRequest)
            #expect(json(r.body)["errors"] as? [String] == ["'payload.timestamp' is invalid (must be an ISO 8601 date)"])
        }
        #expect(try await h.counts() == [0, 0, 0, 0, 0])
    }
}

struct GrafanaAndGenericIngestTests {
    @Test func grafanaFiringThenResolved() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            for name in ["grafana/firing-token-budget.json", "grafana/resolved-token-budget.json"] {
                let f = try Fixture(name)
                let r = try await client.execute(uri: f.path, method: .post, headers: f.httpHeaders, body: ByteBuffer(bytes: f.body))
                #expect(r.status == .accepted)
                #expect(json(r.body)["incidents"] as? [String] == ["INC-1"])
            }
        }
        let d = try await h.engine.detail(1)
        #expect(d.incident.status == .resolved)
        let alert = try #require(d.alerts.first?.alert)
        #expect(alert.values["B"] == 0.97)
        #expect(alert.links.map(\.text).contains("dashboard"))
        #expect(alert.links.map(\.text).contains("panel"))
        #expect(alert.links.map(\.text).contains("silence"))
        #expect(alert.annotations["valueString"]?.contains("var='B'") == true)
    }

    @Test func genericAlertsAndTheRateLimit() async throws {
        let h = try HTTPHarness()
        let auth: HTTPFields = [.authorization: "Bearer generic-token", .contentType: "application/json"]
        try await h.app().test(.router) { client in
            let r = try await client.execute(uri: "/v1/alerts", method: .post, headers: auth,
                                             body: ByteBuffer(string: #"{"summary":"disk full","source":"cron","severity":"critical","dedup_key":"disk","values":{"used":0.99}}"#))
            #expect(r.status == .accepted)
            #expect(json(r.body)["incidents"] as? [String] == ["INC-1"])
            let resolved = try await client.execute(uri: "/v1/alerts", method: .post, headers: auth,
                                                    body: ByteBuffer(string: #"{"summary":"disk full","source":"cron","dedup_key":"disk","status":"resolved"}"#))
            #expect(resolved.status == .accepted)
            // Burst of 3 used up: the next one is refused with Retry-After.
            let limited = try await client.execute(uri: "/v1/alerts", method: .post, headers: auth,
                                                   body: ByteBuffer(string: #"{"summary":"x","source":"cron"}"#))
            expectError(limited, .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
        }
        let d = try await h.engine.detail(1)
        #expect(d.incident.severity == .p1)
        #expect(d.incident.status == .resolved)
        #expect(d.alerts.first?.alert.values["used"] == 0.99)
    }
}
