import Foundation
import KlaxonCore
import KlaxonEngine
import Testing
@testable import KlaxonStore

/// `StoredAlertJSON` writes by hand what `StoredAlert`'s `Codable` form reads back: the kept
/// source values too.
extension StoredAlertJSONTests {
    @Test func keptSourceValuesReadBackEqual() throws {
        let fields: [String: SourceValue] = [
            "zero": .number(0), "minusZero": .number(-0.0), "small": .number(1e-7), "tiny": .number(5e-324), "big": .number(1.7976931348623157e308),
            "int": .number(42), "negative": .number(-12.5), "yes": .bool(true), "no": .bool(false), "nothing": .null,
            "text": .string("line\nbreak \"quoted\" \\ \u{2028} \u{0} é 🚨"), "list": .array([.number(1), .string("1"), .bool(true), .array([]), .object([:])]),
            "nested": .object(["a": .object(["b": .array([.null])])]),
        ]
        let stored = StoredAlert(incident: 3, alert: Alert(fingerprint: "f", status: .firing, summary: "s", sourceFields: fields,
                                                            notificationFields: ["routeLabels": .object(["team": .string("x")])]),
                                 severity: .p2, receivedAt: Date(timeIntervalSince1970: 1_795_420_830.25))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let back = try decoder.decode(StoredAlert.self, from: Data(StoredAlertJSON.encode(stored).utf8))
        #expect(back.alert.sourceFields == fields)
        #expect(back.alert.notificationFields == stored.alert.notificationFields)
        guard case .number(let z)? = back.alert.sourceFields?["minusZero"] else { Issue.record("minusZero"); return }
        #expect(z.sign == .minus)
        #expect(back.alert.sameContent(as: stored.alert))
    }
}

/// Strings are copied in runs between the bytes that need an escape: every kind of escape at the
/// start, middle and end of a string, next to each other and between multi-byte characters.
extension StoredAlertJSONTests {
    @Test func stringEscapesReadBackAtEveryPosition() throws {
        let specials = ["\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{2028}", "\u{2029}", "€", "\u{2027}", "\u{202A}", "é", "🚨"]
        var texts = ["", "plain", String(repeating: "x", count: 300)]
        for s in specials {
            texts += [s, "a\(s)", "\(s)b", "a\(s)b", "\(s)\(s)", "é\(s)€"]
        }
        for text in texts {
            let alert = Alert(fingerprint: text, status: .firing, labels: [text: text], summary: text)
            let bytes = StoredAlertJSON.alertObject(alert)
            let back = try JSONDecoder().decode(Alert.self, from: Data(bytes))
            #expect(back.fingerprint == text && back.summary == text && back.labels == [text: text], "\(Array(text.unicodeScalars))")
            // Raw control characters and line/paragraph separators never reach the JSON.
            let json = String(decoding: bytes, as: UTF8.self)
            #expect(!json.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{2028}" || $0 == "\u{2029}" })
        }
        let json = String(decoding: StoredAlertJSON.alertObject(Alert(fingerprint: "a\u{2028}\"\u{1}€", status: .firing, summary: "")), as: UTF8.self)
        #expect(json.hasPrefix(#"{"fingerprint":"a\u2028\"\u0001€","#))
    }

    /// Labels and annotations are written in key order, whatever the table's order: the same
    /// alert is the same bytes. 20,000 labels (a hostile alert within the 1 MiB limit) take a
    /// sort, not the insertion sort that suits a few.
    @Test func labelsAreWrittenInKeyOrder() throws {
        for count in [0, 1, 2, 3, 7, 40, 20_000] {
            let keys = (0..<count).map { "k\(String(format: "%05d", ($0 * 17) % max(count, 1)))-\($0)" }
            let labels = Dictionary(uniqueKeysWithValues: keys.map { ($0, "v\($0)") })
            let json = String(decoding: StoredAlertJSON.alertObject(Alert(fingerprint: "f", status: .firing, labels: labels, summary: "s")), as: UTF8.self)
            let expected = "\"labels\":{" + labels.keys.sorted().map { "\"\($0)\":\"v\($0)\"" }.joined(separator: ",") + "}"
            #expect(json.contains(expected), "\(count): \(json)")
        }
    }
}

/// Integers (the incident number; whole numbers among values and kept fields) are written digit
/// by digit: the extremes, zero, signs and every length read back exactly.
extension StoredAlertJSONTests {
    @Test func integersReadBackExactly() throws {
        var incidents = [0, 1, 9, 10, 99, 100, Int.max, Int.min, -1, -10]
        var power = 1
        for _ in 0..<18 { power *= 10; incidents += [power - 1, power, power + 1, -power] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        for n in incidents {
            let whole = Double(n % 999_999_999_999_999)
            let stored = StoredAlert(incident: n, alert: Alert(fingerprint: "f", status: .firing, values: ["v": whole], summary: "s",
                                                                sourceFields: ["k": .number(whole)]),
                                     severity: .p3, receivedAt: Date(timeIntervalSince1970: 1_795_420_830))
            let json = StoredAlertJSON.encode(stored)
            #expect(json.hasPrefix("{\"incident\":\(n),"), "\(json)")
            let back = try decoder.decode(StoredAlert.self, from: Data(json.utf8))
            #expect(back.incident == n)
            #expect(back.alert.values["v"] == whole)
            #expect(back.alert.sourceFields?["k"] == .number(whole))
            #expect(back.receivedAt == stored.receivedAt)
        }
    }
}
