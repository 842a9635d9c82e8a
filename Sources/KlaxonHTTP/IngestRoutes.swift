import Foundation
import Hummingbird
import KlaxonEngine

/// The alert sources on Hummingbird's router. The rules are `IngestCore`'s; in the server most
/// of these requests are answered by `IngestFastPath` before they reach the router.
struct IngestRoutes {
    let core: IngestCore

    func handle(_ endpoint: IngestEndpoint, _ request: Request) async throws -> Response {
        var request = request
        let admitted: IngestCore.Admitted
        switch core.admit(endpoint, authorization: request.headers[.authorization], contentType: request.headers[.contentType]) {
        case .refused(let reply): return reply.response
        case .admitted(let a): admitted = a
        }
        guard let body = try await request.collectLimitedBody() else { return core.bodyTooLarge(admitted).response }
        let decision = body.withUnsafeReadableBytes { core.decide(admitted, body: $0) }
        switch decision {
        case .reply(let reply): return reply.response
        case .call(let call): return await core.perform(call).response
        }
    }
}
