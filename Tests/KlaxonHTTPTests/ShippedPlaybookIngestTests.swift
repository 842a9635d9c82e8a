import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonConfig
import KlaxonCore
import KlaxonEngine
import KlaxonStore
import KlaxonTestSupport
import Logging
import Testing
@testable import KlaxonHTTP

/// Every captured fixture, as it is, through the HTTP application configured as shipped
/// (`klaxon.yaml`, `Playbooks/`, `Rotations/`): the incidents they open are classified by the
/// shipped playbooks, not only by `severity_defaults`.
struct ShippedPlaybookIngestTests {
    final class Shipped: @unchecked Sendable {
        let dir = NSTemporaryDirectory() + "klaxon-shipped-" + UUID().uuidString
        let store: SQLiteStore
        let engine: IncidentService

        init() throws {
            let loaded = ConfigLoader(environment: ["KLAXON_PROMETHEUS_TOKEN": "am-test-token", "KLAXON_API_TOKEN": apiToken])
                .load(configPath: repositoryRoot.appendingPathComponent("klaxon.yaml").path)
            var config = try loaded.get()
            // The PagerDuty fixtures carry this routing key; the shipped file has no PagerDuty integration.
            config.settings.integrations.append(Integration(name: "pagerduty", kind: .pagerduty,
                                                            token: .literal("R0UTINGKEY0000000000000000000000"), team: "ml-platform"))
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            store = try SQLiteStore(path: dir + "/k.db")
            engine = IncidentService(store: store, clock: ManualClock(now: Date(timeIntervalSince1970: 1_795_420_830)), runtime: Runtime(config: config))
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }

        func app() -> some ApplicationProtocol {
            let deps = HTTPDependencies(engine: engine, metrics: testRegistry)
            return Application(router: buildRouter(deps, ingest: IngestCore(engine: engine, logger: deps.logger, unknown: "shipped-unknown")))
        }
    }

    func post(_ client: some TestClientProtocol, _ name: String) async throws -> [String] {
        let f = try Fixture(name)
        let r = try await client.execute(uri: f.path, method: .post, headers: f.httpHeaders, body: ByteBuffer(bytes: f.body))
        #expect(r.status == .accepted, "\(name): \(String(buffer: r.body))")
        if let ids = json(r.body)["incidents"] as? [String] { return ids }
        return (json(r.body)["dedup_key"] as? String).map { [$0] } ?? []
    }

    @Test(arguments: [
        ("alertmanager/firing-accuracy-drop-2-alerts.json", "model-accuracy-degradation", Severity.p0, IncidentCategory.modelPerformance),
        ("alertmanager/firing-feature-pipeline.json", "feature-pipeline-failure", .p2, .dataQuality),
        ("alertmanager/firing-gpu-memory.json", "gpu-memory-exhaustion", .p1, .resourceExhaustion),
        ("pagerduty/trigger-drift.json", "model-drift", .p2, .modelPerformance),
        ("pagerduty/trigger-rag-index.json", "rag-context-corruption", .p1, .contextPipeline),
    ])
    func aFiringFixtureOpensTheIncidentItsPlaybookSays(_ fixture: String, _ playbook: String, _ severity: Severity, _ category: IncidentCategory) async throws {
        let s = try Shipped()
        try await s.app().test(.router) { client in _ = try await post(client, fixture) }
        let d = try await s.engine.detail(1)
        #expect(d.incident.playbook == playbook)
        #expect(d.incident.severity == severity)
        #expect(d.incident.category == category)
        #expect(d.incident.team == "ml-platform")
        #expect(d.incident.status == .triggered)
        #expect(d.timeline.contains { $0.kind == "incident.opened" && $0.message.contains("by playbook \(playbook)") })
    }

    @Test func theResolvedFixtureResolvesItsIncident() async throws {
        let s = try Shipped()
        try await s.app().test(.router) { client in
            _ = try await post(client, "alertmanager/firing-feature-pipeline.json")
            _ = try await post(client, "alertmanager/resolved-feature-pipeline.json")
        }
        let d = try await s.engine.detail(1)
        #expect(d.incident.status == .resolved)
        #expect(d.incident.playbook == "feature-pipeline-failure")
    }

    @Test func pagerDutyTriggerAcknowledgeResolve() async throws {
        let s = try Shipped()
        try await s.app().test(.router) { client in
            _ = try await post(client, "pagerduty/trigger-drift.json")
            _ = try await post(client, "pagerduty/acknowledge-drift.json")
            #expect(try await s.engine.detail(1).incident.status == .acknowledged)
            _ = try await post(client, "pagerduty/resolve-drift.json")
        }
        #expect(try await s.engine.detail(1).incident.status == .resolved)
    }
}
