import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonCore
import KlaxonEngine
import Testing
@testable import KlaxonHTTP

/// `klaxon_alert_requests_total{integration,outcome}` counts every ingest request once, under the
/// integration whose token or routing key it carried (`unknown` when none), and
/// `klaxon_alerts_total{integration,outcome}` its alerts; both transports count alike.
@Suite struct IngestMetricsTests {
    struct Case: Sendable, CustomStringConvertible {
        var request: IngestRequest
        /// The integration (without the prefix), the request outcome, and the alerts' outcome and count.
        var integration: String
        var outcome: String
        var alerts: (String, Int)
        var description: String { request.name }
    }

    static let pagerDutyJSON = [("Content-Type", "application/json")]
    static let am = [("Authorization", "Bearer am-test-token"), ("Content-Type", "application/json")]
    static func alertmanager(alerts: Int, status: String) -> [UInt8] {
        let list = (0..<alerts).map { #"{"status":"firing","labels":{"alertname":"A\#($0)","severity":"critical"},"annotations":{"summary":"s"},"startsAt":"2026-11-23T07:41:57Z","fingerprint":"f\#($0)"}"# }
        return Array(#"{"version":"4","groupKey":"g","status":"\#(status)","receiver":"r","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am","alerts":[\#(list.joined(separator: ","))]}"#.utf8)
    }

    static let cases: [Case] = [
        Case(request: IngestRequest("PagerDuty body that is not JSON", path: "/v2/enqueue", headers: pagerDutyJSON, body: Array("{not json".utf8)),
             integration: "unknown", outcome: "invalid", alerts: ("refused", 1)),
        Case(request: IngestRequest("PagerDuty invalid event with a known routing key", path: "/v2/enqueue", headers: pagerDutyJSON,
                                    body: Array(#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"explode"}"#.utf8)),
             integration: "pagerduty", outcome: "invalid", alerts: ("refused", 1)),
        Case(request: IngestRequest("PagerDuty invalid event with an unknown routing key", path: "/v2/enqueue", headers: pagerDutyJSON,
                                    body: Array(#"{"routing_key":"R0UTINGKEY0000000000000000000001","event_action":"trigger"}"#.utf8)),
             integration: "unknown", outcome: "invalid", alerts: ("refused", 1)),
        Case(request: IngestRequest("PagerDuty valid event with an unknown routing key", path: "/v2/enqueue", headers: pagerDutyJSON,
                                    body: Array(#"{"routing_key":"R0UTINGKEY0000000000000000000001","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}"#.utf8)),
             integration: "unknown", outcome: "unauthorized", alerts: ("refused", 1)),
        Case(request: IngestRequest("PagerDuty text content type", path: "/v2/enqueue", headers: [("Content-Type", "text/plain")], body: Array("{}".utf8)),
             integration: "unknown", outcome: "invalid", alerts: ("refused", 1)),
        Case(request: IngestRequest("PagerDuty body over 1 MiB", path: "/v2/enqueue", headers: pagerDutyJSON, body: FastPathAnswersAsTheRouterTests.oversized),
             integration: "unknown", outcome: "invalid", alerts: ("refused", 1)),
        Case(request: IngestRequest("PagerDuty trigger", path: "/v2/enqueue", headers: pagerDutyJSON,
                                    body: Array(#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"trigger","payload":{"summary":"s","source":"x","severity":"info"}}"#.utf8)),
             integration: "pagerduty", outcome: "accepted", alerts: ("accepted", 1)),
        Case(request: IngestRequest("PagerDuty resolve", path: "/v2/enqueue", headers: pagerDutyJSON,
                                    body: Array(#"{"routing_key":"R0UTINGKEY0000000000000000000000","event_action":"resolve","dedup_key":"nothing-open"}"#.utf8)),
             integration: "pagerduty", outcome: "accepted", alerts: ("accepted", 1)),
        Case(request: IngestRequest("Alertmanager group of three", headers: am, body: alertmanager(alerts: 3, status: "firing")),
             integration: "prometheus", outcome: "accepted", alerts: ("accepted", 3)),
        Case(request: IngestRequest("Alertmanager group of three with a bad status", headers: am, body: alertmanager(alerts: 3, status: "burning")),
             integration: "prometheus", outcome: "invalid", alerts: ("refused", 3)),
        Case(request: IngestRequest("Alertmanager wrong token", headers: [("Authorization", "Bearer nope"), ("Content-Type", "application/json")],
                                    body: alertmanager(alerts: 3, status: "firing")),
             integration: "unknown", outcome: "unauthorized", alerts: ("refused", 1)),
        Case(request: IngestRequest("Alertmanager no content type", headers: [("Authorization", "Bearer am-test-token")], body: alertmanager(alerts: 2, status: "firing")),
             integration: "prometheus", outcome: "invalid", alerts: ("refused", 1)),
        Case(request: IngestRequest("generic without summary", path: "/v1/alerts", headers: [("Authorization", "Bearer generic-token"), ("Content-Type", "application/json")],
                                    body: Array(#"{"source":"cron","alerts":[1,2]}"#.utf8)),
             integration: "scripts", outcome: "invalid", alerts: ("refused", 1)),
    ]

    static func expected(_ c: Case, prefix: String) -> [String: Int] {
        [#"klaxon_alert_requests_total{integration="\#(prefix)\#(c.integration)",outcome="\#(c.outcome)"}"#: 1,
         #"klaxon_alerts_total{integration="\#(prefix)\#(c.integration)",outcome="\#(c.alerts.0)"}"#: c.alerts.1]
    }

    @Test(arguments: cases.indices)
    func everyRequestIsCountedOnceUnderItsIntegration(_ index: Int) async throws {
        let c = Self.cases[index]
        let prefix = "metrics\(index)-"
        let router = try await viaRouter([c.request], prefix: prefix)
        let fast = try await viaFastPath([c.request], prefix: prefix)
        #expect(router.counts == Self.expected(c, prefix: prefix), "\(c.request.name) via the router: \(router.seen)")
        #expect(fast.counts == Self.expected(c, prefix: prefix), "\(c.request.name) via the fast path: \(fast.seen)")
    }

    @Test func aRateLimitedRequestIsCountedUnderItsIntegration() async throws {
        let body = Array(#"{"summary":"disk full","source":"cron","dedup_key":"disk"}"#.utf8)
        let r = IngestRequest("generic", path: "/v1/alerts", headers: [("Authorization", "Bearer generic-token"), ("Content-Type", "application/json")], body: body)
        let router = try await viaRouter([r, r, r], prefix: "mrate-")
        #expect(router.seen.map(\.status) == [202, 202, 429])
        #expect(router.counts == [#"klaxon_alert_requests_total{integration="mrate-scripts",outcome="accepted"}"#: 2,
                                  #"klaxon_alert_requests_total{integration="mrate-scripts",outcome="rate_limited"}"#: 1,
                                  #"klaxon_alerts_total{integration="mrate-scripts",outcome="accepted"}"#: 2,
                                  #"klaxon_alerts_total{integration="mrate-scripts",outcome="refused"}"#: 1])
    }

    /// The engine counts committed alerts in `klaxon_alerts_received_total`; ingest adds its
    /// alerts to `klaxon_alerts_total` once, not again through the engine.
    @Test func acceptedAlertsAreCountedOnceInEachMetric() async throws {
        let r = IngestRequest("Alertmanager group of three", headers: Self.am, body: Self.alertmanager(alerts: 3, status: "firing"))
        func received(_ name: String) -> Int {
            let text = String(decoding: testRegistry.emitToBuffer(), as: UTF8.self)
            let line = text.split(separator: "\n").first { $0.hasPrefix(#"klaxon_alerts_received_total{integration="\#(name)",status="firing"}"#) }
            return line.flatMap { Double($0.split(separator: " ").last!) }.map { Int($0) } ?? 0
        }
        // The harness opens INC-1 through the engine (one firing alert) before the request.
        let router = try await viaRouter([r], prefix: "monce-")
        #expect(router.counts[#"klaxon_alerts_total{integration="monce-prometheus",outcome="accepted"}"#] == 3)
        #expect(received("monce-prometheus") == 1 + 3)
    }

    /// A request the engine could not commit is counted as an error, with its alerts refused.
    @Test func anEngineFailureIsCountedAsAnError() async throws {
        let h = try HTTPHarness(prefix: "mfail-")
        let before = requestCounts(prefix: "mfail-")
        guard case .admitted(let a) = h.ingest.admit(.alertmanager, authorization: "Bearer am-test-token", contentType: "application/json") else {
            Issue.record("not admitted"); return
        }
        let body = Self.alertmanager(alerts: 2, status: "firing")
        let decision = body.withUnsafeBytes { h.ingest.decide(a, body: $0) }
        guard case .call(let call) = decision else { Issue.record("no engine call"); return }
        let reply = h.ingest.finish(call, .failure(CancellationError()))
        #expect(reply.status == .internalServerError)
        #expect(delta(before, requestCounts(prefix: "mfail-")) == [
            #"klaxon_alert_requests_total{integration="mfail-prometheus",outcome="error"}"#: 1,
            #"klaxon_alerts_total{integration="mfail-prometheus",outcome="refused"}"#: 2])
    }
}
