import Foundation

/// One incident type: how to recognise it, how severe it is, who owns it and what to do.
public struct Playbook: Sendable {
    public struct SeverityRule: Sendable, Hashable {
        public var when: [Matcher]
        public var level: Severity
        public init(when: [Matcher], level: Severity) { self.when = when; self.level = level }
    }
    public struct DiagnoseStep: Sendable, Hashable {
        public var step: String
        public var command: String?
        public init(step: String, command: String?) { self.step = step; self.command = command }
    }
    public struct Decision: Sendable, Hashable {
        public var condition: String
        public var then: String
        public init(condition: String, then: String) { self.condition = condition; self.then = then }
    }
    public struct Action: Sendable, Hashable {
        public var name: String
        public var channel: String
        public var requiresApproval: Bool
        public init(name: String, channel: String, requiresApproval: Bool) {
            self.name = name; self.channel = channel; self.requiresApproval = requiresApproval
        }
    }
    public struct Review: Sendable, Hashable {
        public var requiredFor: Set<Severity>
        public var dueWithin: TimeInterval?
        public init(requiredFor: Set<Severity>, dueWithin: TimeInterval?) { self.requiredFor = requiredFor; self.dueWithin = dueWithin }
    }

    public var id: String
    public var title: String
    public var category: IncidentCategory
    public var team: String?
    public var escalationPolicy: String?
    public var engage: [String]
    /// Detection criteria: all matchers of a group, any group.
    public var match: [[Matcher]]
    public var severityRules: [SeverityRule]
    public var defaultSeverity: Severity?
    public var triage: [String]
    public var diagnose: [DiagnoseStep]
    public var decisionTree: [Decision]
    /// `rollback.known_good`: what to roll back to (templated with the alert's labels).
    public var knownGood: [String: String]
    public var actions: [Action]
    /// Audience -> template kind.
    public var communications: [Audience: String]
    public var review: Review?
    /// The file it was read from (for lint and "why" explanations).
    public var file: String
    /// What this incident type is, in a sentence or two.
    public var description: String = ""
    /// Detection criteria in prose (what the match groups mean, which alerts feed it).
    public var detection: [String] = []
    /// Remediation steps, in order.
    public var remediation: [String] = []

    public init(id: String, title: String, category: IncidentCategory = .other, team: String? = nil,
                escalationPolicy: String? = nil, engage: [String] = [], match: [[Matcher]] = [],
                severityRules: [SeverityRule] = [], defaultSeverity: Severity? = nil, triage: [String] = [],
                diagnose: [DiagnoseStep] = [], decisionTree: [Decision] = [], knownGood: [String: String] = [:],
                actions: [Action] = [], communications: [Audience: String] = [:], review: Review? = nil, file: String = "") {
        self.id = id; self.title = title; self.category = category; self.team = team
        self.escalationPolicy = escalationPolicy; self.engage = engage; self.match = match
        self.severityRules = severityRules; self.defaultSeverity = defaultSeverity; self.triage = triage
        self.diagnose = diagnose; self.decisionTree = decisionTree; self.knownGood = knownGood
        self.actions = actions; self.communications = communications; self.review = review; self.file = file
    }

    /// `text` with `{{labels.NAME}}` replaced by the alert's label values (each passed through
    /// `escape` for the target format).
    public static func fill(_ text: String, labels: [String: String], escape: (String) -> String = { $0 }) -> String {
        guard text.contains("{{labels.") else { return text }
        var out = text
        for (k, v) in labels { out = out.replacingOccurrences(of: "{{labels.\(k)}}", with: escape(v)) }
        return out
    }

    /// The first match group that holds for `alert`, if any.
    public func matchingGroup(for alert: Alert) -> Int? {
        match.firstIndex { $0.allHold(for: alert) }
    }
}

/// The outcome of classifying one alert, with the reasons a playbook author needs.
public struct Classification: Sendable, Hashable {
    public var playbook: String?
    public var severity: Severity
    public var category: IncidentCategory
    public var team: String
    public var policy: String?
    /// One sentence per decision taken, in order.
    public var reasons: [String]
}

/// Classifies alerts: playbook matching (first by file name), severity rules, owning team and
/// policy; alerts no playbook matches get the integration's team and `severity_defaults`.
public struct Classifier: Sendable {
    public var playbooks: [Playbook]
    public var defaults: SeverityDefaults

    public init(playbooks: [Playbook], defaults: SeverityDefaults) {
        self.playbooks = playbooks.sorted { $0.file < $1.file }
        self.defaults = defaults
    }

    /// `explain` false leaves `reasons` empty: the ingest path classifies every alert and never
    /// shows them (`klaxon classify` does), and writing them was a third of the classification.
    public func classify(_ alert: Alert, integrationTeam: String, explain: Bool = true) -> Classification {
        var reasons: [String] = []
        func reason(_ text: @autoclosure () -> String) { if explain { reasons.append(text()) } }
        for pb in playbooks {
            guard let group = pb.matchingGroup(for: alert) else { continue }
            reason("playbook \(pb.id) matched: \(pb.match[group].map(\.description).joined(separator: ", "))")
            var severity: Severity
            if let i = pb.severityRules.firstIndex(where: { $0.when.allHold(for: alert) }) {
                severity = pb.severityRules[i].level
                reason("severity rule \(i + 1) holds (\(pb.severityRules[i].when.map(\.description).joined(separator: ", "))): \(severity)")
            } else if let d = pb.defaultSeverity {
                severity = d
                reason("no severity rule holds: playbook default \(d)")
            } else {
                severity = defaults.severity(for: alert)
                reason("no severity rule holds and the playbook has no default: severity_defaults give \(severity)")
            }
            let team = pb.team ?? integrationTeam
            reason(pb.team != nil ? "team \(team) from the playbook" : "team \(team) from the integration")
            return Classification(playbook: pb.id, severity: severity, category: pb.category, team: team,
                                  policy: pb.escalationPolicy, reasons: reasons)
        }
        let severity = defaults.severity(for: alert)
        if explain {
            let word = alert.labels[defaults.label] ?? alert.sourceSeverity
            reason("no playbook matched")
            reason(word.map { "\(defaults.label)=\($0) maps to \(severity) by severity_defaults" }
                           ?? "no \(defaults.label) label: severity_defaults otherwise \(severity)")
            reason("team \(integrationTeam) from the integration")
        }
        return Classification(playbook: nil, severity: severity, category: .other, team: integrationTeam,
                              policy: nil, reasons: reasons)
    }
}
