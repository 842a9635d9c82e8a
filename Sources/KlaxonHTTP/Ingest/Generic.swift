import Foundation
import KlaxonCore

/// Klaxon's own alert shape, for scripts: `{"summary","source","severity"?,"dedup_key"?,
/// "status"?,"labels"?,"annotations"?,"values"?}`.
enum GenericAlert {
    static func parse(_ json: JSONObject) throws -> AlertBatch {
        let f = Fields(json)
        guard let summary = try f.string("summary", required: true, maxLength: 1024), !summary.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError.badRequest("Field summary must not be empty.")
        }
        guard let source = try f.string("source", required: true, maxLength: 255), !source.isEmpty else {
            throw APIError.badRequest("Field source must not be empty.")
        }
        let severity = try f.string("severity", maxLength: 64)
        var status = AlertStatus.firing
        if let s = try f.string("status") {
            guard let st = AlertStatus(rawValue: s) else { throw APIError.badRequest("Field status must be \"firing\" or \"resolved\".") }
            status = st
        }
        var labels = try f.stringMap("labels")
        let annotations = try f.stringMap("annotations")
        let values = try f.numberMap("values")
        if labels["source"] == nil { labels["source"] = source }
        if let s = severity, labels["severity"] == nil { labels["severity"] = s }
        let dedupKey = try f.string("dedup_key", maxLength: 255).flatMap { $0.isEmpty ? nil : $0 }
            ?? fingerprint(of: labels.merging(["__summary": summary]) { a, _ in a })
        var links: [AlertLink] = []
        if let l = try f.array("links") {
            for (i, item) in l.enumerated() {
                guard case .object(let o) = item, case .string(let href)? = o["href"] else {
                    throw APIError.badRequest("Field links[\(i)].href is required.")
                }
                var text = href
                if case .string(let t)? = o["text"] { text = t }
                links.append(AlertLink(href: href, text: text))
            }
        }
        let alert = Alert(fingerprint: dedupKey, status: status, labels: labels, annotations: annotations, values: values,
                          summary: summary, source: source, sourceSeverity: severity, links: links)
        return AlertBatch(groupKey: dedupKey, alerts: [alert], title: summary)
    }
}
