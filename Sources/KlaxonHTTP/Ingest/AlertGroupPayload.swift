import Foundation
import KlaxonCore

/// The grouped-alerts webhook shape that Prometheus Alertmanager (version "4") and Grafana's
/// unified alerting (version "1", a superset) both send. Unknown fields are accepted.
enum AlertGroupPayload {
    /// Alertmanager's webhook payload, version 4.
    static func alertmanager(_ json: JSONObject) throws -> AlertBatch {
        try parse(json, version: "4", what: "Alertmanager webhook payload version 4", linkKeys: [("generatorURL", "source")]) { _, _ in }
    }

    /// Grafana's webhook contact point, version 1: plus title, state, message, and per alert
    /// values, valueString and dashboard/panel/silence/image links.
    static func grafana(_ json: JSONObject) throws -> AlertBatch {
        let f = Fields(json)
        if let s = try f.string("state"), !["alerting", "ok", "pending", "no_data", "paused", "error"].contains(s) {
            throw APIError.badRequest("Field state must be alerting, ok, pending, no_data, paused or error.")
        }
        _ = try f.string("message")
        let links = [("dashboardURL", "dashboard"), ("panelURL", "panel"), ("generatorURL", "source"), ("silenceURL", "silence"), ("imageURL", "image")]
        return try parse(json, version: "1", what: "Grafana webhook payload", linkKeys: links) { a, alert in
            alert.values = try a.numberMap("values")
            if let vs = try a.string("valueString"), !vs.isEmpty { alert.annotations["valueString"] = vs }
        }
    }

    private static func parse(_ json: JSONObject, version expected: String, what: String, linkKeys: [(String, String)],
                              extras: (Fields, inout Alert) throws -> Void) throws -> AlertBatch {
        let f = Fields(json)
        guard let version = try f.string("version", required: true), version == expected else {
            throw APIError.badRequest("Field version must be \"\(expected)\" (\(what)).")
        }
        guard let groupKey = try f.string("groupKey", required: true), !groupKey.isEmpty else {
            throw APIError.badRequest("Field groupKey must not be empty.")
        }
        if let s = try f.string("status"), s != "firing", s != "resolved" {
            throw APIError.badRequest("Field status must be \"firing\" or \"resolved\".")
        }
        let title = try f.string("title")
        let externalURL = try f.string("externalURL")
        guard let items = try f.array("alerts", required: true) else { throw APIError.badRequest("Field alerts is required.") }
        guard !items.isEmpty else { throw APIError.badRequest("Field alerts must hold at least one alert.") }
        var alerts: [Alert] = []
        for (i, item) in items.enumerated() {
            guard case .object(let o) = item else { throw APIError.badRequest("Field alerts[\(i)] must be an object.") }
            let a = Fields(o, path: "alerts[\(i)]")
            guard let statusText = try a.string("status", required: true), let status = AlertStatus(rawValue: statusText) else {
                throw APIError.badRequest("Field alerts[\(i)].status must be \"firing\" or \"resolved\".")
            }
            let labels = try a.stringMap("labels")
            guard !labels.isEmpty else { throw APIError.badRequest("Field alerts[\(i)].labels must hold at least one label.") }
            let annotations = try a.stringMap("annotations")
            var links: [AlertLink] = []
            for (key, text) in linkKeys {
                if let u = try a.string(key), !u.isEmpty { links.append(AlertLink(href: u, text: text)) }
            }
            if let r = annotations["runbook_url"], !r.isEmpty { links.append(AlertLink(href: r, text: "runbook")) }
            if let d = annotations["dashboard_url"], !d.isEmpty { links.append(AlertLink(href: d, text: "dashboard")) }
            let summary = annotations["summary"] ?? annotations["description"] ?? labels["alertname"] ?? title ?? "alert"
            var alert = Alert(
                fingerprint: try a.string("fingerprint").flatMap { $0.isEmpty ? nil : $0 } ?? fingerprint(of: labels),
                status: status, labels: labels, annotations: annotations, summary: summary,
                source: externalURL, sourceSeverity: labels["severity"], startsAt: try a.date("startsAt"),
                endsAt: try a.date("endsAt"), links: links)
            try extras(a, &alert)
            alerts.append(alert)
        }
        return AlertBatch(groupKey: groupKey, alerts: alerts, title: title ?? alerts.first?.summary)
    }
}
