import Foundation

/// A secret value from the configuration: `${env:NAME}`, `${file:/path}` or written literally.
/// `value` is nil when the variable is unset or the file unreadable.
public struct Secret: Sendable, Hashable, CustomStringConvertible {
    public var value: String?
    /// `${env:NAME}` or `${file:/path}` as written; nil for a literal.
    public var reference: String?
    public init(value: String?, reference: String? = nil) { self.value = value; self.reference = reference }
    public static func literal(_ v: String) -> Secret { Secret(value: v, reference: nil) }
    /// Never prints the value.
    public var description: String { reference ?? "<literal secret>" }
    public var isSet: Bool { !(value ?? "").isEmpty }
}

public struct ServerSettings: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// Used in links inside messages.
    public var publicURL: String
    public init(host: String = "127.0.0.1", port: Int = 8080, publicURL: String = "http://localhost:8080") {
        self.host = host; self.port = port; self.publicURL = publicURL
    }
}

public enum StorageSettings: Sendable, Hashable {
    case sqlite(path: String)
    case postgres(url: String)
}

public enum IntegrationKind: String, Sendable, Hashable, CaseIterable {
    case alertmanager, grafana, pagerduty, generic
}

/// Who may send alerts, and where they route by default.
public struct Integration: Sendable, Hashable {
    public var name: String
    public var kind: IntegrationKind
    /// Bearer token, or the routing_key for kind pagerduty.
    public var token: Secret
    /// Default owner when no playbook names one.
    public var team: String
    /// Requests per second this integration may send (a token bucket), and the burst above it.
    public var ratePerSecond: Double
    public var burst: Double
    public init(name: String, kind: IntegrationKind, token: Secret, team: String, ratePerSecond: Double = 1000, burst: Double = 5000) {
        self.name = name; self.kind = kind; self.token = token; self.team = team
        self.ratePerSecond = ratePerSecond; self.burst = burst
    }
}

public enum ChannelKind: String, Sendable, Hashable, CaseIterable {
    case slack, slackWebhook = "slack_webhook", pagerduty, webhook, teams, email
}

/// Where messages go: one configured channel.
public struct Channel: Sendable, Hashable {
    public var name: String
    public var kind: ChannelKind
    public var token: Secret?
    public var apiURL: String?
    public var url: Secret?
    public var from: String?
    public var username: Secret?
    public var password: Secret?
    public var to: [String]
    public init(name: String, kind: ChannelKind, token: Secret? = nil, apiURL: String? = nil, url: Secret? = nil,
                from: String? = nil, username: Secret? = nil, password: Secret? = nil, to: [String] = []) {
        self.name = name; self.kind = kind; self.token = token; self.apiURL = apiURL; self.url = url
        self.from = from; self.username = username; self.password = password; self.to = to
    }

    /// The secrets this channel cannot work without, with the key each is written under.
    public var requiredSecrets: [(key: String, secret: Secret)] {
        switch kind {
        case .slack: return token.map { [("token", $0)] } ?? []
        case .slackWebhook, .webhook, .teams: return url.map { [("url", $0)] } ?? []
        case .pagerduty: return token.map { [("token", $0)] } ?? []
        case .email:
            var out: [(String, Secret)] = []
            if let u = url { out.append(("url", u)) }
            if let u = username { out.append(("username", u)) }
            if let p = password { out.append(("password", p)) }
            return out
        }
    }

    /// Secrets it names that are unset; such a channel is skipped by `serve`.
    public var missingSecrets: [String] {
        requiredSecrets.filter { !$0.secret.isSet }.map { "\($0.key) (\($0.secret))" }
    }
}

/// A place a message can be sent: a named channel, or a Slack channel through the Slack app.
public enum ChannelRef: Sendable, Hashable, CustomStringConvertible {
    /// `slack:#name`: that Slack channel, through the first channel of kind `slack`.
    case slackChannel(String)
    /// `channel:<name>` or a bare channel name.
    case named(String)

    public var description: String {
        switch self {
        case .slackChannel(let c): "slack:#\(c)"
        case .named(let n): "channel:\(n)"
        }
    }
}

public struct SeverityDefaults: Sendable, Hashable {
    /// Label read for the source's own severity.
    public var label: String
    public var map: [String: Severity]
    public var otherwise: Severity
    public init(label: String = "severity", map: [String: Severity] = ["critical": .p1, "error": .p2, "warning": .p3, "info": .p4], otherwise: Severity = .p3) {
        self.label = label; self.map = map; self.otherwise = otherwise
    }

    /// The severity for an alert no playbook rule decided.
    public func severity(for alert: Alert) -> Severity {
        // An `if`, not `??`: its autoclosure would capture (and copy) the whole alert.
        var word = alert.labels[label]
        if word == nil { word = alert.sourceSeverity }
        guard let w = word else { return otherwise }
        if let s = map[w.lowercased()] ?? map[w] { return s }
        return otherwise
    }
}

public struct UrgencyPolicy: Sendable, Hashable {
    public var high: Set<Severity>
    public var low: Set<Severity>
    public var none: Set<Severity>
    public init(high: Set<Severity> = [.p0, .p1, .p2], low: Set<Severity> = [.p3], none: Set<Severity> = [.p4]) {
        self.high = high; self.low = low; self.none = none
    }
    public func urgency(for s: Severity) -> Urgency {
        if high.contains(s) { return .high }
        if low.contains(s) { return .low }
        if none.contains(s) { return .none }
        return .high
    }
}

/// The events a technical audience can be told about.
public enum IncidentEvent: String, Sendable, Hashable, CaseIterable {
    case opened, acknowledged, escalated
    case severityChanged = "severity_changed"
    case updated, resolved
}

public enum Audience: String, Sendable, Hashable, CaseIterable, Codable {
    case executive, customer, technical
}

/// Briefings for one audience: where, for which severities, and how often.
public struct StakeholderAudience: Sendable, Hashable {
    public var channels: [ChannelRef]
    public var severities: Set<Severity>
    public var every: TimeInterval?
    public var alsoWhenOpenLongerThan: [Severity: TimeInterval]
    public var when: [Matcher]
    public var on: Set<IncidentEvent>
    public init(channels: [ChannelRef] = [], severities: Set<Severity> = [], every: TimeInterval? = nil,
                alsoWhenOpenLongerThan: [Severity: TimeInterval] = [:], when: [Matcher] = [], on: Set<IncidentEvent> = []) {
        self.channels = channels; self.severities = severities; self.every = every
        self.alsoWhenOpenLongerThan = alsoWhenOpenLongerThan; self.when = when; self.on = on
    }
}

public struct Targets: Sendable, Hashable {
    public var mttd: [Severity: TimeInterval]
    public var mttr: [Severity: TimeInterval]
    public init(mttd: [Severity: TimeInterval] = [:], mttr: [Severity: TimeInterval] = [:]) { self.mttd = mttd; self.mttr = mttr }
}

/// `klaxon.yaml`, validated.
public struct Settings: Sendable {
    public var server: ServerSettings
    public var storage: StorageSettings
    public var timeZone: TimeZone
    public var apiToken: Secret?
    public var calendarSecret: Secret?
    public var integrations: [Integration]
    public var channels: [Channel]
    public var slackSigningSecret: Secret?
    public var severityDefaults: SeverityDefaults
    public var urgency: UrgencyPolicy
    public var stakeholders: [Audience: StakeholderAudience]
    public var targets: Targets

    public init(server: ServerSettings = .init(), storage: StorageSettings = .sqlite(path: "./klaxon.db"),
                timeZone: TimeZone = TimeZone(identifier: "UTC")!, apiToken: Secret? = nil, calendarSecret: Secret? = nil,
                integrations: [Integration] = [], channels: [Channel] = [], slackSigningSecret: Secret? = nil,
                severityDefaults: SeverityDefaults = .init(), urgency: UrgencyPolicy = .init(),
                stakeholders: [Audience: StakeholderAudience] = [:], targets: Targets = .init()) {
        self.server = server; self.storage = storage; self.timeZone = timeZone; self.apiToken = apiToken
        self.calendarSecret = calendarSecret; self.integrations = integrations; self.channels = channels
        self.slackSigningSecret = slackSigningSecret; self.severityDefaults = severityDefaults
        self.urgency = urgency; self.stakeholders = stakeholders; self.targets = targets
    }

    public func integration(named name: String) -> Integration? { integrations.first { $0.name == name } }
    public func channel(named name: String) -> Channel? { channels.first { $0.name == name } }
    /// The channel that carries `slack:#name` posts and direct messages to people's Slack ids.
    public var slackChannel: Channel? { channels.first { $0.kind == .slack } }
}

/// How a page reaches a person.
public enum ContactMethod: String, Sendable, Hashable, CaseIterable, Codable {
    case slack, email
}

public enum Role: String, Sendable, Hashable, CaseIterable {
    case responder, commander, manager, executive
}

/// One person from `Rotations/people.yaml`.
public struct Person: Sendable {
    public var id: String
    public var name: String
    public var timeZone: TimeZone
    public var workingHours: WeeklyWindows
    public var slack: String?
    public var email: String?
    public var notify: [ContactMethod]
    public var roles: [Role]
    public init(id: String, name: String, timeZone: TimeZone, workingHours: WeeklyWindows, slack: String? = nil,
                email: String? = nil, notify: [ContactMethod] = [.slack], roles: [Role] = [.responder]) {
        self.id = id; self.name = name; self.timeZone = timeZone; self.workingHours = workingHours
        self.slack = slack; self.email = email; self.notify = notify; self.roles = roles
    }
}

/// One target of an escalation step.
public enum EscalationTarget: Sendable, Hashable, CustomStringConvertible {
    case schedule(String)
    case person(String)
    case channel(ChannelRef)

    public var description: String {
        switch self {
        case .schedule(let s): "schedule:\(s)"
        case .person(let p): "person:\(p)"
        case .channel(let c): c.description
        }
    }
}

public struct EscalationStep: Sendable, Hashable {
    public var targets: [EscalationTarget]
    /// Elapsed time after this step fires before the next one does (default 15m).
    public var escalateAfter: TimeInterval
    public init(targets: [EscalationTarget], escalateAfter: TimeInterval = 900) {
        self.targets = targets; self.escalateAfter = escalateAfter
    }
}

public struct EscalationPolicy: Sendable, Hashable {
    public var id: String
    /// Run the steps this many more times after the last.
    public var repeatCount: Int
    public var steps: [EscalationStep]
    public init(id: String, repeatCount: Int = 0, steps: [EscalationStep]) {
        self.id = id; self.repeatCount = repeatCount; self.steps = steps
    }
}

/// One team file from `Rotations/<team>.yaml`.
public struct Team: Sendable {
    public var id: String
    public var timeZone: TimeZone
    public var schedules: [Schedule]
    public var policies: [EscalationPolicy]
    public init(id: String, timeZone: TimeZone, schedules: [Schedule], policies: [EscalationPolicy]) {
        self.id = id; self.timeZone = timeZone; self.schedules = schedules; self.policies = policies
    }
    public func schedule(_ id: String) -> Schedule? { schedules.first { $0.id == id } }
    public func policy(_ id: String) -> EscalationPolicy? { policies.first { $0.id == id } }
    /// The policy used when a playbook names none: `default`, else the first.
    public var defaultPolicy: EscalationPolicy? { policy("default") ?? policies.first }
}

/// Everything Klaxon reads from its configuration folder, validated.
public struct Configuration: Sendable {
    public var settings: Settings
    public var people: [Person]
    public var teams: [Team]
    public var playbooks: [Playbook]
    /// The folder `klaxon.yaml` is in; `Templates/` is read from beside it.
    public var directory: String

    public init(settings: Settings, people: [Person], teams: [Team], playbooks: [Playbook], directory: String) {
        self.settings = settings; self.people = people; self.teams = teams; self.playbooks = playbooks; self.directory = directory
    }

    public func person(_ id: String) -> Person? { people.first { $0.id == id } }
    public func person(slackUser: String) -> Person? { people.first { $0.slack == slackUser } }
    public func team(_ id: String) -> Team? { teams.first { $0.id == id } }
    public func playbook(_ id: String) -> Playbook? { playbooks.first { $0.id == id } }
}
