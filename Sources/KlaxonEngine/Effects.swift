import Foundation
import KlaxonCore
import Logging

/// Turns escalation effects into timeline entries, timers and outbox messages, inside the
/// transaction that changed the incident.
struct EffectWriter {
    let snapshot: Runtime.Snapshot
    let tx: any StoreTransaction
    let now: Date
    let logger: Logger

    var config: Configuration { snapshot.config }

    func policy(for incident: IncidentRecord) -> EscalationPolicy? {
        guard let team = config.team(incident.team) else { return nil }
        if let id = incident.policy { return team.policy(id) ?? team.defaultPolicy }
        return team.defaultPolicy
    }

    /// When a low-urgency step of this incident's policy may page (working hours of whoever it
    /// targets, each in their own zone).
    func pageableFrom(for incident: IncidentRecord) -> Escalation.PageableFrom {
        let planner = WorkingHoursPlanner(team: config.team(incident.team), people: config.people)
        let steps = policy(for: incident)?.steps ?? []
        return { step, t in step < steps.count ? planner.earliestPageable(steps[step], at: t) : t }
    }

    func apply(_ effects: [EscalationEffect], incident: IncidentRecord, lateBy: TimeInterval? = nil) throws {
        let team = config.team(incident.team)
        let policy = policy(for: incident)
        let lowUrgency = incident.escalation?.urgency == .low
        for effect in effects {
            switch effect {
            case .fire(let stepIndex, let round), .firePeople(let stepIndex, let round), .postChannels(let stepIndex, let round):
                guard let policy, stepIndex < policy.steps.count else { continue }
                var people = true, channels = true
                if case .firePeople = effect { channels = false }
                if case .postChannels = effect { people = false }
                try fire(step: policy.steps[stepIndex], index: stepIndex, round: round, incident: incident, team: team, lateBy: lateBy,
                         people: people, channels: channels, onlyInWorkingHours: lowUrgency)
            case .schedule(let at):
                try tx.cancelTimers(incident: incident.number, kind: .escalation)
                try tx.schedule(TimerRecord(incident: incident.number, kind: .escalation, dueAt: at))
            case .cancelTimers:
                try tx.cancelTimers(incident: incident.number, kind: .escalation)
            case .exhausted:
                try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "escalation.exhausted",
                                            message: "Escalation exhausted: every step ran \((policy?.repeatCount ?? 0) + 1) time(s) and nobody acknowledged."))
                for ref in config.settings.stakeholders[.technical]?.channels ?? [] {
                    if let (channel, recipient) = snapshot.resolve(ref) {
                        try tx.enqueue(OutboxMessage(incident: incident.number, channel: channel.name, kind: .exhausted, recipient: recipient, createdAt: now))
                    }
                }
            }
        }
    }

    private func fire(step: EscalationStep, index: Int, round: Int, incident: IncidentRecord, team: Team?, lateBy: TimeInterval?,
                      people: Bool, channels: Bool, onlyInWorkingHours: Bool) throws {
        var persons: [String] = []
        var notes: [String] = []
        var posts: [ChannelRef] = []
        for target in step.targets {
            if !people, !{ if case .channel = target { return true } else { return false } }() { continue }
            if !channels, case .channel = target { continue }
            switch target {
            case .schedule(let id):
                guard let schedule = team?.schedule(id) else { notes.append("schedule \(id) not found"); continue }
                let oncall = schedule.oncall(at: now).members
                if oncall.isEmpty { notes.append("schedule \(id) has nobody on call") }
                persons += oncall
            case .person(let id):
                persons.append(id)
            case .channel(let ref):
                posts.append(ref)
            }
        }
        var seen = Set<String>()
        persons = persons.filter { seen.insert($0).inserted }
        if onlyInWorkingHours {
            let planner = WorkingHoursPlanner(team: team, people: config.people)
            let outside = persons.filter { !planner.inWorkingHours($0, at: now) }
            if !outside.isEmpty, outside.count < persons.count {
                persons.removeAll { outside.contains($0) }
                notes.append("low urgency: \(outside.joined(separator: ", ")) outside working hours, not paged")
            }
        }
        var reached: [String] = []
        for id in persons {
            guard let person = config.person(id) else { notes.append("\(id) is not in people.yaml"); continue }
            if person.notify.isEmpty { notes.append("\(id) has no contact method") }
            for method in person.notify {
                guard let channel = snapshot.channel(for: method) else {
                    notes.append("cannot reach \(id) by \(method.rawValue): no enabled \(method == .slack ? "slack" : "email") channel")
                    continue
                }
                try tx.enqueue(OutboxMessage(incident: incident.number, channel: channel.name, kind: .page,
                                             recipient: .person(id: id, method: method), step: index,
                                             detail: persons.joined(separator: ","), round: round, createdAt: now))
                reached.append("\(id) (\(method.rawValue))")
            }
        }
        for ref in posts {
            guard let (channel, recipient) = snapshot.resolve(ref) else {
                notes.append("cannot post to \(ref): channel not configured or disabled")
                continue
            }
            try tx.enqueue(OutboxMessage(incident: incident.number, channel: channel.name, kind: .post, recipient: recipient,
                                         step: index, round: round, createdAt: now))
            reached.append(ref.description)
        }
        var message = "Escalation step \(index + 1)" + (round > 0 ? " (repeat \(round))" : "") + ": "
        if !people { message = "Escalation step \(index + 1)" + (round > 0 ? " (repeat \(round))" : "") + " (low urgency, people wait for working hours): " }
        message += reached.isEmpty ? "nobody could be paged" : (people ? "paging " : "posting to ") + reached.joined(separator: ", ")
        if !notes.isEmpty { message += "; " + notes.joined(separator: "; ") }
        if let late = lateBy { message += " (fired late by \(DurationText.format(late)))" }
        try tx.append(TimelineEntry(incident: incident.number, at: now, kind: lateBy == nil ? "escalation.step" : "escalation.step.late", message: message))
        if reached.isEmpty {
            logger.warning("escalation step reached nobody", metadata: ["incident.id": "\(incident.id)", "escalation.step": "\(index + 1)"])
        }
    }

    /// After an acknowledgement or resolution: pages not yet sent are dropped, and pages already
    /// sent are refreshed in place.
    func refreshPages(of incident: IncidentRecord) throws {
        for m in try tx.outbox(of: incident.number) where m.kind == .page {
            switch m.state {
            case .pending:
                var c = m
                c.state = .cancelled
                c.lastError = "incident \(incident.status.rawValue) before the page was sent"
                try tx.save(c)
            case .sent:
                if m.externalRef != nil, let id = m.id {
                    try tx.enqueue(OutboxMessage(incident: incident.number, channel: m.channel, kind: .pageUpdate, recipient: m.recipient,
                                                 step: m.step, detail: m.detail, replaces: id, createdAt: now))
                }
            case .sending, .failed, .cancelled:
                // A page being sent right now is dropped by the delivery service when it sees the new status.
                break
            }
        }
    }
}
