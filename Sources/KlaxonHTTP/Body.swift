import Foundation
import Hummingbird
import NIOCore

/// The largest request body Klaxon accepts.
let maxBodySize = 1 << 20

extension Request {
    /// The body, at most 1 MiB (413 otherwise).
    mutating func limitedBody() async throws -> [UInt8] {
        do {
            let buffer = try await collectBody(upTo: maxBodySize)
            return Array(buffer.readableBytesView)
        } catch let e as HTTPError where e.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "payload_too_large", "The request body is larger than 1 MiB.")
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "payload_too_large", "The request body is larger than 1 MiB.")
        }
    }

    /// Requires a JSON content type (415 otherwise).
    func requireJSON() throws {
        let ct = headers[.contentType]?.lowercased() ?? ""
        guard ct.hasPrefix("application/json") || ct.contains("+json") else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           ct.isEmpty ? "Content-Type must be application/json." : "Content-Type must be application/json, not \(ct).")
        }
    }

    /// The JSON object in the body: 400 naming the problem when it is not one.
    mutating func jsonObject() async throws -> [String: Any] {
        try requireJSON()
        let bytes = try await limitedBody()
        return try parseJSONObject(bytes)
    }

    /// The Bearer token of the Authorization header, if any.
    var bearerToken: String? {
        guard let auth = headers[.authorization] else { return nil }
        let parts = auth.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }
}

/// Parses a JSON object, refusing invalid UTF-8, deep nesting and non-objects with a clear 400.
func parseJSONObject(_ bytes: [UInt8]) throws -> [String: Any] {
    guard !bytes.isEmpty else { throw APIError.badRequest("The request body is empty; expected a JSON object.") }
    guard String(validating: bytes, as: UTF8.self) != nil else {
        throw APIError.badRequest("The request body is not valid UTF-8.")
    }
    let value: Any
    do { value = try FastJSON.parse(bytes) } catch {
        throw APIError.badRequest(error.message.hasPrefix("nested") ? "The JSON body is \(error.message)." : "The request body is not valid JSON (\(error.message)).")
    }
    guard let object = value as? [String: Any] else { throw APIError.badRequest("The request body must be a JSON object.") }
    return object
}

/// Constant-time comparison of two secrets.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return diff == 0
}

/// Decodes `application/x-www-form-urlencoded`.
func parseForm(_ body: String) -> [String: String] {
    var out: [String: String] = [:]
    for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
        let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        func decode(_ s: Substring) -> String {
            String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
        }
        let key = decode(kv[0])
        out[key] = kv.count > 1 ? decode(kv[1]) : ""
    }
    return out
}
