import Foundation
import KlaxonCore

/// Prometheus Alertmanager's webhook payload, version 4. Unknown fields (newer Alertmanagers add
/// some) are accepted.
enum AlertmanagerPayload {
    static func parse(_ json: [String: Any]) throws -> AlertBatch {
        let f = Fields(json)
        guard let version = try f.string("version", required: true), version == "4" else {
            throw APIError.badRequest("Field version must be \"4\" (Alertmanager webhook payload version 4).")
        }
        guard let groupKey = try f.string("groupKey", required: true), !groupKey.isEmpty else {
            throw APIError.badRequest("Field groupKey must not be empty.")
        }
        if let s = try f.string("status"), s != "firing", s != "resolved" {
            throw APIError.badRequest("Field status must be \"firing\" or \"resolved\".")
        }
        let externalURL = try f.string("externalURL")
        guard let items = try f.array("alerts", required: true) else { throw APIError.badRequest("Field alerts is required.") }
        guard !items.isEmpty else { throw APIError.badRequest("Field alerts must hold at least one alert.") }
        var alerts: [Alert] = []
        for (i, item) in items.enumerated() {
            guard let o = item as? [String: Any] else { throw APIError.badRequest("Field alerts[\(i)] must be an object.") }
            let a = Fields(o, path: "alerts[\(i)]")
            guard let statusText = try a.string("status", required: true), let status = AlertStatus(rawValue: statusText) else {
                throw APIError.badRequest("Field alerts[\(i)].status must be \"firing\" or \"resolved\".")
            }
            let labels = try a.stringMap("labels")
            guard !labels.isEmpty else { throw APIError.badRequest("Field alerts[\(i)].labels must hold at least one label.") }
            let annotations = try a.stringMap("annotations")
            var links: [AlertLink] = []
            if let g = try a.string("generatorURL"), !g.isEmpty { links.append(AlertLink(href: g, text: "source")) }
            if let r = annotations["runbook_url"], !r.isEmpty { links.append(AlertLink(href: r, text: "runbook")) }
            if let d = annotations["dashboard_url"], !d.isEmpty { links.append(AlertLink(href: d, text: "dashboard")) }
            let summary = annotations["summary"] ?? annotations["description"] ?? labels["alertname"] ?? "alert"
            alerts.append(Alert(
                fingerprint: try a.string("fingerprint").flatMap { $0.isEmpty ? nil : $0 } ?? fingerprint(of: labels),
                status: status, labels: labels, annotations: annotations, summary: summary,
                source: externalURL, sourceSeverity: labels["severity"], startsAt: try a.date("startsAt"),
                endsAt: try a.date("endsAt"), links: links))
        }
        return AlertBatch(groupKey: groupKey, alerts: alerts, title: alerts.first?.summary)
    }
}
