import Foundation

/// What the escalation state machine asks the engine to do. The engine writes the new state and
/// these effects in one transaction, then performs them from the outbox and the timer table.
public enum EscalationEffect: Sendable, Hashable {
    /// Notify the targets of step `step` (0-based) in round `round` (0 = first run): its people
    /// and, unless they were already posted to while the people waited, its channels.
    case fire(step: Int, round: Int)
    /// Low urgency: the step is due but its people are outside working hours; post to its
    /// channels now, page the people when `fire` follows.
    case postChannels(step: Int, round: Int)
    /// The step's people when the channels were already posted to.
    case firePeople(step: Int, round: Int)
    /// Wake the escalation at this instant (replaces any pending escalation timer).
    case schedule(at: Date)
    /// Drop every pending escalation timer of the incident.
    case cancelTimers
    /// Every step ran `repeat + 1` times and nobody acknowledged: tell the technical channel.
    case exhausted
}

/// The escalation of one incident through its policy, as a value. Events go in through the
/// mutating methods; effects come out. Pure: `now` is always a parameter, the policy is passed in
/// (so a reloaded policy applies from the next step on), and nothing here does I/O.
public struct Escalation: Sendable, Hashable, Codable {
    public enum Phase: String, Sendable, Hashable, Codable {
        /// Steps are firing or waiting to fire.
        case active
        /// Someone acknowledged: nothing more is paged unless someone escalates.
        case acknowledged
        /// The incident resolved: everything stopped.
        case resolved
        /// The steps ran out without an acknowledgement.
        case exhausted
        /// Urgency `none`: nobody is paged.
        case silent
    }

    /// The next thing due: step `step` of round `round` at `due`; `step == steps.count` means the
    /// exhausted notice.
    public struct Pending: Sendable, Hashable, Codable {
        public var step: Int
        public var round: Int
        public var due: Date
        /// The step's channels were posted to while its people waited for working hours.
        public var channelsPosted: Bool?
    }

    public private(set) var phase: Phase
    public private(set) var urgency: Urgency
    public private(set) var pending: Pending?
    /// The step that fired last and its round, if any did.
    public private(set) var lastFired: Pending?

    /// When the next escalation timer is due, if one is pending.
    public var nextDue: Date? { pending?.due }

    /// The earliest instant, at or after `at`, at which a step may page its targets. High urgency
    /// pages at once; low urgency waits for the target's working hours (issue 5 widens this).
    public typealias PageableFrom = @Sendable (_ step: Int, _ at: Date) -> Date

    /// A new incident: step 1 fires now unless urgency is `none`.
    public static func start(policy: EscalationPolicy, urgency: Urgency, at now: Date,
                             pageableFrom: PageableFrom = { _, t in t }) -> (Escalation, [EscalationEffect]) {
        var e = Escalation(phase: urgency == .none ? .silent : .active, urgency: urgency, pending: nil, lastFired: nil)
        guard e.phase == .active, !policy.steps.isEmpty else { return (e, []) }
        e.pending = Pending(step: 0, round: 0, due: now)
        let effects = e.advance(policy: policy, now: now, pageableFrom: pageableFrom)
        return (e, effects)
    }

    /// The escalation timer fired (possibly late).
    public mutating func timerDue(policy: EscalationPolicy, at now: Date,
                                  pageableFrom: PageableFrom = { _, t in t }) -> [EscalationEffect] {
        guard phase == .active else { return [] }
        return advance(policy: policy, now: now, pageableFrom: pageableFrom)
    }

    /// Acknowledge stops every pending step of the incident.
    public mutating func acknowledged(at now: Date) -> [EscalationEffect] {
        switch phase {
        case .active, .exhausted, .silent:
            phase = .acknowledged
            let hadTimer = pending != nil
            pending = nil
            return hadTimer ? [.cancelTimers] : []
        case .acknowledged, .resolved:
            return []
        }
    }

    /// Resolve stops everything.
    public mutating func resolved(at now: Date) -> [EscalationEffect] {
        guard phase != .resolved else { return [] }
        phase = .resolved
        pending = nil
        return [.cancelTimers]
    }

    /// `escalate`: the next step fires now, and its delay counts from now. Works on an
    /// acknowledged or exhausted incident too (someone wants more help).
    public mutating func escalated(policy: EscalationPolicy, at now: Date) -> [EscalationEffect] {
        guard phase != .resolved, !policy.steps.isEmpty else { return [] }
        var next: Pending
        if let p = pending, p.step < policy.steps.count {
            next = Pending(step: p.step, round: p.round, due: now)
        } else if let last = lastFired {
            next = successor(of: last, policy: policy, due: now)
                ?? Pending(step: (last.step + 1) % policy.steps.count, round: last.round, due: now)
            if next.step >= policy.steps.count { next = Pending(step: 0, round: last.round, due: now) }
        } else {
            next = Pending(step: 0, round: 0, due: now)
        }
        phase = .active
        pending = next
        var effects: [EscalationEffect] = [.cancelTimers]
        // A person asked for more help: the next step pages now, whatever the hour.
        let saved = urgency
        if urgency == .low { urgency = .high }
        effects += advance(policy: policy, now: now, pageableFrom: { _, t in t })
        urgency = saved
        return effects
    }

    /// A severity change re-decides urgency from that moment on.
    public mutating func severityChanged(to newUrgency: Urgency, policy: EscalationPolicy, at now: Date,
                                         pageableFrom: PageableFrom = { _, t in t }) -> [EscalationEffect] {
        let old = urgency
        urgency = newUrgency
        switch (phase, newUrgency) {
        case (.active, .none):
            phase = .silent
            pending = nil
            return [.cancelTimers]
        case (.silent, .high), (.silent, .low):
            phase = .active
            pending = lastFired.flatMap { successor(of: $0, policy: policy, due: now) } ?? Pending(step: 0, round: 0, due: now)
            return advance(policy: policy, now: now, pageableFrom: pageableFrom)
        case (.active, _) where old != newUrgency:
            // Re-decide the waiting step under the new urgency, from this moment on: a step that
            // waited for working hours under low urgency pages now under high urgency; under low
            // urgency a due step waits for working hours.
            if var p = pending, p.step < policy.steps.count {
                let waitingForHours = p.channelsPosted == true
                if newUrgency == .high, waitingForHours || lastFired == nil { p.due = min(p.due, now) }
                pending = p
            }
            var effects = advance(policy: policy, now: now, pageableFrom: pageableFrom)
            if let p = pending, !effects.contains(where: { if case .schedule = $0 { return true } else { return false } }) {
                effects.append(.schedule(at: p.due))
            }
            return effects
        default:
            return []
        }
    }

    // MARK: - Internals

    private func successor(of p: Pending, policy: EscalationPolicy, due: Date) -> Pending? {
        if p.step + 1 < policy.steps.count { return Pending(step: p.step + 1, round: p.round, due: due) }
        if p.round < policy.repeatCount { return Pending(step: 0, round: p.round + 1, due: due) }
        return nil
    }

    /// Fires whatever is due at `now`, then schedules the next wake-up.
    private mutating func advance(policy: EscalationPolicy, now: Date, pageableFrom: PageableFrom) -> [EscalationEffect] {
        var effects: [EscalationEffect] = []
        while phase == .active, var p = pending, p.due <= now {
            if p.step >= policy.steps.count {
                phase = .exhausted
                pending = nil
                effects.append(.exhausted)
                return effects
            }
            let earliest = urgency == .low ? pageableFrom(p.step, now) : now
            if earliest > now {
                if p.channelsPosted != true {
                    effects.append(.postChannels(step: p.step, round: p.round))
                    p.channelsPosted = true
                }
                p.due = earliest
                pending = p
                break
            }
            effects.append(p.channelsPosted == true ? .firePeople(step: p.step, round: p.round) : .fire(step: p.step, round: p.round))
            lastFired = Pending(step: p.step, round: p.round, due: now)
            let after = policy.steps[p.step].escalateAfter
            let dueNext = now.addingTimeInterval(after)
            pending = successor(of: p, policy: policy, due: dueNext)
                ?? Pending(step: policy.steps.count, round: p.round, due: dueNext)
        }
        if let p = pending, phase == .active { effects.append(.schedule(at: p.due)) }
        return effects
    }
}
