import Foundation

/// A link attached to an alert (runbook, dashboard, panel, silence…).
public struct AlertLink: Sendable, Hashable, Codable {
    public var href: String
    public var text: String
    public init(href: String, text: String) { self.href = href; self.text = text }
}

/// One signal from a source: an Alertmanager alert, a Grafana alert, a PagerDuty Events v2
/// event or a generic JSON alert, normalised.
public struct Alert: Sendable, Hashable, Codable {
    /// Identifies the alert within its incident (Alertmanager fingerprint, dedup key…).
    public var fingerprint: String
    public var status: AlertStatus
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Numeric values (Grafana `values`, PagerDuty numeric custom details).
    public var values: [String: Double]
    public var summary: String
    public var source: String?
    /// The source's own severity word (`critical`, `warning`…), if it had one.
    public var sourceSeverity: String?
    public var startsAt: Date?
    public var endsAt: Date?
    public var links: [AlertLink]
    /// Fields of the source's alert that Klaxon does not model (a newer Alertmanager's, say),
    /// kept as sent. nil when there were none.
    public var sourceFields: [String: SourceValue]?
    /// Fields of the notification that carried the alert and that Klaxon does not model
    /// (Alertmanager's `receiver`, `truncatedAlerts`, `notification_reason`, `routeLabels`;
    /// Grafana's `orgId`, `state`, `message`…), kept as sent with the alert's latest change.
    /// They describe the delivery, not the alert, so they do not make a repeat a change.
    public var notificationFields: [String: SourceValue]?

    public init(
        fingerprint: String, status: AlertStatus, labels: [String: String] = [:],
        annotations: [String: String] = [:], values: [String: Double] = [:], summary: String,
        source: String? = nil, sourceSeverity: String? = nil, startsAt: Date? = nil,
        endsAt: Date? = nil, links: [AlertLink] = [], sourceFields: [String: SourceValue]? = nil,
        notificationFields: [String: SourceValue]? = nil
    ) {
        self.fingerprint = fingerprint
        self.status = status
        self.labels = labels
        self.annotations = annotations
        self.values = values
        self.summary = summary
        self.source = source
        self.sourceSeverity = sourceSeverity
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.links = links
        self.sourceFields = sourceFields
        self.notificationFields = notificationFields
    }

    /// Whether `other` says the same thing: every field equal, times to the millisecond (a
    /// stored time read back may differ in the last bits of its binary fraction).
    public func sameContent(as other: Alert) -> Bool {
        func close(_ a: Date?, _ b: Date?) -> Bool {
            switch (a, b) {
            case (nil, nil): return true
            case let (x?, y?): return abs(x.timeIntervalSince(y)) < 0.001
            default: return false
            }
        }
        return fingerprint == other.fingerprint && status == other.status && labels == other.labels
            && annotations == other.annotations && values == other.values && summary == other.summary
            && source == other.source && sourceSeverity == other.sourceSeverity && links == other.links
            && close(startsAt, other.startsAt) && close(endsAt, other.endsAt)
            && (sourceFields ?? [:]) == (other.sourceFields ?? [:])
    }

    /// The value a matcher sees for `name`: labels first, then annotations, then values.
    public func lookup(_ name: String) -> MatchValue? {
        if let v = labels[name] { return .text(v) }
        if let v = annotations[name] { return .text(v) }
        if let v = values[name] { return .number(v) }
        return nil
    }
}

/// A JSON value a source sent, kept without being modelled (see `Alert.sourceFields`).
public indirect enum SourceValue: Sendable, Hashable, Codable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([SourceValue])
    case object([String: SourceValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([SourceValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: SourceValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let s): try c.encode(s)
        case .number(let d): try c.encode(d)
        case .bool(let b): try c.encode(b)
        case .null: try c.encodeNil()
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

/// A value as seen by a matcher.
public enum MatchValue: Sendable, Hashable {
    case text(String)
    case number(Double)

    /// The text form (numbers without a trailing `.0`).
    public var text: String {
        switch self {
        case .text(let s): return s
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return String(d)
        }
    }

    /// The numeric form, when the value is a number or text that reads as one.
    public var number: Double? {
        switch self {
        case .number(let d): return d
        case .text(let s): return Double(s.trimmingCharacters(in: .whitespaces))
        }
    }
}

/// Alerts that share one incident key, as they arrive from one request.
public struct AlertBatch: Sendable, Hashable {
    /// The source's grouping key (Alertmanager groupKey, PagerDuty dedup_key…); with the
    /// integration name it forms the incident key.
    public var groupKey: String
    public var alerts: [Alert]
    /// Shown as the incident title when the first alert has no summary.
    public var title: String?
    /// The source's own top-level `status` says the group fires (Alertmanager's and Grafana's).
    /// Such a batch never resolves the incident, even if every alert it lists is resolved. (Both
    /// compute it from the alerts they list, so this only guards against senders that count
    /// more.)
    public var groupFiring: Bool
    /// Alerts of the group the source left out of this batch (Alertmanager's and Grafana's
    /// `truncatedAlerts`, under `max_alerts`). Their state is unknown: the source computes its
    /// `status` from the alerts it lists.
    public var truncatedAlerts: Int
    public init(groupKey: String, alerts: [Alert], title: String? = nil, groupFiring: Bool = false, truncatedAlerts: Int = 0) {
        self.groupKey = groupKey
        self.alerts = alerts
        self.title = title
        self.groupFiring = groupFiring
        self.truncatedAlerts = truncatedAlerts
    }
}
