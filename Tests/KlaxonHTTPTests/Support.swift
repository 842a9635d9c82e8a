import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonCore
import KlaxonEngine
import KlaxonStore
import KlaxonTestSupport
import Logging
import Metrics
import Prometheus
import Testing
@testable import KlaxonHTTP

/// One registry for the whole test process (the metrics system is bootstrapped once).
let testRegistry: PrometheusCollectorRegistry = {
    let r = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: r))
    return r
}()

/// One captured request from ../shared/fixtures, as it is.
struct Fixture {
    let method: String
    let path: String
    let headers: [String: String]
    let body: [UInt8]
    let verifyAt: Date?
    let signingSecret: String?

    init(_ relative: String) throws {
        let data = try Data(contentsOf: sharedFixtures.appendingPathComponent(relative))
        let o = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        method = o["method"] as! String
        path = o["path"] as! String
        headers = o["headers"] as! [String: String]
        if let s = o["body"] as? String { body = Array(s.utf8) }
        else { body = Array(try JSONSerialization.data(withJSONObject: o["body"]!, options: [.sortedKeys])) }
        verifyAt = (o["verify_at_unix_time"] as? Int).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        signingSecret = o["signing_secret"] as? String
    }

    var httpHeaders: HTTPFields {
        var h = HTTPFields()
        for (k, v) in headers { h[HTTPField.Name(k)!] = v }
        return h
    }
}

typealias HTTPField = HTTPFields.Element

let slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"
let apiToken = "api-test-token"

/// The router the binary uses, on a real SQLite file, a manual clock and the test config.
final class HTTPHarness: @unchecked Sendable {
    let dir = NSTemporaryDirectory() + "klaxon-http-" + UUID().uuidString
    let clock: ManualClock
    let store: SQLiteStore
    let engine: IncidentService

    /// The ingest rules of `server()`.
    let ingest: IngestCore
    /// What `server()` serves on `/metrics`: this harness's `klaxon_http_ingest_fast_path_total`
    /// alone, so concurrent tests each read their own (the process-wide counters are in `testRegistry`).
    let metrics = PrometheusCollectorRegistry()

    /// The `integration` label of this harness's requests that name no integration: with a
    /// prefix, `<prefix>unknown`, so a test reads its own counts of those too.
    let unknown: String

    /// `prefix` goes before every integration name, so a test can read its own request counters.
    init(now: Date = Date(timeIntervalSince1970: 1_795_420_830), prefix: String = "") throws {
        // Counters are made (and cached) below: the metrics system must be bootstrapped first,
        // whichever test runs first.
        _ = testRegistry
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        clock = ManualClock(now: now)
        // A small inbox: alerts move into chunks within a few requests, so every HTTP test reads both.
        store = try SQLiteStore(path: dir + "/k.db", inboxLimit: 4, mergeChunk: 2)
        let hours = WeeklyWindows.defaultWorkingHours
        let people = [
            Person(id: "alice", name: "Alice Ng", timeZone: TimeZone(identifier: "Europe/Berlin")!, workingHours: hours, slack: "U0ALICE01", notify: [.slack]),
            Person(id: "bob", name: "Bob Okafor", timeZone: TimeZone(identifier: "America/New_York")!, workingHours: hours, slack: "U0BOB0002", notify: [.slack]),
        ]
        let settings = Settings(
            apiToken: .literal(apiToken),
            integrations: [Integration(name: prefix + "prometheus", kind: .alertmanager, token: .literal("am-test-token"), team: "ml-platform"),
                           Integration(name: prefix + "grafana", kind: .grafana, token: .literal("grafana-test-token"), team: "ml-platform"),
                           Integration(name: prefix + "pagerduty", kind: .pagerduty, token: .literal("R0UTINGKEY0000000000000000000000"), team: "ml-platform"),
                           Integration(name: prefix + "scripts", kind: .generic, token: .literal("generic-token"), team: "ml-platform", ratePerSecond: 2, burst: 2),
                           Integration(name: prefix + "other-am", kind: .alertmanager, token: Secret(value: nil, reference: "${env:UNSET}"), team: "ml-platform")],
            channels: [Channel(name: "slack", kind: .slack, token: .literal("xoxb-test"))],
            slackSigningSecret: .literal(slackSecret))
        let policy = EscalationPolicy(id: "default", steps: [EscalationStep(targets: [.person("alice")], escalateAfter: 300),
                                                            EscalationStep(targets: [.person("bob")], escalateAfter: 300)])
        let team = Team(id: "ml-platform", timeZone: TimeZone(identifier: "Europe/Berlin")!, schedules: [], policies: [policy])
        let config = Configuration(settings: settings, people: people, teams: [team], playbooks: [], directory: dir)
        engine = IncidentService(store: store, clock: clock, runtime: Runtime(config: config))
        unknown = prefix.isEmpty ? "unknown" : prefix + "unknown"
        ingest = IngestCore(engine: engine, logger: Logger(label: "klaxon.http.test"), metrics: PrometheusMetricsFactory(registry: metrics), unknown: unknown)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func app() -> some ApplicationProtocol {
        let deps = HTTPDependencies(engine: engine, metrics: testRegistry)
        return Application(router: buildRouter(deps, ingest: IngestCore(engine: engine, logger: deps.logger, unknown: unknown)))
    }

    /// The server as `klaxon serve` builds it (fast path included), for `.live` tests.
    func server() -> some ApplicationProtocol {
        buildApplication(HTTPDependencies(engine: engine, metrics: metrics), ingest: ingest, host: "localhost", port: 0)
    }

    /// How many incidents, alerts, timeline lines, timers and messages the store holds.
    func counts() async throws -> [Int] {
        try await store.read { tx in
            let incidents = try tx.incidents(statuses: nil, limit: 10_000)
            var alerts = 0, timeline = 0, timers = 0, outbox = 0
            for i in incidents {
                alerts += try tx.alerts(of: i.number).count
                timeline += try tx.timeline(of: i.number).count
                timers += try tx.timers(of: i.number).count
                outbox += try tx.outbox(of: i.number).count
            }
            return [incidents.count, alerts, timeline, timers, outbox] + incidents.map { $0.status == .resolved ? 2 : $0.status == .acknowledged ? 1 : 0 }
        }
    }

    /// Opens incidents until INC-`n` exists (the Slack fixtures name INC-7).
    func openIncidents(upTo n: Int) async throws {
        let integration = engine.runtime.snapshot.config.settings.integrations[0]
        for i in 1...n {
            _ = try await engine.ingest(integration: integration, batch: AlertBatch(groupKey: "g\(i)", alerts: [
                Alert(fingerprint: "f\(i)", status: .firing, labels: ["alertname": "A\(i)", "severity": "critical"], summary: "alert \(i)"),
            ]))
        }
    }
}

/// Decodes a JSON body.
func json(_ buffer: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
}

/// Asserts the JSON error shape.
func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.status == status, sourceLocation: sourceLocation)
    let o = json(response.body)
    #expect(o["error"] is String, "no error code in \(String(buffer: response.body))", sourceLocation: sourceLocation)
    #expect((o["message"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
}
