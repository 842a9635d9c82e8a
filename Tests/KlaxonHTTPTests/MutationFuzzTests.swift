import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import KlaxonTestSupport
import Testing
@testable import KlaxonHTTP

/// Every alert-source fixture, mutated hundreds of ways (truncated, bytes changed, ranges cut or
/// repeated, tokens and deep nesting inserted, values of another type), each sent through the
/// router and over loopback to the fast path. Every answer is a 202 or a 4xx JSON error, never a
/// 5xx or a dropped connection; both paths give the same status and error; a refused request
/// commits nothing to the SQLite file; and a valid request is still accepted afterwards.
@Suite struct MutationFuzzTests {
    static let fixtures = ["alertmanager/firing-accuracy-drop-2-alerts.json", "alertmanager/firing-feature-pipeline.json",
                           "alertmanager/firing-gpu-memory.json", "alertmanager/resolved-feature-pipeline.json",
                           "grafana/firing-token-budget.json", "grafana/resolved-token-budget.json",
                           "pagerduty/trigger-drift.json", "pagerduty/acknowledge-drift.json", "pagerduty/resolve-drift.json",
                           "pagerduty/trigger-rag-index.json"]
    static let perFixture = 200

    static let bytes: [UInt8] = [0x00, 0x01, 0x09, 0x0A, 0x20, 0x22, 0x2C, 0x2D, 0x2E, 0x30, 0x31, 0x3A, 0x45, 0x5B, 0x5C, 0x5D,
                                 0x65, 0x6E, 0x74, 0x7B, 0x7D, 0x7F, 0x80, 0xBF, 0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF5, 0xFF]
    static let tokens = ["{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "-", "1e999", "-0.0e-7", "123456789012345678901234567890",
                         "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\uZZZZ\"", "\u{FEFF}", "\u{2028}", "/*x*/", "NaN", "'a'",
                         "{\"version\":\"4\"}", "\"fingerprint\":\"\"", "\"status\":\"exploded\","]
    static let values = ["1", "-1", "0.5", "true", "false", "null", "[]", "{}", "[\"a\"]", "{\"a\":{}}", "\"\"",
                         "\"" + String(repeating: "x", count: 5000) + "\"", "1e400", "\"P0\"", "\"critical\"", "\"2026-02-30T25:61:00Z\""]

    /// One mutant of `body`.
    static func mutate(_ body: [UInt8], _ r: inout SplitMix64) -> (String, [UInt8]) {
        var b = body
        let at = r.below(b.count + 1)
        switch r.below(8) {
        case 0:
            return ("truncated at \(at)", Array(b[..<at]))
        case 1:
            guard !b.isEmpty else { return ("empty", b) }
            let i = min(at, b.count - 1), v = bytes[r.below(bytes.count)]
            b[i] = v
            return ("byte \(i) set to \(v)", b)
        case 2:
            let end = min(b.count, at + 1 + r.below(40))
            b.removeSubrange(at..<end)
            return ("bytes \(at)..<\(end) cut", b)
        case 3:
            let end = min(b.count, at + 1 + r.below(60))
            b.insert(contentsOf: b[at..<end], at: end)
            return ("bytes \(at)..<\(end) repeated", b)
        case 4:
            let t = tokens[r.below(tokens.count)]
            b.insert(contentsOf: Array(t.utf8), at: at)
            return ("\(t) inserted at \(at)", b)
        case 5:
            let depth = [64, 65, 1000, 100_000][r.below(4)]
            b.insert(contentsOf: Array(repeating: UInt8(ascii: "["), count: depth), at: at)
            return ("\(depth) brackets inserted at \(at)", b)
        case 6:
            // A value after a colon replaced by one of another type.
            let colons = b.indices.filter { b[$0] == UInt8(ascii: ":") }
            guard let c = colons.isEmpty ? nil : colons[r.below(colons.count)] else { return ("no colon", b) }
            var end = c + 1
            var depth = 0, inString = false, escaped = false
            while end < b.count {
                let ch = b[end]
                if inString {
                    if escaped { escaped = false } else if ch == UInt8(ascii: "\\") { escaped = true } else if ch == UInt8(ascii: "\"") { inString = false }
                } else if ch == UInt8(ascii: "\"") { inString = true }
                else if ch == UInt8(ascii: "{") || ch == UInt8(ascii: "[") { depth += 1 }
                else if ch == UInt8(ascii: "}") || ch == UInt8(ascii: "]") { if depth == 0 { break }; depth -= 1 }
                else if ch == UInt8(ascii: ","), depth == 0 { break }
                end += 1
            }
            let v = values[r.below(values.count)]
            b.replaceSubrange((c + 1)..<end, with: Array(v.utf8))
            return ("value after byte \(c) replaced by \(v.prefix(20))", b)
        default:
            // Two mutations at once.
            let (a, once) = mutate(body, &r)
            let (c, twice) = mutate(once, &r)
            return ("\(a), then \(c)", twice)
        }
    }

    static func mutants() throws -> [IngestRequest] {
        var r = SplitMix64(seed: 0x4B4C_4158_4F4E)
        var out: [IngestRequest] = []
        for name in fixtures {
            let f = try IngestRequest(fixture: name)
            for _ in 0..<perFixture {
                let (what, body) = mutate(f.body, &r)
                out.append(IngestRequest("\(name): \(what)", path: f.path, headers: f.headers, body: body))
            }
        }
        return out
    }

    /// What a reader connection of its own sees of commits by others (`PRAGMA data_version`).
    static func dataVersion(_ db: DatabaseQueue) throws -> Int {
        try db.inDatabase { try Int.fetchOne($0, sql: "PRAGMA data_version")! }
    }

    @Test func mutatedFixturesAreAcceptedOrRefusedCleanlyAlikeOnBothPaths() async throws {
        let requests = try Self.mutants()
        #expect(requests.count == Self.fixtures.count * Self.perFixture)

        // Through the router.
        let routed = try HTTPHarness(prefix: "fuzz-r-")
        let routedDB = try DatabaseQueue(path: routed.dir + "/k.db")
        let (viaRouter, commits) = try await routed.app().test(.router) { client in
            var seens: [Seen] = []
            var commits = 0
            for q in requests {
                let before = try Self.dataVersion(routedDB)
                let seen = Seen(try await client.execute(uri: q.path, method: .post, headers: q.fields, body: ByteBuffer(bytes: q.body)))
                seens.append(seen)
                if seen.status != 202 {
                    #expect(try Self.dataVersion(routedDB) == before, "router, \(q.name): refused with \(seen.status) but the store changed")
                } else if try Self.dataVersion(routedDB) != before {
                    commits += 1
                }
            }
            return (seens, commits)
        }
        // The check sees commits: accepted requests that changed something did change the version.
        #expect(commits > 50, "only \(commits) accepted requests changed the store")

        // Over loopback, where the fast path answers.
        let live = try HTTPHarness(prefix: "fuzz-f-")
        let liveDB = try DatabaseQueue(path: live.dir + "/k.db")
        let viaFastPath = try await live.server().test(.live) { client in
            let port = try #require(client.port)
            var seens: [Seen] = []
            for q in requests {
                let before = try Self.dataVersion(liveDB)
                let seen = try await RawConnection.with(port: port) { c in
                    try await c.send(q.bytes)
                    return Seen(try await c.response())
                }
                seens.append(seen)
                if seen.status != 202 {
                    #expect(try Self.dataVersion(liveDB) == before, "fast path, \(q.name): refused with \(seen.status) but the store changed")
                }
            }
            // Still up and accepting.
            let valid = try IngestRequest(fixture: "alertmanager/firing-gpu-memory.json")
            let after = try await RawConnection.with(port: port) { c in
                try await c.send(valid.bytes)
                return try await c.response().status
            }
            #expect(after == 202)
            return seens
        }

        var accepted = 0
        for (i, q) in requests.enumerated() {
            let r = viaRouter[i], f = viaFastPath[i]
            if r.status == 202 { accepted += 1; #expect(f.status == 202, "\(q.name): router 202, fast path \(f)"); continue }
            #expect((400..<500).contains(r.status), "\(q.name): \(r)")
            #expect(r.contentType == IngestReply.contentType, "\(q.name): \(r.contentType ?? "no content type")")
            let o = (try? JSONSerialization.jsonObject(with: Data(r.body.utf8))) as? [String: Any] ?? [:]
            if q.path == "/v2/enqueue" {
                #expect(o["status"] is String && o["message"] is String && (r.status != 400 || o["errors"] is [String]), "\(q.name): \(r)")
            } else {
                #expect(o["error"] is String && (o["message"] as? String)?.isEmpty == false, "\(q.name): \(r)")
            }
            #expect(f == r, "\(q.name): router \(r), fast path \(f)")
        }
        // The mutants are not all refused (nor all accepted): both kinds of answer are exercised.
        #expect(accepted > requests.count / 20 && accepted < requests.count / 2, "\(accepted) of \(requests.count) accepted")
    }
}
