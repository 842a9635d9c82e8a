import Foundation
import Hummingbird
import KlaxonCore
import KlaxonEngine
import Metrics

/// Alert sources: token check, rate limit, body limit, parsing; the engine commits before the 202.
struct IngestRoutes {
    let engine: IncidentService
    let limiter = RateLimiter()

    func count(_ integration: String, _ outcome: String, _ n: Int = 1) {
        MetricsCache.counter("klaxon_alert_requests_total", [("integration", integration), ("outcome", outcome)]).increment(by: n)
    }

    /// The integration of `kind` whose token is `token`.
    func integration(kind: IntegrationKind, token: String?) -> Integration? {
        guard let token, !token.isEmpty else { return nil }
        var found: Integration? = nil
        for i in engine.runtime.snapshot.config.settings.integrations where i.kind == kind {
            if let t = i.token.value, !t.isEmpty, constantTimeEqual(t, token) { found = i }
        }
        return found
    }

    func authenticate(_ request: Request, kind: IntegrationKind) throws -> Integration {
        guard request.headers[.authorization] != nil else {
            count("unknown", "unauthorized")
            throw APIError.unauthorized("Authorization: Bearer <integration token> is required.")
        }
        guard let token = request.bearerToken, !token.isEmpty else {
            count("unknown", "unauthorized")
            throw APIError.unauthorized("Only Bearer tokens are accepted.")
        }
        guard let found = integration(kind: kind, token: token) else {
            count("unknown", "unauthorized")
            throw APIError.unauthorized("The token does not belong to any \(kind.rawValue) integration.")
        }
        try rateLimit(found)
        return found
    }

    func rateLimit(_ i: Integration) throws {
        if let wait = limiter.take(i.name, ratePerSecond: i.ratePerSecond, burst: i.burst, now: engine.clock.now) {
            count(i.name, "rate_limited")
            let seconds = max(1, Int(wait.rounded(.up)))
            throw APIError(.tooManyRequests, "rate_limited", "Integration \(i.name) sent more than \(Int(i.ratePerSecond)) requests a second; retry after \(seconds)s.",
                           headers: [.retryAfter: "\(seconds)"])
        }
    }

    /// Parses and ingests, counting the outcome.
    func ingest(_ integration: Integration, _ parse: () throws -> AlertBatch) async throws -> Response {
        let batch: AlertBatch
        do { batch = try parse() } catch {
            count(integration.name, "invalid")
            throw error
        }
        let ids = try await engine.ingest(integration: integration, batch: batch)
        count(integration.name, "accepted")
        // Written by hand: ids are `INC-<n>`, nothing to escape, and this answers every alert.
        let body = "{\"incidents\":[" + ids.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
        return Response(status: .accepted, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    func alertmanager(_ request: Request) async throws -> Response {
        var request = request
        let integration = try authenticate(request, kind: .alertmanager)
        let json = try await body(&request, integration)
        return try await ingest(integration) { try AlertGroupPayload.alertmanager(json) }
    }

    func grafana(_ request: Request) async throws -> Response {
        var request = request
        let integration = try authenticate(request, kind: .grafana)
        let json = try await body(&request, integration)
        return try await ingest(integration) { try AlertGroupPayload.grafana(json) }
    }

    func generic(_ request: Request) async throws -> Response {
        var request = request
        let integration = try authenticate(request, kind: .generic)
        let json = try await body(&request, integration)
        return try await ingest(integration) { try GenericAlert.parse(json) }
    }

    private func body(_ request: inout Request, _ integration: Integration) async throws -> [String: Any] {
        do { return try await request.jsonObject() } catch {
            count(integration.name, "invalid")
            throw error
        }
    }

    /// PagerDuty Events API v2: the routing key is the integration's token; answers exactly as
    /// PagerDuty does (plus Klaxon's `error` code on refusals).
    func pagerDuty(_ request: Request) async throws -> Response {
        var request = request
        func invalid(_ errors: [String], status: HTTPResponse.Status = .badRequest, code: String = "invalid_event") throws -> Response {
            try .json(["status": "invalid event", "message": "Event object is invalid", "errors": errors, "error": code], status: status)
        }
        let object: [String: Any]
        do { object = try await request.jsonObject() } catch let e as APIError {
            if e.status == .badRequest { return try invalid([e.message]) }
            throw e
        }
        let event: PagerDutyEvent.Parsed
        do { event = try PagerDutyEvent.parse(object) } catch {
            count("unknown", "invalid")
            return try invalid(error.errors)
        }
        guard let integration = integration(kind: .pagerduty, token: event.routingKey) else {
            count("unknown", "unauthorized")
            return try invalid(["'routing_key' does not match any integration"], status: .unauthorized, code: "unauthorized")
        }
        try rateLimit(integration)
        let dedupKey = event.dedupKey.flatMap { $0.isEmpty ? nil : $0 } ?? UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        switch event.action {
        case .trigger:
            var alert = event.alert!
            alert.fingerprint = dedupKey
            _ = try await engine.ingest(integration: integration, batch: AlertBatch(groupKey: dedupKey, alerts: [alert], title: alert.summary))
        case .acknowledge:
            _ = try await engine.sourceAction(integration: integration, groupKey: dedupKey, fingerprint: dedupKey, resolve: false)
        case .resolve:
            _ = try await engine.sourceAction(integration: integration, groupKey: dedupKey, fingerprint: dedupKey, resolve: true)
        }
        count(integration.name, "accepted")
        return try .json(["status": "success", "message": "Event processed", "dedup_key": dedupKey], status: .accepted)
    }
}
