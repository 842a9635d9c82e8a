import Foundation
import Hummingbird
import KlaxonCore
import KlaxonEngine
import Logging
import Metrics
import NIOCore

/// The four ingest endpoints, each at one exact path.
enum IngestEndpoint: Sendable {
    case alertmanager, grafana, generic, pagerDuty

    /// The endpoint at `path` (a query string is ignored), if it is one.
    init?(path: String) {
        var path = path
        guard let e = path.withUTF8({ IngestEndpoint(target: UnsafeRawBufferPointer($0)) }) else { return nil }
        self = e
    }

    /// The same from a request target's bytes. (Through a `String`'s generic UTF-8 view, the
    /// search for `?` and the comparison were 2.5% of Klaxon's samples under `make bench`.)
    init?(target: UnsafeRawBufferPointer) {
        var n = 0
        while n < target.count, target[n] != UInt8(ascii: "?") { n += 1 }
        // The four paths differ in length, so the length picks the candidate.
        let candidate: IngestEndpoint
        switch n {
        case 23: candidate = .alertmanager
        case 18: candidate = .grafana
        case 10: candidate = .generic
        case 11: candidate = .pagerDuty
        default: return nil
        }
        let expected = candidate.staticPath
        guard let base = target.baseAddress, memcmp(base, expected.utf8Start, n) == 0 else { return nil }
        self = candidate
    }

    private var staticPath: StaticString {
        switch self {
        case .alertmanager: "/v1/alerts/alertmanager"
        case .grafana: "/v1/alerts/grafana"
        case .generic: "/v1/alerts"
        case .pagerDuty: "/v2/enqueue"
        }
    }

    var path: String { staticPath.description }

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
}

/// One integration as ingest uses it: the token to compare, its rate bucket and its counters,
/// set up once per configuration rather than looked up per request.
final class IngestEntry: Sendable {
    let integration: Integration
    /// Empty when the integration's secret is unset: then nothing matches it.
    let token: [UInt8]
    let bucket: TokenBucket
    let tally: IngestTally
    /// The engine's counters of the integration's alerts, kept here so no ingest looks them up.
    let counters: IngestCounters

    init(_ integration: Integration, bucket: TokenBucket) {
        self.integration = integration
        self.token = Array((integration.token.value ?? "").utf8)
        self.bucket = bucket
        tally = IngestTally(integration.name)
        counters = IngestCounters.for(integration.name)
    }
}

/// The ingest counters of one integration (or of `unknown`, for requests that named none).
/// Every request to the four ingest endpoints is counted once in
/// `klaxon_alert_requests_total{integration,outcome}`, and its alerts in
/// `klaxon_alerts_total{integration,outcome}` (accepted or refused). The engine counts the
/// alerts it committed by status in `klaxon_alerts_received_total`; nothing here touches that one.
struct IngestTally: Sendable {
    /// How a request ended, the `outcome` of `klaxon_alert_requests_total`.
    enum Outcome: String, Sendable {
        case accepted
        /// Refused for its content: content type, body size, JSON, payload (4xx).
        case invalid
        /// No token, or one that names no integration of the endpoint's kind.
        case unauthorized
        case rateLimited = "rate_limited"
        /// The engine could not commit it (5xx).
        case error
    }

    let integration: String
    private let accepted: Counter
    private let invalid: Counter
    private let rateLimited: Counter
    /// Made up front only for `unknown`, the one that counts them (hostile traffic included).
    private let unauthorized: Counter?
    private let alertsAccepted: Counter
    private let alertsRefused: Counter

    init(_ integration: String, unknown: Bool = false) {
        self.integration = integration
        unauthorized = unknown ? IngestCore.counter(integration, Outcome.unauthorized.rawValue) : nil
        accepted = IngestCore.counter(integration, Outcome.accepted.rawValue)
        invalid = IngestCore.counter(integration, Outcome.invalid.rawValue)
        rateLimited = IngestCore.counter(integration, Outcome.rateLimited.rawValue)
        alertsAccepted = MetricsCache.counter("klaxon_alerts_total", [("integration", integration), ("outcome", "accepted")])
        alertsRefused = MetricsCache.counter("klaxon_alerts_total", [("integration", integration), ("outcome", "refused")])
    }

    /// An accepted request carrying `alerts` alerts (a PagerDuty acknowledge or resolve is one).
    func accept(alerts: Int) {
        accepted.increment()
        if alerts > 0 { alertsAccepted.increment(by: alerts) }
    }

    /// A refused request; `alerts` is how many it carried, 1 when they cannot be counted.
    func refuse(_ outcome: Outcome, alerts: Int = 1) {
        switch outcome {
        case .invalid: invalid.increment()
        case .rateLimited: rateLimited.increment()
        case .unauthorized: (unauthorized ?? IngestCore.counter(integration, outcome.rawValue)).increment()
        case .accepted, .error: IngestCore.counter(integration, outcome.rawValue).increment()
        }
        alertsRefused.increment(by: max(1, alerts))
    }
}

/// The ingest rules, whatever carries the request: token check, rate limit, content type, body
/// limit and parsing, then the engine commits and the answer is made. Hummingbird's routes
/// (`IngestRoutes`) and the event-loop fast path (`IngestFastPath`) both run requests through
/// here, so they answer alike and count alike (`IngestTally`): every request once, under the
/// integration whose token or routing key it carried, or `unknown` when it carried none.
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

        /// The alerts it carries, as `klaxon_alerts_total` counts them (a PagerDuty acknowledge
        /// or resolve is one).
        var alerts: Int {
            switch action {
            case .ingest(let batch): batch.alerts.count
            case .sourceAction: 1
            }
        }
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
    /// Of those, the ones `IngestWire` answered straight from the bytes, before NIO's HTTP codec
    /// (`klaxon_http_ingest_wire_total`).
    let wireAnswers: Counter
    private let limiter = RateLimiter()
    /// One per event loop (see `AnswerMailbox`), made on a loop's first connection.
    private let mailboxes = Locked<[ObjectIdentifier: AnswerMailbox]>([:])
    private let table = Locked<(integrations: [Integration], entries: [IngestEntry])>(([], []))
    /// The counters of requests that named no integration.
    private let unknown: IngestTally

    /// `metrics` makes the fast-path counter: the metrics system's by default; a test gives its
    /// own, to read its server's count alone. `unknown` is the `integration` label of requests
    /// that named no integration; a test gives its own, to read its own counts.
    init(engine: IncidentService, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory, unknown: String = "unknown") {
        self.engine = engine
        self.logger = logger
        fastPathAnswers = Counter(label: "klaxon_http_ingest_fast_path_total", factory: metrics)
        wireAnswers = Counter(label: "klaxon_http_ingest_wire_total", factory: metrics)
        self.unknown = IngestTally(unknown, unknown: true)
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
        e.tally.refuse(.rateLimited)
        let seconds = max(1, Int(wait.rounded(.up)))
        return APIError(.tooManyRequests, "rate_limited", "Integration \(i.name) sent more than \(Int(i.ratePerSecond)) requests a second; retry after \(seconds)s.",
                        headers: [.retryAfter: "\(seconds)"]).reply
    }

    // MARK: - The steps

    /// The checks on the header fields, in order: token (Bearer sources), rate limit, content type.
    func admit(_ endpoint: IngestEndpoint, authorization: String?, contentType: String?) -> Admission {
        admit(endpoint, bearer: authorization.map { bearerToken($0) }, contentType: contentType)
    }

    /// The same with the Authorization field read already: nil when there was none, `.some(nil)`
    /// when it holds no Bearer token, else the token (`bearerToken`).
    func admit(_ endpoint: IngestEndpoint, bearer: String??, contentType: String?) -> Admission {
        if endpoint == .pagerDuty {
            // The routing key is in the body, which is not read: the refusal names no integration.
            if let e = jsonContentTypeError(contentType) {
                unknown.refuse(.invalid)
                return .refused(e.reply)
            }
            return .admitted(Admitted(endpoint: endpoint, entry: nil))
        }
        guard let bearer else {
            unknown.refuse(.unauthorized)
            return .refused(APIError.unauthorized("Authorization: Bearer <integration token> is required.").reply)
        }
        guard let token = bearer, !token.isEmpty else {
            unknown.refuse(.unauthorized)
            return .refused(APIError.unauthorized("Only Bearer tokens are accepted.").reply)
        }
        guard let entry = entry(kind: endpoint.kind, token: token) else {
            unknown.refuse(.unauthorized)
            return .refused(APIError.unauthorized("The token does not belong to any \(endpoint.kind.rawValue) integration.").reply)
        }
        if let refusal = rateLimited(entry) { return .refused(refusal) }
        if let e = jsonContentTypeError(contentType) {
            entry.tally.refuse(.invalid)
            return .refused(e.reply)
        }
        return .admitted(Admitted(endpoint: endpoint, entry: entry))
    }

    /// The answer when the body is over 1 MiB (for PagerDuty, whose routing key is in the body
    /// that is not read, the refusal names no integration).
    func bodyTooLarge(_ a: Admitted) -> IngestReply {
        (a.entry?.tally ?? unknown).refuse(.invalid)
        return APIError.payloadTooLarge.reply
    }

    /// Parses the body (at most 1 MiB): an answer now, or the engine call to make.
    func decide(_ a: Admitted, body: UnsafeRawBufferPointer) -> Decision {
        guard let entry = a.entry else { return pagerDuty(body) }
        // Alertmanager's usual payload straight from the bytes; anything else the general way.
        if a.endpoint == .alertmanager, let batch = AlertmanagerDirect.parse(body) {
            return .call(EngineCall(endpoint: a.endpoint, entry: entry, action: .ingest(batch)))
        }
        let batch: AlertBatch
        // How many alerts a refusal counts: a grouped payload refused for a field still says.
        var sent = 1
        do {
            let json = try parseJSONObject(body)
            if a.endpoint != .generic, case .array(let list)? = json["alerts"] { sent = list.count }
            switch a.endpoint {
            case .alertmanager: batch = try AlertGroupPayload.alertmanager(json)
            case .grafana: batch = try AlertGroupPayload.grafana(json)
            case .generic: batch = try GenericAlert.parse(json)
            case .pagerDuty: return pagerDuty(body) // not reached: PagerDuty has no entry yet
            }
        } catch {
            entry.tally.refuse(.invalid, alerts: sent)
            return .reply(errorReply(error, a.endpoint))
        }
        return .call(EngineCall(endpoint: a.endpoint, entry: entry, action: .ingest(batch)))
    }

    /// PagerDuty's refusal of an event: exactly its three keys, in its order.
    static func pagerDutyInvalid(_ errors: [String]) -> IngestReply {
        var body = ByteBuffer()
        body.writeStaticString(#"{"status":"invalid event","message":"Event object is invalid","errors":"#)
        body.writeBytes((try? jsonData(errors)) ?? Data("[]".utf8))
        body.writeStaticString("}")
        return IngestReply(status: .badRequest, headers: nil, body: .json(body))
    }

    /// PagerDuty's answer to an accepted event, its keys in its order.
    static func pagerDutySuccess(dedupKey: String) -> IngestReply {
        var body = ByteBuffer()
        body.writeStaticString(#"{"status":"success","message":"Event processed","dedup_key":"#)
        // The key as a JSON string: the one element of a JSON array, without its brackets.
        let array = (try? jsonData([dedupKey])) ?? Data(#"[""]"#.utf8)
        body.writeBytes(array.dropFirst().dropLast())
        body.writeStaticString("}")
        return IngestReply(status: .accepted, headers: nil, body: .json(body))
    }

    /// PagerDuty Events API v2: the routing key is the integration's token; answers exactly as
    /// PagerDuty does.
    private func pagerDuty(_ body: UnsafeRawBufferPointer) -> Decision {
        let object: JSONObject
        do { object = try parseJSONObject(body) } catch {
            unknown.refuse(.invalid)
            return .reply(Self.pagerDutyInvalid([(error as? APIError)?.message ?? "\(error)"]))
        }
        let event: PagerDutyEvent.Parsed
        do { event = try PagerDutyEvent.parse(object.any) } catch {
            // Counted under the integration its routing key names, if it names one.
            (error.routingKey.flatMap { entry(kind: .pagerduty, token: $0) }?.tally ?? unknown).refuse(.invalid)
            return .reply(Self.pagerDutyInvalid(error.errors))
        }
        guard let entry = entry(kind: .pagerduty, token: event.routingKey) else {
            // PagerDuty documents 202, 400, 429 and 5xx for /v2/enqueue, never 401: a refused
            // event is a 400 in its shape ("Invalid routing key" is what clients report for a
            // key PagerDuty does not know; its exact body is not documented). So a well-formed
            // key that is no pagerduty integration's token is a 400 like any invalid event,
            // whose errors entry says the key is unknown here. Counted as unauthorized.
            unknown.refuse(.unauthorized)
            return .reply(Self.pagerDutyInvalid(["'routing_key' is not known to this Klaxon (it is no pagerduty integration's token)"]))
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
        finish(CallSummary(call), result)
    }

    /// What `finish` needs of a call: not its alerts (a completion that kept them would free
    /// them on the engine's thread).
    struct CallSummary: Sendable {
        var endpoint: IngestEndpoint
        var entry: IngestEntry
        var pagerDutyKey: String?
        var alerts: Int
        init(_ call: EngineCall) {
            endpoint = call.endpoint; entry = call.entry; pagerDutyKey = call.pagerDutyKey; alerts = call.alerts
        }
    }

    func finish(_ call: CallSummary, _ result: Result<[String], any Error>) -> IngestReply {
        switch result {
        case .success(let ids):
            call.entry.tally.accept(alerts: call.alerts)
            if let key = call.pagerDutyKey { return Self.pagerDutySuccess(dedupKey: key) }
            return IngestReply(status: .accepted, headers: nil, body: .incidents(ids))
        case .failure(let error):
            let reply = errorReply(error, call.endpoint)
            call.entry.tally.refuse(reply.status.code < 500 ? .invalid : .error, alerts: call.alerts)
            return reply
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

    /// The mailbox that carries answers back to `loop`.
    func mailbox(for loop: any EventLoop) -> AnswerMailbox {
        mailboxes.withLock { boxes in
            let id = ObjectIdentifier(loop)
            if let box = boxes[id] { return box }
            let box = AnswerMailbox(loop: loop)
            boxes[id] = box
            return box
        }
    }

    /// Runs `call` and posts the answer to `hop`'s mailbox (nothing allocated per request for
    /// the way back). An ingest starts no task here; the rare PagerDuty acknowledge and resolve do.
    func perform(_ call: EngineCall, hop: AnswerHop) {
        switch call.action {
        case .ingest(let batch):
            hop.summary = CallSummary(call)
            engine.ingest(integration: call.entry.integration, batch: batch, counters: call.entry.counters, listener: hop)
        case .sourceAction:
            Task { hop.mailbox.post(hop, await self.perform(call), nil) }
        }
    }

    /// Runs `call` and hands the answer to `completion`, on a thread of the engine's choosing;
    /// for callers outside Swift concurrency. An ingest starts no task here; the rare PagerDuty
    /// acknowledge and resolve do. Drop the request on your own thread (see
    /// `IncidentService.ingest(integration:batch:completion:)`).
    func perform(_ call: EngineCall, completion: @escaping @Sendable (IngestReply, IngestRequest?) -> Void) {
        switch call.action {
        case .ingest(let batch):
            let summary = CallSummary(call)
            engine.ingest(integration: call.entry.integration, batch: batch, counters: call.entry.counters) { result, request in
                completion(self.finish(summary, result), request)
            }
        case .sourceAction:
            Task { completion(await self.perform(call), nil) }
        }
    }
}
