import Foundation
import KlaxonCore
import KlaxonTestSupport
import Testing
@testable import KlaxonHTTP

/// `AlertmanagerDirect` reads Alertmanager's usual payload straight from the bytes. Whatever it
/// takes must be taken by the general path (`FastJSON` and `AlertGroupPayload`) too and read as
/// the same batch; everything else it leaves to that path.
@Suite struct AlertmanagerDirectTests {
    static let fixtures = ["alertmanager/firing-accuracy-drop-2-alerts.json", "alertmanager/firing-feature-pipeline.json",
                           "alertmanager/firing-gpu-memory.json", "alertmanager/resolved-feature-pipeline.json"]

    /// The body `make bench` sends (bench/alerts.lua), as Alertmanager writes it: its order,
    /// escaped quotes in the group key.
    static let benchBody = Array("""
        {"receiver":"klaxon","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"BenchAlert","group":"g007","instance":"i1-42"},\
        "annotations":{"summary":"bench alert i1-42"},"startsAt":"2026-12-04T10:00:00Z","endsAt":"0001-01-01T00:00:00Z",\
        "generatorURL":"http://127.0.0.1/bench","fingerprint":"0001000000000042"}],\
        "groupLabels":{"alertname":"BenchAlert","group":"g007"},"commonLabels":{"alertname":"BenchAlert","group":"g007","instance":"i1-42"},\
        "commonAnnotations":{"summary":"bench alert i1-42"},"externalURL":"http://127.0.0.1:9093","version":"4",\
        "groupKey":"{}:{alertname=\\"BenchAlert\\", group=\\"g007\\"}","truncatedAlerts":0}
        """.utf8)

    static func direct(_ body: [UInt8]) -> AlertBatch? {
        body.withUnsafeBytes { AlertmanagerDirect.parse($0) }
    }

    static func general(_ body: [UInt8]) -> Result<AlertBatch, any Error> {
        Result { try AlertGroupPayload.alertmanager(try parseJSONObject(body)) }
    }

    static func bodies() throws -> [(String, [UInt8])] {
        try fixtures.map { ($0, try Fixture($0).body) } + [("bench", benchBody)]
    }

    @Test func theFixturesAndTheBenchBodyAreReadDirectlyAsTheGeneralPathReadsThem() throws {
        for (name, body) in try Self.bodies() {
            let direct = try #require(Self.direct(body), "\(name) should be read directly")
            let general = try Self.general(body).get()
            #expect(direct == general, "\(name)")
        }
        let bench = try #require(Self.direct(Self.benchBody))
        #expect(bench.groupKey == "{}:{alertname=\"BenchAlert\", group=\"g007\"}")
        #expect(bench.alerts[0].links == [AlertLink(href: "http://127.0.0.1/bench", text: "source")])
        #expect(bench.alerts[0].endsAt == nil)
        #expect(bench.alerts[0].source == "http://127.0.0.1:9093")
        #expect(bench.groupFiring)
        // Without the group's status (optional): not firing as a group, either way.
        let noStatus = Array(String(decoding: Self.benchBody, as: UTF8.self).replacingOccurrences(of: #"{"receiver":"klaxon","status":"firing","#, with: #"{"receiver":"klaxon","#).utf8)
        let quiet = try #require(Self.direct(noStatus))
        #expect(!quiet.groupFiring)
        #expect(quiet == (try Self.general(noStatus).get()))
    }

    /// Space between every token (as a person or another tool may send it) and every string
    /// escape it decodes, in keys' values, skipped members and the group key.
    @Test func spaceAndEscapesReadAsTheGeneralPathReadsThem() throws {
        for name in Self.fixtures {
            let object = try JSONSerialization.jsonObject(with: Data(try Fixture(name).body))
            let pretty = Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]))
            let direct = try #require(Self.direct(pretty), "\(name), pretty-printed")
            #expect(direct == (try Self.general(pretty).get()), "\(name), pretty-printed")
        }
        let escapes = #"\" \\ \/ \b \f \n \r \t"#
        var text = String(decoding: Self.benchBody, as: UTF8.self)
        text = text.replacingOccurrences(of: #""summary":"bench alert i1-42"}"#, with: #""summary":"bench alert i1-42 "# + escapes + #""}"#)
        text = text.replacingOccurrences(of: #""receiver":"klaxon""#, with: #""receiver":"kla"# + escapes + #"xon""#)
        let body = Array(text.utf8)
        let direct = try #require(Self.direct(body))
        #expect(direct == (try Self.general(body).get()))
        #expect(direct.alerts[0].summary == "bench alert i1-42 \" \\ / \u{08} \u{0C} \n \r \t")
    }

    /// The labels and annotations an alert's summary, links and severity come from, which the
    /// direct reader notes while it parses: each of them, alone and repeated (the last counts),
    /// reads as the general path reads it.
    @Test func summaryLinksAndSeverityReadAsTheGeneralPath() throws {
        let template = String(decoding: Self.benchBody, as: UTF8.self)
        let annotations = [
            (#"{"summary":"s","runbook_url":"http://r","dashboard_url":"http://d","description":"d"}"#, "s", ["source", "runbook", "dashboard"]),
            (#"{"description":"only a description","dashboard_url":"http://d"}"#, "only a description", ["source", "dashboard"]),
            (#"{"runbook_url":"","dashboard_url":"http://d1","dashboard_url":"http://d2"}"#, "BenchAlert", ["source", "dashboard"]),
            (#"{}"#, "BenchAlert", ["source"]),
        ]
        for (given, summary, links) in annotations {
            for labels in [#"{"alertname":"BenchAlert","severity":"critical","severity":"warning"}"#, #"{"alertname":"BenchAlert"}"#] {
                let text = template
                    .replacingOccurrences(of: #""annotations":{"summary":"bench alert i1-42"}"#, with: #""annotations":"# + given)
                    .replacingOccurrences(of: #""labels":{"alertname":"BenchAlert","group":"g007","instance":"i1-42"}"#, with: #""labels":"# + labels)
                let body = Array(text.utf8)
                let direct = try #require(Self.direct(body), "\(given) \(labels)")
                #expect(direct == (try Self.general(body).get()), "\(given) \(labels)")
                #expect(direct.alerts[0].summary == summary)
                #expect(direct.alerts[0].links.map(\.text) == links)
                #expect(direct.alerts[0].sourceSeverity == (labels.contains("severity") ? "warning" : nil))
                if given.contains("d2") { #expect(direct.alerts[0].links.last?.href == "http://d2") }
            }
        }
    }

    /// Strings are scanned eight bytes at a time: an escape, a raw control character (refused)
    /// or a multi-byte character at every offset of those steps, in a label value, a key and the
    /// group key, reads as the general path reads it.
    @Test func everySpecialByteAtEveryOffsetReadsAsTheGeneralPath() throws {
        let specials = [#"\""#, #"\\"#, #"\n"#, #"\/"#, "\u{01}", "\u{1F}", "\u{7F}", "é", "€", "🚨", "\u{2028}"]
        let plain = String(repeating: "abcdefgh", count: 4)
        let template = String(decoding: Self.benchBody, as: UTF8.self)
        var taken = 0, refused = 0
        for special in specials {
            for length in [0, 7, 8, 9, 15, 16, 17, 23] {
                for at in 0...length {
                    let text = String(plain.prefix(at)) + special + String(plain.prefix(length - at))
                    for (old, new) in [(#""instance":"i1-42"}"#, #""instance":"\#(text)"}"#),
                                       (#""group":"g007","instance""#, #""g\#(text)":"g007","instance""#),
                                       (#""groupKey":"{}:{"#, #""groupKey":"\#(text){}:{"#)] {
                        let body = Array(template.replacingOccurrences(of: old, with: new).utf8)
                        if let direct = Self.direct(body) {
                            #expect(direct == (try Self.general(body).get()), "\(text)")
                            taken += 1
                        } else {
                            refused += 1
                        }
                    }
                }
            }
        }
        // Left to the general path: the raw control characters (U+007F is not one) wherever
        // they are, and the four escapes in a key (the direct reader takes keys without escapes).
        let placements = [0, 7, 8, 9, 15, 16, 17, 23].reduce(0) { $0 + $1 + 1 }
        #expect(refused == 2 * 3 * placements + 4 * placements)
        #expect(taken > 0)
    }

    /// Thousands of mutants of each body: what the direct reader takes, the general path takes
    /// as the same batch. Enough of them stay valid that the comparison is made often.
    @Test func whatItTakesTheGeneralPathReadsTheSame() throws {
        var r = SplitMix64(seed: 0xD1_EC7)
        var compared = 0, left = 0
        for (name, body) in try Self.bodies() {
            for _ in 0..<1500 {
                let (what, mutant) = MutationFuzzTests.mutate(body, &r)
                guard let direct = Self.direct(mutant) else { left += 1; continue }
                compared += 1
                switch Self.general(mutant) {
                case .success(let general):
                    #expect(direct == general, "\(name), \(what)")
                case .failure(let error):
                    Issue.record("\(name), \(what): read directly, but the general path refuses it: \(error)")
                }
            }
        }
        #expect(compared > 500, "only \(compared) mutants were read directly")
        #expect(left > 3000, "only \(left) mutants were left to the general path")
    }

    /// Shapes it leaves to the general path, which answers them (with what it keeps, or an error).
    @Test(arguments: [
        ("a member newer Alertmanagers add", #""notification_reason":"new_alerts","#),
        ("alerts left out", #""truncatedAlerts":2,"#),
        ("a title, null", #""title":null,"#),
        ("a member given twice", #""receiver":"a","receiver":"b","#),
    ])
    func leavesOtherPayloadsToTheGeneralPath(_ what: String, _ extra: String) throws {
        var text = String(decoding: Self.benchBody, as: UTF8.self)
        text.insert(contentsOf: extra, at: text.index(after: text.startIndex))
        let body = Array(text.utf8)
        #expect(Self.direct(body) == nil, "\(what)")
        if case .success(let batch) = Self.general(body), what == "a member newer Alertmanagers add" {
            #expect(batch.alerts[0].notificationFields?["notification_reason"] == .string("new_alerts"))
        }
    }

    @Test(arguments: [
        ("\\u escape", #""bench alert i1-42""#, #""bench \u0061lert""#),
        ("an unknown alert member", #""fingerprint":"#, #""extra":1,"fingerprint":"#),
        ("a label that is a number", #""instance":"i1-42""#, #""instance":42"#),
        ("version 3", #""version":"4""#, #""version":"3""#),
        ("no alerts", #""alerts":[{"#, #""alerts":[],"x":[{"#),
        ("a bad time", #""startsAt":"2026-12-04T10:00:00Z""#, #""startsAt":"yesterday""#),
        ("a control character", #""bench alert i1-42""#, "\"bench\talert\""),
        ("text after the object", #""truncatedAlerts":0}"#, #""truncatedAlerts":0} x"#),
        ("a resolved status of another spelling", #""status":"firing","labels""#, #""status":"Firing","labels""#),
    ])
    func refusesToGuess(_ what: String, _ from: String, _ to: String) throws {
        let text = String(decoding: Self.benchBody, as: UTF8.self)
        #expect(text.contains(from), "\(what): the bench body changed")
        let body = Array(text.replacingOccurrences(of: from, with: to).utf8)
        #expect(Self.direct(body) == nil, "\(what)")
    }
}
