import Foundation
import KlaxonCore

/// An incident as stored.
///
/// Its fields live in one shared copy-on-write box, as `Alert`'s do: the writer takes the open
/// incident of every alert it saves out of its table, and a copy of eighteen fields was a retain
/// (and later a release) of every string in them.
public struct IncidentRecord: Sendable, Hashable, Codable {
    /// The fields, as `Codable` writes and reads them (the names are the stored JSON's members).
    @usableFromInline struct Fields: Sendable, Hashable, Codable {
        @usableFromInline var number: Int
        @usableFromInline var key: String
        @usableFromInline var integration: String
        @usableFromInline var title: String
        @usableFromInline var severity: Severity
        @usableFromInline var severitySetBy: String?
        @usableFromInline var category: IncidentCategory
        @usableFromInline var status: IncidentStatus
        @usableFromInline var team: String
        @usableFromInline var policy: String?
        @usableFromInline var playbook: String?
        @usableFromInline var openedAt: Date
        @usableFromInline var acknowledgedAt: Date?
        @usableFromInline var acknowledgedBy: String?
        @usableFromInline var resolvedAt: Date?
        @usableFromInline var resolvedBy: String?
        @usableFromInline var assignee: String?
        @usableFromInline var escalation: Escalation?
    }

    @usableFromInline var storage: CopyOnWrite<Fields>

    @inlinable public var number: Int { _read { yield storage.value.number } _modify { yield &storage.value.number } }
    /// `integration name + group key`: alerts with the same key feed one incident.
    @inlinable public var key: String { _read { yield storage.value.key } _modify { yield &storage.value.key } }
    @inlinable public var integration: String { _read { yield storage.value.integration } _modify { yield &storage.value.integration } }
    @inlinable public var title: String { _read { yield storage.value.title } _modify { yield &storage.value.title } }
    @inlinable public var severity: Severity { _read { yield storage.value.severity } _modify { yield &storage.value.severity } }
    /// Who set the severity by hand; then alerts no longer change it.
    @inlinable public var severitySetBy: String? { _read { yield storage.value.severitySetBy } _modify { yield &storage.value.severitySetBy } }
    @inlinable public var category: IncidentCategory { _read { yield storage.value.category } _modify { yield &storage.value.category } }
    @inlinable public var status: IncidentStatus { _read { yield storage.value.status } _modify { yield &storage.value.status } }
    @inlinable public var team: String { _read { yield storage.value.team } _modify { yield &storage.value.team } }
    @inlinable public var policy: String? { _read { yield storage.value.policy } _modify { yield &storage.value.policy } }
    @inlinable public var playbook: String? { _read { yield storage.value.playbook } _modify { yield &storage.value.playbook } }
    @inlinable public var openedAt: Date { _read { yield storage.value.openedAt } _modify { yield &storage.value.openedAt } }
    @inlinable public var acknowledgedAt: Date? { _read { yield storage.value.acknowledgedAt } _modify { yield &storage.value.acknowledgedAt } }
    @inlinable public var acknowledgedBy: String? { _read { yield storage.value.acknowledgedBy } _modify { yield &storage.value.acknowledgedBy } }
    @inlinable public var resolvedAt: Date? { _read { yield storage.value.resolvedAt } _modify { yield &storage.value.resolvedAt } }
    @inlinable public var resolvedBy: String? { _read { yield storage.value.resolvedBy } _modify { yield &storage.value.resolvedBy } }
    /// The person who owns the response (`/incident assign`).
    @inlinable public var assignee: String? { _read { yield storage.value.assignee } _modify { yield &storage.value.assignee } }
    @inlinable public var escalation: Escalation? { _read { yield storage.value.escalation } _modify { yield &storage.value.escalation } }

    public init(from decoder: any Decoder) throws { storage = CopyOnWrite(try Fields(from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try storage.value.encode(to: encoder) }
    public static func == (a: IncidentRecord, b: IncidentRecord) -> Bool { a.storage.sharesBox(with: b.storage) || a.storage.value == b.storage.value }
    public func hash(into hasher: inout Hasher) { storage.value.hash(into: &hasher) }

    public var id: String { "INC-" + String(number) }    // not interpolated: a third of the work

    public init(number: Int, key: String, integration: String, title: String, severity: Severity, category: IncidentCategory,
                status: IncidentStatus = .triggered, team: String, policy: String?, playbook: String?, openedAt: Date) {
        storage = CopyOnWrite(Fields(number: number, key: key, integration: integration, title: title, severity: severity,
                         category: category, status: status, team: team, policy: policy, playbook: playbook, openedAt: openedAt))
    }

    /// Parses `INC-7` (case-insensitive) or `7`.
    public static func number(from text: String) -> Int? {
        let t = text.uppercased().hasPrefix("INC-") ? String(text.dropFirst(4)) : text
        guard let n = Int(t), n > 0 else { return nil }
        return n
    }

    public static func key(integration: String, groupKey: String) -> String {
        // Appended, not interpolated (it runs on the writer thread for every ingest).
        var key = integration
        key.reserveCapacity(integration.utf8.count + 1 + groupKey.utf8.count)
        key.append("\u{1F}")
        key.append(groupKey)
        return key
    }
}

/// An alert as stored with its incident.
public struct StoredAlert: Sendable, Hashable, Codable {
    public var incident: Int
    public var alert: Alert
    /// What the alert was classified to when it last changed.
    public var severity: Severity
    public var receivedAt: Date
    public init(incident: Int, alert: Alert, severity: Severity, receivedAt: Date) {
        self.incident = incident; self.alert = alert; self.severity = severity; self.receivedAt = receivedAt
    }
}

/// One line of an incident's append-only history.
public struct TimelineEntry: Sendable, Hashable, Codable {
    public var incident: Int
    public var at: Date
    /// Dotted kind: `incident.opened`, `alert.firing`, `page`, `escalation.step`, `timer.late`…
    public var kind: String
    public var actor: String?
    public var message: String
    public init(incident: Int, at: Date, kind: String, actor: String? = nil, message: String) {
        self.incident = incident; self.at = at; self.kind = kind; self.actor = actor; self.message = message
    }
}

public enum TimerKind: String, Sendable, Hashable, Codable {
    case escalation
    case stakeholder
}

public enum TimerState: String, Sendable, Hashable, Codable {
    case pending, fired, cancelled
}

/// A wake-up stored with its incident, so nothing owed is forgotten over a restart.
public struct TimerRecord: Sendable, Hashable, Codable {
    public var id: Int64?
    public var incident: Int
    public var kind: TimerKind
    public var dueAt: Date
    public var state: TimerState
    /// Kind-specific detail (the audience of a stakeholder timer).
    public var detail: String?
    /// When it fired, once it has.
    public var firedAt: Date?
    public init(id: Int64? = nil, incident: Int, kind: TimerKind, dueAt: Date, state: TimerState = .pending, detail: String? = nil, firedAt: Date? = nil) {
        self.id = id; self.incident = incident; self.kind = kind; self.dueAt = dueAt; self.state = state; self.detail = detail; self.firedAt = firedAt
    }
}

/// What a queued message is.
public enum MessageKind: String, Sendable, Hashable, Codable {
    /// A page to one person through one contact method.
    case page
    /// An escalation step's post to a channel.
    case post
    /// Refresh an earlier page in place (Slack chat.update) after the incident changed.
    case pageUpdate = "page.update"
    /// Escalation ran out of steps.
    case exhausted
    /// A briefing for an audience (executive, customer, technical).
    case stakeholder
}

/// Who a queued message is for.
public enum Recipient: Sendable, Hashable, Codable, CustomStringConvertible {
    case person(id: String, method: ContactMethod)
    case slackChannel(String)
    case channel(String)

    public var description: String {
        switch self {
        case .person(let id, let m): "\(id) (\(m.rawValue))"
        case .slackChannel(let c): "slack:#\(c)"
        case .channel(let c): "channel:\(c)"
        }
    }
}

public enum OutboxState: String, Sendable, Hashable, Codable {
    case pending, sending, sent, failed, cancelled
}

/// Where a sent message lives at the receiver, so it can be updated in place.
public struct ExternalRef: Sendable, Hashable, Codable {
    public var channel: String
    public var id: String
    public init(channel: String, id: String) { self.channel = channel; self.id = id }
}

/// A message waiting in (or done with) the outbox. Written in the same transaction as the
/// state change that caused it, then delivered by the delivery service.
public struct OutboxMessage: Sendable, Hashable, Codable {
    public var id: Int64?
    public var incident: Int
    /// The configured channel's name.
    public var channel: String
    public var kind: MessageKind
    public var recipient: Recipient
    public var step: Int?
    /// The escalation round (0 = first run through the steps).
    public var round: Int?
    /// Kind-specific detail (audience, event, the text a person wrote).
    public var detail: String?
    /// For `page.update`: the outbox id of the message to update.
    public var replaces: Int64?
    public var createdAt: Date
    public var state: OutboxState
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var externalRef: ExternalRef?

    public init(incident: Int, channel: String, kind: MessageKind, recipient: Recipient, step: Int? = nil,
                detail: String? = nil, round: Int? = nil, replaces: Int64? = nil, createdAt: Date) {
        self.incident = incident; self.channel = channel; self.kind = kind; self.recipient = recipient
        self.step = step; self.round = round; self.detail = detail; self.replaces = replaces; self.createdAt = createdAt
        self.state = .pending; self.attempts = 0; self.nextAttemptAt = createdAt
    }
}

/// What a stakeholder message carries in its outbox `detail`.
public struct StakeholderDetail: Sendable, Hashable, Codable {
    public var audience: Audience
    /// The incident event that caused it (`opened`, `updated`…) or `cadence` for a periodic briefing.
    public var event: String
    /// The template kind to render (`executive-briefing`, or the playbook's own).
    public var template: String
    /// The text a person wrote (`/incident update`).
    public var text: String?

    public init(audience: Audience, event: String, template: String, text: String? = nil) {
        self.audience = audience; self.event = event; self.template = template; self.text = text
    }

    public static func defaultTemplate(_ a: Audience) -> String {
        switch a {
        case .executive: "executive-briefing"
        case .customer: "customer-notice"
        case .technical: "technical-update"
        }
    }

    public var encoded: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self) }
    public static func decode(_ s: String?) -> StakeholderDetail? {
        s.flatMap { try? JSONDecoder().decode(StakeholderDetail.self, from: Data($0.utf8)) }
    }
}
