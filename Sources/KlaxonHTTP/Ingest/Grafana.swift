import Foundation
import KlaxonCore

/// Grafana unified alerting's webhook contact point (payload `version` "1"): Alertmanager's
/// shape plus orgId, title, state, message, and per alert values, valueString and links.
enum GrafanaPayload {
    static func parse(_ json: [String: Any]) throws -> AlertBatch {
        let f = Fields(json)
        guard let version = try f.string("version", required: true), version == "1" else {
            throw APIError.badRequest("Field version must be \"1\" (Grafana webhook payload).")
        }
        guard let groupKey = try f.string("groupKey", required: true), !groupKey.isEmpty else {
            throw APIError.badRequest("Field groupKey must not be empty.")
        }
        if let s = try f.string("status"), s != "firing", s != "resolved" {
            throw APIError.badRequest("Field status must be \"firing\" or \"resolved\".")
        }
        if let s = try f.string("state"), !["alerting", "ok", "pending", "no_data", "paused", "error"].contains(s) {
            throw APIError.badRequest("Field state must be alerting, ok, pending, no_data, paused or error.")
        }
        let title = try f.string("title")
        let externalURL = try f.string("externalURL")
        guard let items = try f.array("alerts", required: true), !items.isEmpty else {
            throw APIError.badRequest("Field alerts must hold at least one alert.")
        }
        var alerts: [Alert] = []
        for (i, item) in items.enumerated() {
            guard let o = item as? [String: Any] else { throw APIError.badRequest("Field alerts[\(i)] must be an object.") }
            let a = Fields(o, path: "alerts[\(i)]")
            guard let statusText = try a.string("status", required: true), let status = AlertStatus(rawValue: statusText) else {
                throw APIError.badRequest("Field alerts[\(i)].status must be \"firing\" or \"resolved\".")
            }
            let labels = try a.stringMap("labels")
            guard !labels.isEmpty else { throw APIError.badRequest("Field alerts[\(i)].labels must hold at least one label.") }
            var annotations = try a.stringMap("annotations")
            let values = try a.numberMap("values")
            if let vs = try a.string("valueString"), !vs.isEmpty { annotations["valueString"] = vs }
            var links: [AlertLink] = []
            for (key, text) in [("dashboardURL", "dashboard"), ("panelURL", "panel"), ("generatorURL", "source"), ("silenceURL", "silence"), ("imageURL", "image")] {
                if let u = try a.string(key), !u.isEmpty { links.append(AlertLink(href: u, text: text)) }
            }
            if let r = annotations["runbook_url"], !r.isEmpty { links.append(AlertLink(href: r, text: "runbook")) }
            let summary = annotations["summary"] ?? annotations["description"] ?? labels["alertname"] ?? title ?? "alert"
            alerts.append(Alert(
                fingerprint: try a.string("fingerprint").flatMap { $0.isEmpty ? nil : $0 } ?? fingerprint(of: labels),
                status: status, labels: labels, annotations: annotations, values: values, summary: summary,
                source: externalURL, sourceSeverity: labels["severity"], startsAt: try a.date("startsAt"),
                endsAt: try a.date("endsAt"), links: links))
        }
        return AlertBatch(groupKey: groupKey, alerts: alerts, title: title)
    }
}
