import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import KlaxonTestSupport
import Testing
@testable import KlaxonHTTP

/// Slack requests that pass the signature check but say strange things: the signed fixtures
/// with their bodies mutated, slash commands built from odd verbs, ids, arguments and users,
/// and button payloads with their JSON mutated, each signed again with the signing secret.
/// Every answer is a 200 with a JSON message (without a `<` Slack would read) or a 4xx JSON
/// error, never a 5xx; a refused request and anything from a user Klaxon does not know commits
/// nothing; Klaxon still answers after.
@Suite struct SlackFuzzTests {
    static let timestamp = "1795420800"

    static func signed(_ path: String, _ body: [UInt8]) -> IngestRequest {
        IngestRequest(path, path: path, headers: [("Content-Type", "application/x-www-form-urlencoded"),
                                                  ("X-Slack-Request-Timestamp", timestamp),
                                                  ("X-Slack-Signature", SlackSignature.sign(secret: slackSecret, timestamp: timestamp, body: body))],
                      body: body)
    }

    static func form(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    static let users = ["U0ALICE01", "U0BOB0002", "U0NOBODY9", "", String(repeating: "U", count: 3000), "U0ALICE01%00"]
    static let verbs = ["ack", "resolve", "escalate", "severity", "assign", "update", "status", "playbook", "help", "", "ACK", "ack\u{0}", "rm -rf"]
    static let ids = ["INC-7", "INC-1", "INC-0", "INC--1", "INC-99999999999999999999", "inc-7", "INC-7.5", "#7", "INC-", "INC-1e3", "7", ""]
    static let args = ["P0", "P9", "p1", "@U0BOB0002", "<@U0BOB0002|bob>", "<!channel>", String(repeating: "long ", count: 2000),
                       "\u{202E}rtl", "🔥", "\"quoted", "&amp;", "", "P1 extra"]
    static let commands = ["/incident", "/oncall", "/unknown", "", "/INCIDENT"]

    static func requests() throws -> [(name: String, request: IngestRequest, user: String)] {
        var r = SplitMix64(seed: 0x534C_4143_4B)
        var out: [(String, IngestRequest, String)] = []
        // The signed fixtures, bodies mutated.
        for name in ["slash-ack-valid", "slash-resolve-valid", "interaction-ack-button-valid"] {
            let f = try Fixture("slack/\(name).json")
            for _ in 0..<80 {
                let (what, body) = MutationFuzzTests.mutate(f.body, &r)
                out.append(("\(name): \(what)", signed(f.path, body), "?"))
            }
        }
        // Slash commands from odd parts.
        for _ in 0..<250 {
            // Mostly people Klaxon knows and incidents that exist, so many commands really act.
            let user = r.chance(60) ? "U0ALICE01" : users[r.below(users.count)]
            let command = r.chance(70) ? "/incident" : commands[r.below(commands.count)]
            var words = [verbs[r.below(verbs.count)]]
            if r.chance(80) { words.append(r.chance(50) ? "INC-\(1 + r.below(7))" : ids[r.below(ids.count)]) }
            if r.chance(50) { words.append(args[r.below(args.count)]) }
            let text = words.joined(separator: [" ", "  ", "\t"][r.below(3)])
            let body = "token=x&team_id=T0001&user_id=\(form(user))&command=\(form(command))&text=\(form(text))"
            out.append(("\(command) \(text.prefix(60)) from \(user.prefix(12))", signed("/slack/commands", Array(body.utf8)), user))
        }
        // Button payloads: the JSON mutated, or odd actions and values.
        let button = try Fixture("slack/interaction-ack-button-valid.json")
        let payload = String(decoding: button.body, as: UTF8.self).dropFirst("payload=".count).removingPercentEncoding!
        let actions = ["incident.ack", "incident.resolve", "incident.escalate", "incident.delete", "", "incident.ack.extra"]
        for i in 0..<200 {
            var json = Array(payload.utf8)
            var what: String
            if i % 2 == 0 {
                (what, json) = MutationFuzzTests.mutate(json, &r)
            } else {
                let action = actions[r.below(actions.count)], value = ids[r.below(ids.count)], user = users[r.below(users.count)]
                var text = payload.replacingOccurrences(of: "\"incident.ack\"", with: "\"\(action)\"")
                text = text.replacingOccurrences(of: "\"INC-7\"", with: "\"\(value)\"")
                text = text.replacingOccurrences(of: "\"U0BOB0002\"", with: "\"\(user)\"")
                json = Array(text.utf8)
                what = "\(action) \(value) from \(user.prefix(12))"
            }
            let body = "payload=" + form(String(decoding: json, as: UTF8.self))
            out.append(("button: \(what)", signed("/slack/interactions", Array(body.utf8)), "?"))
        }
        return out
    }

    @Test func oddButSignedSlackRequestsAreAnsweredCleanly() async throws {
        let requests = try Self.requests()
        let h = try HTTPHarness(now: Date(timeIntervalSince1970: 1_795_420_830))
        try await h.openIncidents(upTo: 7)
        let db = try DatabaseQueue(path: h.dir + "/k.db")
        @Sendable func version() throws -> Int { try db.inDatabase { try Int.fetchOne($0, sql: "PRAGMA data_version")! } }
        let statuses = try await h.app().test(.router) { client in
            var statuses: [Int: Int] = [:]
            var acted = 0
            for (name, q, user) in requests {
                let before = try version()
                let r = try await client.execute(uri: q.path, method: .post, headers: q.fields, body: ByteBuffer(bytes: q.body))
                let status = Int(r.status.code)
                statuses[status, default: 0] += 1
                let o = (try? JSONSerialization.jsonObject(with: Data(r.body.readableBytesView))) as? [String: Any]
                if status == 200 {
                    #expect(r.body.readableBytes == 0 || o != nil, "\(name): 200 with a body that is not JSON: \(String(buffer: r.body).prefix(200))")
                    if q.path == "/slack/commands" {
                        #expect(o?["text"] is String, "\(name): a command answered without text")
                        // Whatever was typed, the reply mentions nobody and links nowhere.
                        let reply = o?["text"] as? String ?? ""
                        #expect(!reply.unicodeScalars.contains("<"), "\(name): \(reply.prefix(200))")
                    }
                } else {
                    #expect((400..<500).contains(status), "\(name): \(status) \(String(buffer: r.body).prefix(300))")
                    #expect(o?["error"] is String && o?["message"] is String, "\(name): \(status) \(String(buffer: r.body).prefix(300))")
                    #expect(try version() == before, "\(name): refused with \(status) but the store changed")
                }
                if status == 200, try version() != before { acted += 1 }
                if user != "?", user != "U0ALICE01", user != "U0BOB0002" {
                    #expect(try version() == before, "\(name): a user Klaxon does not know changed the store")
                }
            }
            // Still answering a plain, valid command.
            let f = try Fixture("slack/slash-ack-valid.json")
            let r = try await client.execute(uri: f.path, method: .post, headers: f.httpHeaders, body: ByteBuffer(bytes: f.body))
            #expect(r.status == .ok)
            // Some of them were real actions (acknowledge, resolve, severity…) and ran.
            #expect(acted > 10, "only \(acted) requests changed anything")
            return statuses
        }
        // Both kinds of answer came up.
        #expect(statuses[200, default: 0] > 100 && statuses.filter { $0.key != 200 }.values.reduce(0, +) > 20, "\(statuses)")
    }
}
