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
            #expect(o["error"] is String)
        }
        #expect(try await h.counts() == before)
    }

    @Test func anUnknownRoutingKeyIsRefused() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            let body = #"{"routing_key":"R0UTINGKEY0000000000000000000001","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}"#
            let r = try await client.execute(uri: "/v2/enqueue", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body))
            #expect(r.status == .unauthorized)
            #expect(json(r.body)["status"] as? String == "invalid event")
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
