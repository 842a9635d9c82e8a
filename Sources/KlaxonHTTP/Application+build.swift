import Foundation
import Hummingbird
import KlaxonCore
import KlaxonEngine
import Logging
import Prometheus
import ServiceLifecycle

/// What the HTTP layer needs from the rest of Klaxon.
public struct HTTPDependencies: Sendable {
    public var engine: IncidentService
    public var metrics: PrometheusCollectorRegistry
    public var logger: Logger
    /// Test-only: `POST /_test/clock` moves this clock and runs what fell due.
    public var testClock: TestClockControl?
    /// POSTs a JSON body to a Slack `response_url` (the person who clicked a button hears why
    /// nothing happened); nil: such answers go only in the HTTP response, which Slack ignores.
    public var slackResponse: (@Sendable (_ url: String, _ body: [UInt8]) async throws -> Void)?

    public init(engine: IncidentService, metrics: PrometheusCollectorRegistry, logger: Logger = Logger(label: "klaxon.http"),
                testClock: TestClockControl? = nil,
                slackResponse: (@Sendable (_ url: String, _ body: [UInt8]) async throws -> Void)? = nil) {
        self.engine = engine; self.metrics = metrics; self.logger = logger; self.testClock = testClock
        self.slackResponse = slackResponse
    }
}

/// A hook for end-to-end tests of the binary (`klaxon serve --virtual-clock`): advance the
/// clock, then fire timers and deliver messages that fell due, before answering.
public struct TestClockControl: Sendable {
    public var advance: @Sendable (TimeInterval) async throws -> Date
    public init(advance: @escaping @Sendable (TimeInterval) async throws -> Date) { self.advance = advance }
}

/// The router every Klaxon server uses; the binary and the tests build it the same way.
public func buildRouter(_ deps: HTTPDependencies) -> Router<BasicRequestContext> {
    buildRouter(deps, ingest: IngestCore(engine: deps.engine, logger: deps.logger))
}

/// The router, answering alert sources through `ingest` (shared with the fast path, so both
/// share its rate buckets).
func buildRouter(_ deps: HTTPDependencies, ingest core: IngestCore) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    let engine = deps.engine
    let ingest = IngestRoutes(core: core)
    let slack = SlackRoutes(engine: engine, respond: deps.slackResponse, logger: deps.logger)
    let api = IncidentRoutes(engine: engine)
    let schedules = ScheduleRoutes(engine: engine, api: api)

    router.get("/healthz") { _, _ in try Response.json(["status": "ok"]) }
    router.get("/readyz") { _, _ in
        do { try await engine.store.ping() } catch let e as StoreUnavailable {
            throw APIError(.serviceUnavailable, "not_ready", "The store takes no more writes since \(e.reason); restart Klaxon once the disk is fixed.")
        } catch {
            throw APIError(.serviceUnavailable, "not_ready", "The store does not answer: \(error).")
        }
        return try Response.json(["status": "ready"])
    }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: deps.metrics.emitToBuffer())))
    }
    for endpoint in [IngestEndpoint.alertmanager, .grafana, .generic, .pagerDuty] {
        router.post(RouterPath(endpoint.path)) { req, _ in try await ingest.handle(endpoint, req) }
    }
    router.post("/slack/commands") { req, _ in try await slack.command(req) }
    router.post("/slack/interactions") { req, _ in try await slack.interaction(req) }
    router.get("/v1/incidents") { req, _ in try await api.list(req) }
    router.get("/v1/incidents/:id") { req, ctx in try await api.get(req, id: ctx.parameters.get("id") ?? "") }
    router.post("/v1/incidents/:id/:action") { req, ctx in
        try await api.act(req, id: ctx.parameters.get("id") ?? "", action: ctx.parameters.get("action") ?? "")
    }
    router.get("/v1/oncall") { req, _ in try await schedules.oncall(req) }
    router.get("/calendar/:file") { req, ctx in try await schedules.calendar(req, file: ctx.parameters.get("file") ?? "") }
    if let control = deps.testClock {
        router.post("/_test/clock") { req, _ in
            var req = req
            let o = try await req.jsonObject()
            guard case .number(let seconds)? = o["advance_seconds"] else {
                throw APIError.badRequest("Field advance_seconds is required.")
            }
            let now = try await control.advance(seconds)
            return try Response.json(["now": ISOTime.utc(now)])
        }
    }
    return router
}

/// The whole HTTP application: routes on the configured address, plus the services that must
/// run beside it (timers, delivery). Alert sources' POSTs are answered on the event loop by
/// `IngestFastPath`, in Hummingbird's HTTP/1 pipeline; everything else goes to the router.
public func buildApplication(_ deps: HTTPDependencies, host: String, port: Int, services: [any Service] = [],
                             onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    buildApplication(deps, ingest: IngestCore(engine: deps.engine, logger: deps.logger), host: host, port: port,
                     services: services, onServerRunning: onServerRunning)
}

/// The application, with the ingest rules (and their rate buckets) given.
func buildApplication(_ deps: HTTPDependencies, ingest: IngestCore, host: String, port: Int, services: [any Service] = [],
                      onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
    let serverName = "Klaxon"
    let router = buildRouter(deps, ingest: ingest)
    return Application(
        router: router,
        server: .http1(configuration: .init(
            additionalChannelHandlers: [IngestFastPath(core: ingest, serverName: serverName)])),
        configuration: .init(address: .hostname(host, port: port), serverName: serverName),
        services: services,
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: deps.logger)
}
