import Foundation
import Hummingbird
import KlaxonCore
import KlaxonEngine
import Logging
import Metrics

/// The four ingest endpoints, each at one exact path.
enum IngestEndpoint: Sendable {
    case alertmanager, grafana, generic, pagerDuty

    /// The endpoint at `path` (a query string is ignored), if it is one.
    init?(path: String) {
        let utf8 = path.utf8
        let p = utf8[..<(utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex)]
        // The four paths differ in length, so the length picks the candidate.
        let candidate: IngestEndpoint
        switch p.count {
        case 23: candidate = .alertmanager
        case 18: candidate = .grafana
        case 10: candidate = .generic
        case 11: candidate = .pagerDuty
        default: return nil
        }
        guard p.elementsEqual(candidate.path.utf8) else { return nil }
        self = candidate
    }

    var path: String {
        switch self {
        case .alertmanager: "/v1/alerts/alertmanager"
        case .grafana: "/v1/alerts/grafana"
        case .generic: "/v1/alerts"
        case .pagerDuty: "/v2/enqueue"
        }
    }

    var kind: IntegrationKind {
        switch self {
        case .alertmanager: .alertmanager
        case .grafana: .grafana
        case .generic: .generic
        case .pagerDuty: .pagerduty
        }
    }
}

/// An answer to an ingest request. Either transport sends exactly this: the status, these
/// header fields, `Content-Type: application/json; charset=utf-8`, and the body.
struct IngestReply: Sendable {
    enum Body: Sendable {
        /// `{"incidents":["INC-7"]}`, written by hand: ids are `INC-<n>`, nothing to escape.
        case incidents([String])
        case json(ByteBuffer)
    }

    static let contentType = "application/json; charset=utf-8"

    var status: HTTPResponse.Status
    /// Fields a refusal adds (Retry-After, WWW-Authenticate); nil for none.
    var headers: HTTPFields?
    var body: Body

    var bodyLength: Int {
        switch body {
        case .incidents(let ids):
            // {"incidents":[ + "id" joined by , + ]}
            var n = 16 + max(0, ids.count - 1)
            for id in ids { n += id.utf8.count + 2 }
            return n
        case .json(let b):
            return b.readableBytes
        }
    }

    func writeBody(into buffer: inout ByteBuffer) {
        switch body {
        case .incidents(let ids):
            buffer.writeStaticString("{\"incidents\":[")
            for (i, id) in ids.enumerated() {
                if i > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                buffer.writeInteger(UInt8(ascii: "\""))
                buffer.writeString(id)
                buffer.writeInteger(UInt8(ascii: "\""))
            }
            buffer.writeStaticString("]}")
        case .json(let b):
            buffer.writeImmutableBuffer(b)
        }
    }

    /// The same answer as a Hummingbird response.
    var response: Response {
        var fields = headers ?? HTTPFields()
        fields[.contentType] = Self.contentType
        let bytes: ByteBuffer
        switch body {
        case .json(let b):
            bytes = b
        case .incidents:
            var b = ByteBuffer()
            b.reserveCapacity(bodyLength)
            writeBody(into: &b)
            bytes = b
        }
        return Response(status: status, headers: fields, body: .init(byteBuffer: bytes))
    }

    /// A JSON body from a JSON-serialisable value (sorted keys, slashes as they are).
    static func json(_ value: Any, status: HTTPResponse.Status) -> IngestReply {
        // Strings, arrays and objects of them: serialisation cannot fail.
        IngestReply(status: status, headers: nil, body: .json(ByteBuffer(bytes: (try? jsonData(value)) ?? Data())))
    }
}

/// One integration as ingest uses it: the token to compare, its rate bucket and its counters,
/// set up once per configuration rather than looked up per request.
final class IngestEntry: Sendable {
    let integration: Integration
    /// Empty when the integration's secret is unset: then nothing matches it.
    let token: [UInt8]
    let bucket: TokenBucket
    let accepted: Counter
    let invalid: Counter
    let rateLimited: Counter

    init(_ integration: Integration, bucket: TokenBucket) {
        self.integration = integration
        self.token = Array((integration.token.value ?? "").utf8)
        self.bucket = bucket
        accepted = IngestCore.counter(integration.name, "accepted")
        invalid = IngestCore.counter(integration.name, "invalid")
        rateLimited = IngestCore.counter(integration.name, "rate_limited")
    }
}

/// The ingest rules, whatever carries the request: token check, rate limit, content type, body
/// limit and parsing, then the engine commits and the answer is made. Hummingbird's routes
/// (`IngestRoutes`) and the event-loop fast path (`IngestFastPath`) both run requests through
/// here, so they answer alike and count alike (`klaxon_alert_requests_total`).
final class IngestCore: Sendable {
    /// A request that passed the header checks; its body decides the rest.
    struct Admitted: Sendable {
        var endpoint: IngestEndpoint
        /// The integration the Bearer token named; nil for PagerDuty, whose key is in the body.
        var entry: IngestEntry?
    }

    enum Admission: Sendable {
        case admitted(Admitted)
        case refused(IngestReply)
    }

    /// What the engine is asked to do for an accepted request.
    struct EngineCall: Sendable {
        enum Action: Sendable {
            case ingest(AlertBatch)
            case sourceAction(dedupKey: String, resolve: Bool)
        }
        var endpoint: IngestEndpoint
        var entry: IngestEntry
        var action: Action
        /// PagerDuty's answer names the dedup key; the others list incidents.
        var pagerDutyKey: String?
    }

    enum Decision: Sendable {
        case reply(IngestReply)
        case call(EngineCall)
    }

    let engine: IncidentService
    let logger: Logger
    /// Requests `IngestFastPath` answered, on the event loop rather than through the router
    /// (`klaxon_http_ingest_fast_path_total`).
    let fastPathAnswers: Counter
    private let limiter = RateLimiter()
    private let table = Locked<(integrations: [Integration], entries: [IngestEntry])>(([], []))
    private let unknownUnauthorized = IngestCore.counter("unknown", "unauthorized")
    private let unknownInvalid = IngestCore.counter("unknown", "invalid")

    /// `metrics` makes the fast-path counter: the metrics system's by default; a test gives its
    /// own, to read its server's count alone.
    init(engine: IncidentService, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory) {
        self.engine = engine
        self.logger = logger
        fastPathAnswers = Counter(label: "klaxon_http_ingest_fast_path_total", factory: metrics)
    }

    static func counter(_ integration: String, _ outcome: String) -> Counter {
        MetricsCache.counter("klaxon_alert_requests_total", [("integration", integration), ("outcome", outcome)])
    }

    /// The integrations of the running configuration, rebuilt only when it changes (the array
    /// comparison is one pointer check while the configuration stays the same).
    private func entries() -> [IngestEntry] {
        let integrations = engine.runtime.snapshot.config.settings.integrations
        return table.withLock { t in
            if t.integrations == integrations { return t.entries }
            t = (integrations, integrations.map { IngestEntry($0, bucket: limiter.bucket($0.name)) })
            return t.entries
        }
    }

    /// The integration of `kind` whose token is `token` (every candidate compared in constant time).
    private func entry(kind: IntegrationKind, token: String) -> IngestEntry? {
        guard !token.isEmpty else { return nil }
        var found: IngestEntry? = nil
        for e in entries() where e.integration.kind == kind && !e.token.isEmpty {
            if constantTimeEqual(e.token, token) { found = e }
        }
        return found
    }

    private func rateLimited(_ e: IngestEntry) -> IngestReply? {
        let i = e.integration
        guard let wait = e.bucket.take(ratePerSecond: i.ratePerSecond, burst: i.burst, now: engine.clock.now) else { return nil }
        e.rateLimited.increment()
        let seconds = max(1, Int(wait.rounded(.up)))
        return APIError(.tooManyRequests, "rate_limited", "Integration \(i.name) sent more than \(Int(i.ratePerSecond)) requests a second; retry after \(seconds)s.",
                        headers: [.retryAfter: "\(seconds)"]).reply
    }

    // MARK: - The steps

    /// The checks on the header fields, in order: token (Bearer sources), rate limit, content type.
    func admit(_ endpoint: IngestEndpoint, authorization: String?, contentType: String?) -> Admission {
        if endpoint == .pagerDuty {
            // The routing key is in the body; only the content type can be checked now.
            if let e = jsonContentTypeError(contentType) { return .refused(e.reply) }
            return .admitted(Admitted(endpoint: endpoint, entry: nil))
        }
        guard let authorization else {
            unknownUnauthorized.increment()
            return .refused(APIError.unauthorized("Authorization: Bearer <integration token> is required.").reply)
        }
        guard let token = bearerToken(authorization), !token.isEmpty else {
            unknownUnauthorized.increment()
            return .refused(APIError.unauthorized("Only Bearer tokens are accepted.").reply)
        }
        guard let entry = entry(kind: endpoint.kind, token: token) else {
            unknownUnauthorized.increment()
            return .refused(APIError.unauthorized("The token does not belong to any \(endpoint.kind.rawValue) integration.").reply)
        }
        if let refusal = rateLimited(entry) { return .refused(refusal) }
        if let e = jsonContentTypeError(contentType) {
            entry.invalid.increment()
            return .refused(e.reply)
        }
        return .admitted(Admitted(endpoint: endpoint, entry: entry))
    }

    /// The answer when the body is over 1 MiB.
    func bodyTooLarge(_ a: Admitted) -> IngestReply {
        a.entry?.invalid.increment()
        return APIError.payloadTooLarge.reply
    }

    /// Parses the body (at most 1 MiB): an answer now, or the engine call to make.
    func decide(_ a: Admitted, body: UnsafeRawBufferPointer) -> Decision {
        guard let entry = a.entry else { return pagerDuty(body) }
        let batch: AlertBatch
        do {
            let json = try parseJSONObject(body)
            switch a.endpoint {
            case .alertmanager: batch = try AlertGroupPayload.alertmanager(json)
            case .grafana: batch = try AlertGroupPayload.grafana(json)
            case .generic: batch = try GenericAlert.parse(json)
            case .pagerDuty: return pagerDuty(body) // not reached: PagerDuty has no entry yet
            }
        } catch {
            entry.invalid.increment()
            return .reply(errorReply(error, a.endpoint))
        }
        return .call(EngineCall(endpoint: a.endpoint, entry: entry, action: .ingest(batch)))
    }

    /// PagerDuty Events API v2: the routing key is the integration's token; answers exactly as
    /// PagerDuty does (plus Klaxon's `error` code on refusals).
    private func pagerDuty(_ body: UnsafeRawBufferPointer) -> Decision {
        func invalid(_ errors: [String], status: HTTPResponse.Status = .badRequest, code: String = "invalid_event") -> Decision {
            .reply(.json(["status": "invalid event", "message": "Event object is invalid", "errors": errors, "error": code], status: status))
        }
        let object: JSONObject
        do { object = try parseJSONObject(body) } catch {
            return invalid([(error as? APIError)?.message ?? "\(error)"])
        }
        let event: PagerDutyEvent.Parsed
        do { event = try PagerDutyEvent.parse(object.any) } catch {
            unknownInvalid.increment()
            return invalid(error.errors)
        }
        guard let entry = entry(kind: .pagerduty, token: event.routingKey) else {
            unknownUnauthorized.increment()
            return invalid(["'routing_key' does not match any integration"], status: .unauthorized, code: "unauthorized")
        }
        if let refusal = rateLimited(entry) { return .reply(refusal) }
        let dedupKey = event.dedupKey.flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let action: EngineCall.Action
        switch event.action {
        case .trigger:
            var alert = event.alert!
            alert.fingerprint = dedupKey
            action = .ingest(AlertBatch(groupKey: dedupKey, alerts: [alert], title: alert.summary))
        case .acknowledge:
            action = .sourceAction(dedupKey: dedupKey, resolve: false)
        case .resolve:
            action = .sourceAction(dedupKey: dedupKey, resolve: true)
        }
        return .call(EngineCall(endpoint: .pagerDuty, entry: entry, action: action, pagerDutyKey: dedupKey))
    }

    /// The answer once the engine has committed (or failed).
    func finish(_ call: EngineCall, _ result: Result<[String], any Error>) -> IngestReply {
        switch result {
        case .success(let ids):
            call.entry.accepted.increment()
            if let key = call.pagerDutyKey {
                return .json(["status": "success", "message": "Event processed", "dedup_key": key], status: .accepted)
            }
            return IngestReply(status: .accepted, headers: nil, body: .incidents(ids))
        case .failure(let error):
            return errorReply(error, call.endpoint)
        }
    }

    private func errorReply(_ error: any Error, _ endpoint: IngestEndpoint) -> IngestReply {
        APIError.from(error, method: .post, path: endpoint.path, logger: logger).reply
    }

    // MARK: - Running the engine call

    /// Runs `call` and answers; for Hummingbird's routes.
    func perform(_ call: EngineCall) async -> IngestReply {
        let result: Result<[String], any Error>
        do {
            switch call.action {
            case .ingest(let batch):
                result = .success(try await engine.ingest(integration: call.entry.integration, batch: batch))
            case .sourceAction(let key, let resolve):
                _ = try await engine.sourceAction(integration: call.entry.integration, groupKey: key, fingerprint: key, resolve: resolve)
                result = .success([])
            }
        } catch {
            result = .failure(error)
        }
        return finish(call, result)
    }

    /// Runs `call` and hands the answer to `completion`, on a thread of the engine's choosing;
    /// for callers outside Swift concurrency. An ingest starts no task here; the rare PagerDuty
    /// acknowledge and resolve do.
    func perform(_ call: EngineCall, completion: @escaping @Sendable (IngestReply) -> Void) {
        switch call.action {
        case .ingest(let batch):
            engine.ingest(integration: call.entry.integration, batch: batch) { result in
                completion(self.finish(call, result))
            }
        case .sourceAction:
            Task { completion(await self.perform(call)) }
        }
    }
}
