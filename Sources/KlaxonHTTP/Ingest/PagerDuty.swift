import Foundation
import KlaxonCore

/// PagerDuty Events API v2, validated the way PagerDuty validates it, so any tool that can page
/// PagerDuty can page Klaxon by changing its URL.
enum PagerDutyEvent {
    enum Action: String { case trigger, acknowledge, resolve }

    /// A refused event, answered in PagerDuty's shape.
    struct Invalid: Error {
        var errors: [String]
        /// The `routing_key` the event carried when it is a string, so the refusal can be
        /// counted under the integration it names.
        var routingKey: String? = nil
    }

    struct Parsed {
        var routingKey: String
        var action: Action
        var dedupKey: String?
        var alert: Alert?
    }

    static let severities = ["critical", "error", "warning", "info"]

    static func parse(_ json: [String: Any]) throws(Invalid) -> Parsed {
        var errors: [String] = []
        func str(_ o: [String: Any], _ key: String, _ path: String) -> String? {
            guard let v = o[key], !(v is NSNull) else { return nil }
            guard let s = v as? String else { errors.append("'\(path)' must be a string"); return nil }
            return s
        }
        let routingKey = str(json, "routing_key", "routing_key")
        if routingKey?.isEmpty ?? true { errors.append("'routing_key' is missing or blank") }
        else if routingKey!.count != 32 { errors.append("Length of 'routing_key' is incorrect (should be 32 characters)") }
        let actionText = str(json, "event_action", "event_action")
        var action: Action? = nil
        if actionText?.isEmpty ?? true { errors.append("'event_action' is missing or blank") }
        else if let a = Action(rawValue: actionText!) { action = a }
        else { errors.append("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')") }
        let dedupKey = str(json, "dedup_key", "dedup_key")
        if let d = dedupKey, d.count > 255 { errors.append("Length of 'dedup_key' is too long (must be at most 255 characters)") }
        if action == .acknowledge || action == .resolve, dedupKey?.isEmpty ?? true {
            errors.append("'dedup_key' is missing or blank")
        }
        var alert: Alert? = nil
        if action == .trigger {
            if let p = json["payload"], !(p is NSNull), !(p is [String: Any]) {
                errors.append("'payload' must be an object")
            } else if let payload = json["payload"] as? [String: Any] {
                let summary = str(payload, "summary", "payload.summary")
                if summary?.trimmingCharacters(in: .whitespaces).isEmpty ?? true { errors.append("'payload.summary' is missing or blank") }
                else if summary!.count > 1024 { errors.append("Length of 'payload.summary' is too long (must be at most 1024 characters)") }
                let source = str(payload, "source", "payload.source")
                if source?.trimmingCharacters(in: .whitespaces).isEmpty ?? true { errors.append("'payload.source' is missing or blank") }
                let severity = str(payload, "severity", "payload.severity")
                if severity?.isEmpty ?? true { errors.append("'payload.severity' is missing or blank") }
                else if !severities.contains(severity!) {
                    errors.append("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')")
                }
                var startsAt: Date? = nil
                if let ts = str(payload, "timestamp", "payload.timestamp") {
                    if let d = parseISO8601(ts) { startsAt = d } else { errors.append("'payload.timestamp' is invalid (must be an ISO 8601 date)") }
                }
                var labels: [String: String] = [:]
                for key in ["source", "component", "group", "class"] {
                    if let v = str(payload, key, "payload.\(key)"), !v.isEmpty { labels[key] = v }
                }
                if let s = severity { labels["severity"] = s }
                var annotations: [String: String] = [:]
                var values: [String: Double] = [:]
                if let details = payload["custom_details"], !(details is NSNull) {
                    if let d = details as? [String: Any] {
                        for (k, v) in d {
                            if let n = jsonNumber(v) { values[k] = n } else if let s = v as? String { annotations[k] = s }
                            else if let data = try? JSONSerialization.data(withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys]) {
                                annotations[k] = String(decoding: data, as: UTF8.self)
                            }
                        }
                    } else if let s = details as? String {
                        annotations["details"] = s
                    } else { errors.append("'payload.custom_details' must be an object or a string") }
                }
                var links: [AlertLink] = []
                if let l = json["links"], !(l is NSNull) {
                    if let list = l as? [Any] {
                        for (i, item) in list.enumerated() {
                            guard let o = item as? [String: Any], let href = o["href"] as? String, !href.isEmpty else {
                                errors.append("'links[\(i)].href' is missing or blank"); continue
                            }
                            links.append(AlertLink(href: href, text: (o["text"] as? String) ?? href))
                        }
                    } else { errors.append("'links' must be an array") }
                }
                if let clientURL = str(json, "client_url", "client_url"), !clientURL.isEmpty {
                    links.append(AlertLink(href: clientURL, text: str(json, "client", "client") ?? "source"))
                }
                if errors.isEmpty {
                    alert = Alert(fingerprint: dedupKey ?? "", status: .firing, labels: labels, annotations: annotations, values: values,
                                  summary: summary!, source: source, sourceSeverity: severity, startsAt: startsAt, links: links)
                }
            } else {
                errors.append("'payload' is missing or blank")
            }
        }
        guard errors.isEmpty, let routingKey, let action else { throw Invalid(errors: errors, routingKey: routingKey) }
        return Parsed(routingKey: routingKey, action: action, dedupKey: dedupKey, alert: alert)
    }
}

/// `payload.timestamp`, which PagerDuty documents as ISO 8601 (its own example is
/// `2015-07-17T08:42:58.315+0000`): a calendar date and time with seconds, any number of
/// fractional digits, and a zone as `Z`, `±hh:mm`, `±hhmm` or `±hh`. A time without a zone is
/// refused: which zone it meant cannot be known.
func parseISO8601(_ s: String) -> Date? {
    if let d = parseRFC3339(s) { return d }
    // The zone without a colon: rewritten as RFC 3339's `±hh:mm` (the zone starts after the
    // seconds, so the date's own hyphens are never taken for its sign).
    let u = Array(s.utf8)
    guard u.count > 20, let sign = u[19...].lastIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) else { return nil }
    let zone = u[(sign + 1)...]
    guard zone.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    let head = String(decoding: u[...sign], as: UTF8.self)
    let digits = String(decoding: zone, as: UTF8.self)
    switch zone.count {
    case 4: return parseRFC3339(head + digits.prefix(2) + ":" + digits.suffix(2))
    case 2: return parseRFC3339(head + digits + ":00")
    default: return nil
    }
}
