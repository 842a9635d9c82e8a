import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import KlaxonTestSupport
import Testing
@testable import KlaxonHTTP

/// The incident, on-call and calendar API with odd ids, actions, query values, tokens and
/// mutated bodies. Every answer is a 2xx or a 4xx JSON error, never a 5xx; a GET never writes;
/// a refused request commits nothing.
@Suite struct APIFuzzTests {
    static let ids = ["INC-1", "INC-3", "INC-0", "INC--1", "INC-99999999999999999999", "inc-1", "INC-1.0", "1", "INC-", "INC-1%00",
                      "..%2F..%2Fetc%2Fpasswd", "%E2%80%AE", String(repeating: "A", count: 5000), "INC-1%20", "%FF%FE", "INC-%31"]
    static let actions = ["ack", "resolve", "escalate", "delete", "ACK", "", "ack%00", "..", String(repeating: "x", count: 300)]
    static let queryValues = ["open", "resolved", "acknowledged", "all", "", "open,resolved", "OPEN", "%00", "-1", "99999999999999999999",
                              "2026-03-29T02:30:00Z", "2026-03-29T02:30:00+02:00", "2026-03-29T02:30:00%2B02:00", "2026-13-40T99:99:99Z",
                              "yesterday", "1e309", "ml-platform", "nobody", "%C3%A9", String(repeating: "9", count: 400)]
    static let bodies = [#"{"by": "alice", "note": "rolled back"}"#, #"{"by": "bob"}"#, "{}", ""]

    static func requests() -> [(name: String, method: HTTPRequest.Method, uri: String, body: [UInt8], auth: Bool)] {
        var r = SplitMix64(seed: 0x41_5049)
        var out: [(String, HTTPRequest.Method, String, [UInt8], Bool)] = []
        func pick(_ a: [String]) -> String { a[r.below(a.count)] }
        for i in 0..<500 {
            let auth = r.chance(85)
            switch i % 5 {
            case 0:
                let q = ["status=\(pick(queryValues))", "limit=\(pick(queryValues))", pick(queryValues)].prefix(1 + r.below(3)).joined(separator: "&")
                out.append(("list ?\(q.prefix(40))", .get, "/v1/incidents?\(q)", [], auth))
            case 1:
                let id = pick(ids)
                out.append(("show \(id.prefix(40))", .get, "/v1/incidents/\(id)", [], auth))
            case 2:
                let id = pick(ids), action = pick(actions)
                var body = Array(pick(bodies).utf8)
                if r.chance(60) { body = MutationFuzzTests.mutate(body, &r).1 }
                out.append(("\(action.prefix(20)) \(id.prefix(30)) \(String(decoding: body, as: UTF8.self).prefix(40))", .post, "/v1/incidents/\(id)/\(action)", body, auth))
            case 3:
                let team = r.chance(50) ? "ml-platform" : pick(queryValues)
                let q = "team=\(team)" + (r.chance(70) ? "&at=\(pick(queryValues))" : "")
                out.append(("oncall ?\(q.prefix(50))", .get, "/v1/oncall?\(q)", [], auth))
            default:
                let person = ["alice", "bob", "nobody", "", "alice%00", "..%2Falice", "%E2%80%AE"][r.below(7)]
                let token = r.chance(30) ? String(repeating: "0", count: 64) : pick(queryValues)
                out.append(("calendar \(person)", .get, "/calendar/\(person).ics?token=\(token)", [], false))
            }
        }
        return out
    }

    @Test func oddAPIRequestsAreAnsweredCleanlyAndGetsNeverWrite() async throws {
        let h = try HTTPHarness()
        try await h.openIncidents(upTo: 3)
        let db = try DatabaseQueue(path: h.dir + "/k.db")
        @Sendable func version() throws -> Int { try db.inDatabase { try Int.fetchOne($0, sql: "PRAGMA data_version")! } }
        let answered = try await h.app().test(.router) { client in
            var answered: [Int: Int] = [:]
            for q in Self.requests() {
                var headers: HTTPFields = [.contentType: "application/json"]
                if q.auth { headers[.authorization] = "Bearer \(apiToken)" }
                let before = try version()
                let r = try await client.execute(uri: q.uri, method: q.method, headers: headers, body: ByteBuffer(bytes: q.body))
                let status = Int(r.status.code)
                answered[status, default: 0] += 1
                #expect((200..<300).contains(status) || (400..<500).contains(status), "\(q.name): \(status) \(String(buffer: r.body).prefix(300))")
                if !(200..<300).contains(status) {
                    let o = (try? JSONSerialization.jsonObject(with: Data(r.body.readableBytesView))) as? [String: Any]
                    #expect(o?["error"] is String && (o?["message"] as? String)?.isEmpty == false, "\(q.name): \(status) \(String(buffer: r.body).prefix(300))")
                    #expect(try version() == before, "\(q.name): refused with \(status) but the store changed")
                }
                if q.method == .get { #expect(try version() == before, "\(q.name): a GET changed the store") }
            }
            return answered
        }
        // Both kinds of answer came up, and some actions really ran.
        #expect(answered[200, default: 0] > 50 && answered.filter { $0.key >= 400 }.values.reduce(0, +) > 100, "\(answered)")
        #expect(try await h.engine.incidents(openOnly: false).contains { $0.status != .triggered })
    }
}
