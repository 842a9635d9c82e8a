import Foundation

/// A link attached to an alert (runbook, dashboard, panel, silence…).
public struct AlertLink: Sendable, Hashable, Codable {
    public var href: String
    public var text: String
    public init(href: String, text: String) { self.href = href; self.text = text }
}

/// One signal from a source: an Alertmanager alert, a Grafana alert, a PagerDuty Events v2
/// event or a generic JSON alert, normalised.
///
/// A value type whose fields live in one shared, copy-on-write box: an alert is passed from the
/// event loop that parsed it to the classifier, the JSON writer, the group committer and back,
/// and a copy of thirteen fields retained (and later released) every string and table in them.
/// Under `make bench` those copies were about 3% of Klaxon's CPU; a copy is now one retain.
/// A change to a field copies the fields first only when the box is shared.
public struct Alert: Sendable, Hashable, Codable {
    /// The fields, as `Codable` writes and reads them (the names are the JSON members).
    @usableFromInline struct Fields: Sendable, Hashable, Codable {
        @usableFromInline var fingerprint: String
        @usableFromInline var status: AlertStatus
        @usableFromInline var labels: [String: String]
        @usableFromInline var annotations: [String: String]
        @usableFromInline var values: [String: Double]
        @usableFromInline var summary: String
        @usableFromInline var source: String?
        @usableFromInline var sourceSeverity: String?
        @usableFromInline var startsAt: Date?
        @usableFromInline var endsAt: Date?
        @usableFromInline var links: [AlertLink]
        @usableFromInline var sourceFields: [String: SourceValue]?
        @usableFromInline var notificationFields: [String: SourceValue]?
    }

    @usableFromInline var storage: CopyOnWrite<Fields>

    /// Identifies the alert within its incident (Alertmanager fingerprint, dedup key…).
    @inlinable public var fingerprint: String { _read { yield storage.value.fingerprint } _modify { yield &storage.value.fingerprint } }
    @inlinable public var status: AlertStatus { get { storage.value.status } _modify { yield &storage.value.status } }
    @inlinable public var labels: [String: String] { _read { yield storage.value.labels } _modify { yield &storage.value.labels } }
    @inlinable public var annotations: [String: String] { _read { yield storage.value.annotations } _modify { yield &storage.value.annotations } }
    /// Numeric values (Grafana `values`, PagerDuty numeric custom details).
    @inlinable public var values: [String: Double] { _read { yield storage.value.values } _modify { yield &storage.value.values } }
    @inlinable public var summary: String { _read { yield storage.value.summary } _modify { yield &storage.value.summary } }
    @inlinable public var source: String? { _read { yield storage.value.source } _modify { yield &storage.value.source } }
    /// The source's own severity word (`critical`, `warning`…), if it had one.
    @inlinable public var sourceSeverity: String? { _read { yield storage.value.sourceSeverity } _modify { yield &storage.value.sourceSeverity } }
    @inlinable public var startsAt: Date? { get { storage.value.startsAt } _modify { yield &storage.value.startsAt } }
    @inlinable public var endsAt: Date? { get { storage.value.endsAt } _modify { yield &storage.value.endsAt } }
    @inlinable public var links: [AlertLink] { _read { yield storage.value.links } _modify { yield &storage.value.links } }
    /// Fields of the source's alert that Klaxon does not model (a newer Alertmanager's, say),
    /// kept as sent. nil when there were none.
    @inlinable public var sourceFields: [String: SourceValue]? { _read { yield storage.value.sourceFields } _modify { yield &storage.value.sourceFields } }
    /// Fields of the notification that carried the alert and that Klaxon does not model
    /// (Alertmanager's `receiver`, `truncatedAlerts`, `notification_reason`, `routeLabels`;
    /// Grafana's `orgId`, `state`, `message`…), kept as sent with the alert's latest change.
    /// They describe the delivery, not the alert, so they do not make a repeat a change.
    @inlinable public var notificationFields: [String: SourceValue]? {
        _read { yield storage.value.notificationFields } _modify { yield &storage.value.notificationFields }
    }

    public init(
        fingerprint: String, status: AlertStatus, labels: [String: String] = [:],
        annotations: [String: String] = [:], values: [String: Double] = [:], summary: String,
        source: String? = nil, sourceSeverity: String? = nil, startsAt: Date? = nil,
        endsAt: Date? = nil, links: [AlertLink] = [], sourceFields: [String: SourceValue]? = nil,
        notificationFields: [String: SourceValue]? = nil
    ) {
        storage = CopyOnWrite(Fields(fingerprint: fingerprint, status: status, labels: labels, annotations: annotations, values: values,
                         summary: summary, source: source, sourceSeverity: sourceSeverity, startsAt: startsAt, endsAt: endsAt,
                         links: links, sourceFields: sourceFields, notificationFields: notificationFields))
    }

    public init(from decoder: any Decoder) throws { storage = CopyOnWrite(try Fields(from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try storage.value.encode(to: encoder) }
    public static func == (a: Alert, b: Alert) -> Bool { a.storage.sharesBox(with: b.storage) || a.storage.value == b.storage.value }
    public func hash(into hasher: inout Hasher) { storage.value.hash(into: &hasher) }

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
