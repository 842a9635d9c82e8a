import Foundation
import KlaxonCore

/// Stakeholder updates (SPEC 3.1 `stakeholders`): executive briefings at open and on a cadence
/// for the configured severities (and for long-open incidents past a threshold), customer
/// notices while their condition holds, technical updates on the listed events.
extension EffectWriter {
    static let executiveCadence = "executive"
    static let executiveThreshold = "executive.threshold"

    /// Whether `audience` hears about `incident` now (severity and `when` condition).
    func applies(_ a: StakeholderAudience, to incident: IncidentRecord, alerts: [Alert]) -> Bool {
        guard a.severities.isEmpty || a.severities.contains(incident.severity) else { return false }
        return a.when.isEmpty || alerts.contains { a.when.allHold(for: $0) }
    }

    /// Queues the messages one event owes each audience, and keeps the executive cadence right.
    func stakeholders(_ event: IncidentEvent, incident: IncidentRecord, text: String? = nil) throws {
        let audiences = config.settings.stakeholders
        guard !audiences.isEmpty else { return }
        let alerts = try tx.alerts(of: incident.number).map(\.alert)
        if let t = audiences[.technical], t.on.contains(event), applies(t, to: incident, alerts: alerts) {
            try send(.technical, t, event: event.rawValue, incident: incident, text: text)
        }
        if let c = audiences[.customer], [.opened, .updated, .resolved].contains(event), applies(c, to: incident, alerts: alerts) {
            try send(.customer, c, event: event.rawValue, incident: incident, text: text)
        }
        if let e = audiences[.executive] {
            let briefed = applies(e, to: incident, alerts: alerts) || thresholdPassed(e, incident)
            switch event {
            case .opened, .severityChanged:
                // Cadence is re-decided from this moment.
                try tx.cancelTimers(incident: incident.number, kind: .stakeholder)
                if applies(e, to: incident, alerts: alerts) {
                    try send(.executive, e, event: event.rawValue, incident: incident, text: text)
                    if let every = e.every {
                        try tx.schedule(TimerRecord(incident: incident.number, kind: .stakeholder, dueAt: now.addingTimeInterval(every), detail: Self.executiveCadence))
                    }
                } else if let threshold = e.alsoWhenOpenLongerThan[incident.severity] {
                    let due = incident.openedAt.addingTimeInterval(threshold)
                    if due <= now {
                        try send(.executive, e, event: event.rawValue, incident: incident, text: text)
                        if let every = e.every {
                            try tx.schedule(TimerRecord(incident: incident.number, kind: .stakeholder, dueAt: now.addingTimeInterval(every), detail: Self.executiveCadence))
                        }
                    } else {
                        try tx.schedule(TimerRecord(incident: incident.number, kind: .stakeholder, dueAt: due, detail: Self.executiveThreshold))
                    }
                }
            case .updated, .resolved:
                if briefed { try send(.executive, e, event: event.rawValue, incident: incident, text: text) }
            case .acknowledged, .escalated:
                break
            }
        }
    }

    /// A stakeholder timer fell due: the next executive briefing, if the incident still calls for one.
    func stakeholderTimer(_ timer: TimerRecord, incident: IncidentRecord) throws {
        guard incident.status != .resolved, let e = config.settings.stakeholders[.executive] else { return }
        let alerts = try tx.alerts(of: incident.number).map(\.alert)
        guard applies(e, to: incident, alerts: alerts) || thresholdPassed(e, incident) else { return }
        try send(.executive, e, event: timer.detail == Self.executiveThreshold ? "open_longer_than" : "cadence", incident: incident, text: nil)
        if let every = e.every {
            try tx.schedule(TimerRecord(incident: incident.number, kind: .stakeholder, dueAt: now.addingTimeInterval(every), detail: Self.executiveCadence))
        }
    }

    private func thresholdPassed(_ e: StakeholderAudience, _ incident: IncidentRecord) -> Bool {
        guard let threshold = e.alsoWhenOpenLongerThan[incident.severity] else { return false }
        return now.timeIntervalSince(incident.openedAt) >= threshold
    }

    private func send(_ audience: Audience, _ a: StakeholderAudience, event: String, incident: IncidentRecord, text: String?) throws {
        let template = incident.playbook.flatMap { config.playbook($0)?.communications[audience] } ?? StakeholderDetail.defaultTemplate(audience)
        let detail = StakeholderDetail(audience: audience, event: event, template: template, text: text).encoded
        var reached: [String] = []
        for ref in a.channels {
            guard let (channel, recipient) = snapshot.resolve(ref) else { continue }
            try tx.enqueue(OutboxMessage(incident: incident.number, channel: channel.name, kind: .stakeholder, recipient: recipient,
                                         detail: detail, createdAt: now))
            reached.append(ref.description)
        }
        if !reached.isEmpty {
            try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "stakeholder.\(audience.rawValue)",
                                        message: "\(audience.rawValue.capitalized) update (\(event)) to \(reached.joined(separator: ", "))"))
        }
    }
}
