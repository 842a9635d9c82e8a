import Foundation

/// When a low-urgency step may page: the earliest instant at which a person it targets (for a
/// schedule, the person then on call) is inside their own working hours, in their own zone.
public struct WorkingHoursPlanner: Sendable {
    public var team: Team?
    public var people: [String: Person]
    /// How far ahead to look; past it the step pages anyway (a page is never dropped).
    public var horizon: TimeInterval

    public init(team: Team?, people: [Person], horizon: TimeInterval = 8 * 86_400) {
        self.team = team
        self.people = Dictionary(people.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.horizon = horizon
    }

    /// The earliest instant ≥ `t` at which some person target of `step` is in working hours.
    public func earliestPageable(_ step: EscalationStep, at t: Date) -> Date {
        var best: Date? = nil
        for target in step.targets {
            let candidate: Date?
            switch target {
            case .person(let id): candidate = people[id].flatMap { entry(of: $0, atOrAfter: t) }
            case .schedule(let id): candidate = team?.schedule(id).flatMap { earliest(in: $0, atOrAfter: t) }
            case .channel: candidate = nil
            }
            if let c = candidate, best == nil || c < best! { best = c }
        }
        // Nobody with working hours within the horizon (or only channels): page now rather than never.
        guard let best else { return t }
        return min(best, t.addingTimeInterval(horizon))
    }

    /// Whether `person` is inside their working hours at `t`.
    public func inWorkingHours(_ person: String, at t: Date) -> Bool {
        guard let p = people[person] else { return true }
        return p.workingHours.contains(t, in: p.timeZone)
    }

    private func entry(of p: Person, atOrAfter t: Date) -> Date? {
        p.workingHours.nextEntry(atOrAfter: t, in: p.timeZone)
    }

    /// Walks the schedule's cover from `t`: for each person on call, the first instant inside
    /// their working hours before their cover ends.
    private func earliest(in schedule: Schedule, atOrAfter t: Date) -> Date? {
        var at = t
        let end = t.addingTimeInterval(horizon)
        for _ in 0..<512 where at <= end {
            let oncall = schedule.oncall(at: at)
            guard let who = oncall.members.first, let person = people[who] else {
                guard let next = oncall.until, next > at else { return nil }
                at = next
                continue
            }
            if let entry = entry(of: person, atOrAfter: at), oncall.until == nil || entry < oncall.until! { return entry }
            guard let next = oncall.until, next > at else { return nil }
            at = next
        }
        return nil
    }
}
