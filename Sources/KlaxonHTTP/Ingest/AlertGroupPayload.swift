import Foundation
import KlaxonCore

/// The grouped-alerts webhook shape that Prometheus Alertmanager (version "4") and Grafana's
/// unified alerting (version "1", a superset) both send. Unknown fields are accepted.
enum AlertGroupPayload {
    /// Alertmanager's webhook payload, version 4.
    static func alertmanager(_ json: JSONObject) throws -> AlertBatch {
        try parse(json, version: "4", what: "Alertmanager webhook payload version 4", linkKeys: [("generatorURL", "source")],
                  modelledAlertKeys: alertmanagerAlertKeys) { _, _ in }
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
        return try parse(json, version: "1", what: "Grafana webhook payload", linkKeys: links,
                         modelledAlertKeys: grafanaAlertKeys) { a, alert in
            alert.values = try a.numberMap("values")
            if let vs = try a.string("valueString"), !vs.isEmpty { alert.annotations["valueString"] = vs }
        }
    }

    /// Payload members Klaxon models, or that say nothing the alerts and the integration do not
    /// (`receiver` names the integration's own receiver; Grafana's `message` is the text of all
    /// the alerts, which would be stored again with each one). Every other member is kept with
    /// each alert as `notificationFields`.
    private static let modelledPayloadKeys: Set<String> = [
        "version", "groupKey", "status", "alerts", "externalURL", "title", "groupLabels", "commonLabels", "commonAnnotations",
        "receiver", "message",
    ]
    /// Alert members each format models (the link keys included).
    private static let alertmanagerAlertKeys: Set<String> = ["status", "labels", "annotations", "startsAt", "endsAt", "fingerprint", "generatorURL"]
    private static let grafanaAlertKeys = alertmanagerAlertKeys.union(["values", "valueString", "dashboardURL", "panelURL", "silenceURL", "imageURL"])
    /// A kept notification member longer than this (as JSON) is replaced by a note of its size:
    /// it is stored with every alert of the notification.
    static let keptNotificationLimit = 1024

    private static func parse(_ json: JSONObject, version expected: String, what: String, linkKeys: [(String, String)],
                              modelledAlertKeys: Set<String>, extras: (Fields, inout Alert) throws -> Void) throws -> AlertBatch {
        let f = Fields(json)
        guard let version = try f.string("version", required: true), version == expected else {
            throw APIError.badRequest("Field version must be \"\(expected)\" (\(what)).")
        }
        guard let groupKey = try f.string("groupKey", required: true), !groupKey.isEmpty else {
            throw APIError.badRequest("Field groupKey must not be empty.")
        }
        let groupStatus = try f.string("status")
        if let s = groupStatus, s != "firing", s != "resolved" {
            throw APIError.badRequest("Field status must be \"firing\" or \"resolved\".")
        }
        var truncated = 0
        switch json["truncatedAlerts"] {
        case nil, .null?: break
        case .number(let n)? where n >= 0 && n == n.rounded() && n < 1e15: truncated = Int(n)
        default: throw APIError.badRequest("Field truncatedAlerts must be a whole number, 0 or more.")
        }
        let notification = kept(json, except: modelledPayloadKeys, limit: keptNotificationLimit)
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
            var links: [(String, String)] = []
            for (key, text) in linkKeys {
                if let u = try a.string(key) { links.append((u, text)) }
            }
            var alert = Self.alert(status: status, labels: labels, annotations: annotations, links: links,
                                   givenFingerprint: try a.string("fingerprint"), startsAt: try a.date("startsAt"),
                                   endsAt: try a.date("endsAt"), title: title, externalURL: externalURL)
            try extras(a, &alert)
            alert.sourceFields = kept(o, except: modelledAlertKeys)
            alert.notificationFields = notification
            alerts.append(alert)
        }
        return AlertBatch(groupKey: groupKey, alerts: alerts, title: title ?? alerts.first?.summary, groupFiring: groupStatus == "firing",
                          truncatedAlerts: truncated)
    }

    /// The labels and annotations an alert's summary, links and severity come from.
    /// `AlertmanagerDirect` notes them while it parses; the general path looks them up.
    struct Readings {
        var alertname: String?, severity: String?                                   // labels
        var runbook: String?, dashboard: String?, summary: String?, description: String? // annotations

        init() {}
        init(labels: [String: String], annotations: [String: String]) {
            alertname = labels["alertname"]; severity = labels["severity"]
            runbook = annotations["runbook_url"]; dashboard = annotations["dashboard_url"]
            summary = annotations["summary"]; description = annotations["description"]
        }

        enum Member: Sendable { case alertname, severity, runbook, dashboard, summary, description }

        /// Which member of the labels or of the annotations each one is.
        static let labelMembers: [(StaticString, Member)] = [("alertname", .alertname), ("severity", .severity)]
        static let annotationMembers: [(StaticString, Member)] = [
            ("runbook_url", .runbook), ("dashboard_url", .dashboard), ("summary", .summary), ("description", .description),
        ]

        mutating func note(_ member: Member, _ value: String) {
            switch member {
            case .alertname: alertname = value
            case .severity: severity = value
            case .runbook: runbook = value
            case .dashboard: dashboard = value
            case .summary: summary = value
            case .description: description = value
            }
        }
    }

    /// One alert of the payload from its read fields (empty links are left out; an empty or
    /// missing fingerprint is made from the labels), its readings looked up in the tables.
    /// `AlertmanagerDirect` calls the overload below with the readings it noted.
    static func alert(status: AlertStatus, labels: [String: String], annotations: [String: String],
                      links given: [(String, String)], givenFingerprint: String?, startsAt: Date?, endsAt: Date?,
                      title: String?, externalURL: String?) -> Alert {
        var links: [AlertLink] = []
        for (href, text) in given where !href.isEmpty { links.append(AlertLink(href: href, text: text)) }
        return alert(status: status, labels: labels, annotations: annotations, readings: Readings(labels: labels, annotations: annotations),
                     links: links, givenFingerprint: givenFingerprint, startsAt: startsAt, endsAt: endsAt, title: title, externalURL: externalURL)
    }

    /// The same with the readings noted already and the given links made (`AlertmanagerDirect`:
    /// neither looked up nor copied again; its one link, `generatorURL`, made in place).
    static func alert(status: AlertStatus, labels: [String: String], annotations: [String: String], readings r: borrowing Readings,
                      links: consuming [AlertLink], givenFingerprint: String?, startsAt: Date?, endsAt: Date?,
                      title: String?, externalURL: String?) -> Alert {
        var links = links
        if let u = r.runbook, !u.isEmpty { links.append(AlertLink(href: u, text: "runbook")) }
        if let u = r.dashboard, !u.isEmpty { links.append(AlertLink(href: u, text: "dashboard")) }
        return Alert(
            fingerprint: givenFingerprint.flatMap { $0.isEmpty ? nil : $0 } ?? fingerprint(of: labels),
            status: status, labels: labels, annotations: annotations,
            summary: r.summary ?? r.description ?? r.alertname ?? title ?? "alert",
            source: externalURL, sourceSeverity: r.severity, startsAt: startsAt, endsAt: endsAt, links: links)
    }

    /// The object's members not in `modelled`, as sent (a repeated key: its last value); nil if
    /// none. A member whose JSON is longer than `limit` bytes is kept as a note of its size.
    private static func kept(_ o: JSONObject, except modelled: Set<String>, limit: Int = .max) -> [String: SourceValue]? {
        var out: [String: SourceValue] = [:]
        for m in o.members where !modelled.contains(m.key) {
            // `truncatedAlerts: 0` says nothing; a count says alerts were left out.
            if m.key == "truncatedAlerts", case .number(0) = m.value { continue }
            let size = jsonSize(m.value, upTo: limit)
            out[m.key] = size > limit ? .string("(not kept: more than \(limit) bytes of JSON)") : sourceValue(m.value)
        }
        if out["truncatedAlerts"] != nil, case .number(0)? = o["truncatedAlerts"] { out["truncatedAlerts"] = nil }
        return out.isEmpty ? nil : out
    }
}

/// About how long `v` is as JSON (strings counted in UTF-8 bytes, numbers as 8), counting no
/// further than just past `limit`.
func jsonSize(_ v: JSONValue, upTo limit: Int) -> Int {
    switch v {
    case .string(let s): return s.utf8.count + 2
    case .number: return 8
    case .bool, .null: return 5
    case .array(let a):
        var n = 2
        for e in a { n += jsonSize(e, upTo: limit) + 1; if n > limit { return n } }
        return n
    case .object(let o):
        var n = 2
        for m in o.members { n += m.key.utf8.count + 4 + jsonSize(m.value, upTo: limit); if n > limit { return n } }
        return n
    }
}

/// A parsed JSON value as kept with an alert.
func sourceValue(_ v: JSONValue) -> SourceValue {
    switch v {
    case .object(let o):
        var d: [String: SourceValue] = [:]
        for m in o.members { d[m.key] = sourceValue(m.value) }
        return .object(d)
    case .array(let a): return .array(a.map(sourceValue))
    case .string(let s): return .string(s)
    case .number(let n): return .number(n)
    case .bool(let b): return .bool(b)
    case .null: return .null
    }
}
