import Foundation
import Hummingbird
import KlaxonCore
import KlaxonEngine

/// Alert sources: token check, body limit, parsing; the engine commits before the 202.
struct IngestRoutes {
    let engine: IncidentService

    /// The integration of `kind` whose token is the request's Bearer token.
    func authenticate(_ request: Request, kind: IntegrationKind) throws -> Integration {
        guard request.headers[.authorization] != nil else {
            throw APIError.unauthorized("Authorization: Bearer <integration token> is required.")
        }
        guard let token = request.bearerToken, !token.isEmpty else {
            throw APIError.unauthorized("Only Bearer tokens are accepted.")
        }
        let integrations = engine.runtime.snapshot.config.settings.integrations.filter { $0.kind == kind }
        var found: Integration? = nil
        for i in integrations {
            if let t = i.token.value, !t.isEmpty, constantTimeEqual(t, token) { found = i }
        }
        guard let found else { throw APIError.unauthorized("The token does not belong to any \(kind.rawValue) integration.") }
        return found
    }

    func alertmanager(_ request: Request) async throws -> Response {
        var request = request
        let integration = try authenticate(request, kind: .alertmanager)
        let json = try await request.jsonObject()
        let batch = try AlertmanagerPayload.parse(json)
        let ids = try await engine.ingest(integration: integration, batch: batch)
        return try .json(["incidents": ids], status: .accepted)
    }
}
