import Foundation
import Hummingbird
import NIOCore

/// The largest request body Klaxon accepts.
let maxBodySize = 1 << 20

extension Request {
    /// The body, at most 1 MiB (413 otherwise).
    mutating func limitedBody() async throws -> [UInt8] {
        guard let buffer = try await collectLimitedBody() else { throw APIError.payloadTooLarge }
        return Array(buffer.readableBytesView)
    }

    /// The body, or nil when it is over 1 MiB.
    mutating func collectLimitedBody() async throws -> ByteBuffer? {
        do {
            return try await collectBody(upTo: maxBodySize)
        } catch let e as HTTPError where e.status == .contentTooLarge {
            return nil
        } catch is NIOTooManyBytesError {
            return nil
        }
    }

    /// Requires a JSON content type (415 otherwise).
    func requireJSON() throws {
        if let e = jsonContentTypeError(headers[.contentType]) { throw e }
    }

    /// The JSON object in the body: 400 naming the problem when it is not one.
    mutating func jsonObject() async throws -> JSONObject {
        try requireJSON()
        let bytes = try await limitedBody()
        return try parseJSONObject(bytes)
    }

    /// The Bearer token of the Authorization header, if any.
    var bearerToken: String? { headers[.authorization].flatMap(KlaxonHTTP.bearerToken) }
}

/// Whether `bytes` are exactly `literal`'s.
func bytesEqual(_ bytes: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
    guard bytes.count == literal.utf8CodeUnitCount else { return false }
    guard let base = bytes.baseAddress else { return true }
    return memcmp(base, literal.utf8Start, bytes.count) == 0
}

/// The token of the usual `Bearer <token>` value, read on its bytes: "Bearer " and a token
/// that starts and ends with printable ASCII. nil for any other form (`bearerToken` reads those).
func usualBearerToken(_ u: UnsafeRawBufferPointer) -> String? {
    guard u.count > 7, let base = u.baseAddress, memcmp(base, "Bearer ", 7) == 0,
          (0x21...0x7E).contains(u[7]), (0x21...0x7E).contains(u[u.count - 1]) else { return nil }
    return String(decoding: UnsafeRawBufferPointer(rebasing: u[7...]), as: UTF8.self)
}

/// The token of an `Authorization: Bearer <token>` value, if it is one.
func bearerToken(_ authorization: String) -> String? {
    // The usual form first: "Bearer " and a token that starts and ends with printable ASCII,
    // which the general rule below would not trim.
    // On the bytes in place (the generic UTF-8 view's `starts(with:)`, `dropFirst` and `last`
    // were about 1% of Klaxon's samples under `make bench`).
    var authorization = authorization
    if let usual = authorization.withUTF8({ usualBearerToken(UnsafeRawBufferPointer($0)) }) { return usual }
    let parts = authorization.split(separator: " ", maxSplits: 1)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
    return String(parts[1]).trimmingCharacters(in: .whitespaces)
}

/// Why `contentType` is not JSON (415), or nil when it is.
func jsonContentTypeError(_ contentType: String?) -> APIError? {
    if let ct = contentType, isJSONContentType(ct) { return nil }
    let ct = contentType?.lowercased() ?? ""
    guard ct.hasPrefix("application/json") || ct.contains("+json") else {
        return APIError(.unsupportedMediaType, "unsupported_media_type",
                        ct.isEmpty ? "Content-Type must be application/json." : "Content-Type must be application/json, not \(ct).")
    }
    return nil
}

/// `application/json...` or `...+json...`, any case, for ASCII values without allocating
/// (others go the long way in `jsonContentTypeError`).
private func isJSONContentType(_ ct: String) -> Bool {
    var ct = ct
    return ct.withUTF8 { u in
        func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c | 0x20 : c }
        for c in u where c >= 0x80 { return false }
        let prefix: StaticString = "application/json"
        if u.count >= prefix.utf8CodeUnitCount,
           (0..<prefix.utf8CodeUnitCount).allSatisfy({ lower(u[$0]) == prefix.utf8Start[$0] }) {
            return true
        }
        let needle: StaticString = "+json"
        let n = needle.utf8CodeUnitCount
        guard u.count >= n else { return false }
        for start in 0...(u.count - n) where u[start] == UInt8(ascii: "+") {
            if (1..<n).allSatisfy({ lower(u[start + $0]) == needle.utf8Start[$0] }) { return true }
        }
        return false
    }
}

/// Parses a JSON object, refusing invalid UTF-8, deep nesting and non-objects with a clear 400.
/// `what`: how the messages name the input ("The request body", "The file").
func parseJSONObject(_ bytes: [UInt8], what: String = "The request body") throws -> JSONObject {
    try bytes.withUnsafeBytes { try parseJSONObject($0, what: what) }
}

/// Parses a JSON object, refusing invalid UTF-8, deep nesting and non-objects with a clear 400.
func parseJSONObject(_ bytes: UnsafeRawBufferPointer, what: String = "The request body") throws -> JSONObject {
    guard !bytes.isEmpty else { throw APIError.badRequest("\(what) is empty; expected a JSON object.") }
    guard isValidUTF8(bytes) else {
        throw APIError.badRequest("\(what) is not valid UTF-8.")
    }
    let value: JSONValue
    do { value = try FastJSON.parse(bytes) } catch {
        throw APIError.badRequest(error.message.hasPrefix("nested") ? "\(what) is \(error.message)." : "\(what) is not valid JSON (\(error.message)).")
    }
    guard case .object(let object) = value else { throw APIError.badRequest("\(what) must be a JSON object.") }
    return object
}

/// Whether `bytes` are UTF-8: ASCII eight bytes at a time, Swift's validation for the rest.
func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var i = 0
    while i + 8 <= bytes.count {
        if bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
        i += 8
    }
    while i < bytes.count, bytes[i] < 0x80 { i += 1 }
    if i == bytes.count { return true }
    return String(validating: bytes, as: UTF8.self) != nil
}

/// Constant-time comparison of two secrets.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    // Both read in place (an `Array` of one side's bytes was an allocation per ingest request).
    var a = a
    return a.withUTF8 { x in constantTimeEqual(x, b) }
}

/// Constant-time comparison of a secret's bytes with a presented value.
func constantTimeEqual(_ x: [UInt8], _ b: String) -> Bool {
    x.withUnsafeBufferPointer { constantTimeEqual($0, b) }
}

func constantTimeEqual(_ x: UnsafeBufferPointer<UInt8>, _ b: String) -> Bool {
    var b = b
    return b.withUTF8 { y in
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }
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
