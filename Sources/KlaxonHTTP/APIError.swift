import Foundation
import Hummingbird
import KlaxonEngine
import Logging

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
        reply.response
    }

    /// The answer: `{"error","message"}` with this status and these header fields.
    var reply: IngestReply {
        let body = (try? JSONSerialization.data(withJSONObject: ["error": code, "message": message], options: [.sortedKeys])) ?? Data()
        return IngestReply(status: status, headers: headers.isEmpty ? nil : headers, body: .json(ByteBuffer(bytes: body)))
    }

    static func badRequest(_ m: String) -> APIError { APIError(.badRequest, "bad_request", m) }
    static func unauthorized(_ m: String) -> APIError {
        APIError(.unauthorized, "unauthorized", m, headers: [.wwwAuthenticate: "Bearer"])
    }
    static func notFound(_ m: String) -> APIError { APIError(.notFound, "not_found", m) }
    static var payloadTooLarge: APIError { APIError(.contentTooLarge, "payload_too_large", "The request body is larger than 1 MiB.") }

    /// Maps an engine error to its HTTP form.
    init(_ e: EngineError) {
        switch e.code {
        case .notFound: self.init(.notFound, "not_found", e.message)
        case .conflict: self.init(.conflict, "conflict", e.message)
        case .invalid: self.init(.badRequest, "bad_request", e.message)
        }
    }
}

extension APIError {
    /// Any error as the client sees it: engine and HTTP errors mapped, anything else an internal
    /// error that is logged and not explained.
    static func from(_ error: any Error, method: HTTPRequest.Method, path: String, logger: Logger) -> APIError {
        switch error {
        case let e as APIError:
            return e
        case let e as EngineError:
            return APIError(e)
        case let e as StoreUnavailable:
            return APIError(.serviceUnavailable, "not_ready",
                            "Klaxon's store cannot make writes durable (\(e.reason)); this was not recorded for sure, send it again once Klaxon is restarted.")
        case let e as HTTPError:
            let code: String
            switch e.status.code {
            case 404: code = "not_found"
            case 405: code = "method_not_allowed"
            case 413: code = "payload_too_large"
            default: code = e.status.code < 500 ? "bad_request" : "internal"
            }
            let message = e.status.code == 404 ? "No route for \(method) \(path)." :
                e.status.code == 413 ? "The request body is larger than 1 MiB." : (e.body ?? e.status.reasonPhrase)
            return APIError(e.status, code, message)
        default:
            logger.error("request failed", metadata: ["error": "\(error)", "path": "\(path)"])
            return APIError(.internalServerError, "internal", "Klaxon could not process the request; it was not recorded.")
        }
    }
}

/// Turns any error thrown by a route into the JSON error shape; nothing reaches a client as a
/// bare 500 for bad input, and internal failures say so without leaking details.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw APIError.from(error, method: request.method, path: request.uri.path, logger: context.logger)
        }
    }
}

extension Response {
    /// A JSON response from a JSON-serialisable value.
    static func json(_ value: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: IngestReply.contentType],
                 body: .init(byteBuffer: ByteBuffer(bytes: try jsonData(value))))
    }
}

/// A JSON-serialisable value as Klaxon writes JSON answers: sorted keys, slashes as they are.
func jsonData(_ value: Any) throws -> Data {
    try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
}
