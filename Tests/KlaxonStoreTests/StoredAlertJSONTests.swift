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
