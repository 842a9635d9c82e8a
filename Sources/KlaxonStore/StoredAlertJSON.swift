import Foundation
import KlaxonCore
import KlaxonEngine

/// Writes a `StoredAlert` as the same JSON its `Codable` form reads back, without the encoder's
/// per-value overhead: one is written for every alert received.
enum StoredAlertJSON {
    static func encode(_ s: StoredAlert) -> String {
        var out = "{\"incident\":\(s.incident),\"severity\":\"\(s.severity.rawValue)\",\"receivedAt\":\(number(s.receivedAt.timeIntervalSince1970)),\"alert\":{"
        let a = s.alert
        out += "\"fingerprint\":" + ScheduleRendering.jsonString(a.fingerprint)
        out += ",\"status\":\"\(a.status.rawValue)\""
        out += ",\"labels\":" + map(a.labels)
        out += ",\"annotations\":" + map(a.annotations)
        out += ",\"values\":{" + a.values.sorted { $0.key < $1.key }.map { ScheduleRendering.jsonString($0.key) + ":" + number($0.value) }.joined(separator: ",") + "}"
        out += ",\"summary\":" + ScheduleRendering.jsonString(a.summary)
        if let v = a.source { out += ",\"source\":" + ScheduleRendering.jsonString(v) }
        if let v = a.sourceSeverity { out += ",\"sourceSeverity\":" + ScheduleRendering.jsonString(v) }
        if let v = a.startsAt { out += ",\"startsAt\":" + number(v.timeIntervalSince1970) }
        if let v = a.endsAt { out += ",\"endsAt\":" + number(v.timeIntervalSince1970) }
        out += ",\"links\":[" + a.links.map { "{\"href\":" + ScheduleRendering.jsonString($0.href) + ",\"text\":" + ScheduleRendering.jsonString($0.text) + "}" }.joined(separator: ",") + "]"
        return out + "}}"
    }

    private static func map(_ m: [String: String]) -> String {
        "{" + m.sorted { $0.key < $1.key }.map { ScheduleRendering.jsonString($0.key) + ":" + ScheduleRendering.jsonString($0.value) }.joined(separator: ",") + "}"
    }

    /// The shortest text that reads back as the same Double (finite values only).
    private static func number(_ d: Double) -> String {
        guard d.isFinite else { return "0" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
