import Foundation
import Hummingbird
import KlaxonEngine

/// Every error a client sees: JSON `{"error": "<code>", "message": "<one clear sentence>"}`.
public struct APIError: HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status; self.code = code; self.message = message; self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = try JSONSerialization.data(withJSONObject: ["error": code, "message": message], options: [.sortedKeys])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func badRequest(_ m: String) -> APIError { APIError(.badRequest, "bad_request", m) }
    static func unauthorized(_ m: String) -> APIError {
        APIError(.unauthorized, "unauthorized", m, headers: [.wwwAuthenticate: "Bearer"])
    }
    static func notFound(_ m: String) -> APIError { APIError(.notFound, "not_found", m) }

    /// Maps an engine error to its HTTP form.
    init(_ e: EngineError) {
        switch e.code {
        case .notFound: self.init(.notFound, "not_found", e.message)
        case .conflict: self.init(.conflict, "conflict", e.message)
        case .invalid: self.init(.badRequest, "bad_request", e.message)
        }
    }
}

/// Turns any error thrown by a route into the JSON error shape; nothing reaches a client as a
/// bare 500 for bad input, and internal failures say so without leaking details.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            throw e
        } catch let e as EngineError {
            throw APIError(e)
        } catch let e as HTTPError {
            let code: String
            switch e.status.code {
            case 404: code = "not_found"
            case 405: code = "method_not_allowed"
            case 413: code = "payload_too_large"
            default: code = e.status.code < 500 ? "bad_request" : "internal"
            }
            let message = e.status.code == 404 ? "No route for \(request.method) \(request.uri.path)." :
                e.status.code == 413 ? "The request body is larger than 1 MiB." : (e.body ?? e.status.reasonPhrase)
            throw APIError(e.status, code, message)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            throw APIError(.internalServerError, "internal", "Klaxon could not process the request; it was not recorded.")
        }
    }
}

extension Response {
    /// A JSON response from a JSON-serialisable value.
    static func json(_ value: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
