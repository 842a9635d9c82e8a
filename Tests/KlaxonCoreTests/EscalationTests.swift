import Foundation
import Testing
@testable import KlaxonCore

struct EscalationTests {
    let t0 = Date(timeIntervalSince1970: 1_795_420_800)
    let policy = EscalationPolicy(id: "default", repeatCount: 1, steps: [
        EscalationStep(targets: [.schedule("primary")], escalateAfter: 300),
        EscalationStep(targets: [.schedule("secondary")], escalateAfter: 600),
    ])

    @Test func highUrgencyFiresStepOneAtOnceThenEachDelay() {
        var (e, effects) = Escalation.start(policy: policy, urgency: .high, at: t0)
        #expect(effects == [.fire(step: 0, round: 0), .schedule(at: t0 + 300)])
        // Nothing is due before the delay.
        #expect(e.timerDue(policy: policy, at: t0 + 299) == [.schedule(at: t0 + 300)])
        #expect(e.timerDue(policy: policy, at: t0 + 300) == [.fire(step: 1, round: 0), .schedule(at: t0 + 900)])
        // Repeat once from step 1, then exhaustion after the last step's delay.
        #expect(e.timerDue(policy: policy, at: t0 + 900) == [.fire(step: 0, round: 1), .schedule(at: t0 + 1200)])
        #expect(e.timerDue(policy: policy, at: t0 + 1200) == [.fire(step: 1, round: 1), .schedule(at: t0 + 1800)])
        #expect(e.timerDue(policy: policy, at: t0 + 1800) == [.exhausted])
        #expect(e.phase == .exhausted)
        #expect(e.timerDue(policy: policy, at: t0 + 9999) == [])
    }

    @Test func aLateTimerCountsTheNextDelayFromWhenItFired() {
        var (e, _) = Escalation.start(policy: policy, urgency: .high, at: t0)
        #expect(e.timerDue(policy: policy, at: t0 + 1000) == [.fire(step: 1, round: 0), .schedule(at: t0 + 1600)])
    }

    @Test func acknowledgeStopsEverything() {
        var (e, _) = Escalation.start(policy: policy, urgency: .high, at: t0)
        #expect(e.acknowledged(at: t0 + 60) == [.cancelTimers])
        #expect(e.phase == .acknowledged)
        #expect(e.timerDue(policy: policy, at: t0 + 300) == [])
        #expect(e.acknowledged(at: t0 + 61) == [])
    }

    @Test func resolveStopsEverything() {
        var (e, _) = Escalation.start(policy: policy, urgency: .high, at: t0)
        #expect(e.resolved(at: t0 + 1) == [.cancelTimers])
        #expect(e.timerDue(policy: policy, at: t0 + 300) == [])
        #expect(e.escalated(policy: policy, at: t0 + 2) == [])
    }

    @Test func escalateFiresTheNextStepNowAndCountsFromNow() {
        var (e, _) = Escalation.start(policy: policy, urgency: .high, at: t0)
        #expect(e.escalated(policy: policy, at: t0 + 60) == [.cancelTimers, .fire(step: 1, round: 0), .schedule(at: t0 + 660)])
        // Escalating an acknowledged incident re-opens the escalation at the next step.
        _ = e.acknowledged(at: t0 + 70)
        #expect(e.escalated(policy: policy, at: t0 + 80) == [.cancelTimers, .fire(step: 0, round: 1), .schedule(at: t0 + 380)])
        #expect(e.phase == .active)
    }

    @Test func urgencyNonePagesNobodyUntilRaised() {
        var (e, effects) = Escalation.start(policy: policy, urgency: .none, at: t0)
        #expect(effects.isEmpty)
        #expect(e.phase == .silent)
        #expect(e.severityChanged(to: .high, policy: policy, at: t0 + 100) == [.fire(step: 0, round: 0), .schedule(at: t0 + 400)])
        #expect(e.severityChanged(to: .none, policy: policy, at: t0 + 200) == [.cancelTimers])
        #expect(e.timerDue(policy: policy, at: t0 + 400) == [])
    }

    @Test func stateSurvivesCoding() throws {
        let (e, _) = Escalation.start(policy: policy, urgency: .high, at: t0)
        let data = try JSONEncoder().encode(e)
        #expect(try JSONDecoder().decode(Escalation.self, from: data) == e)
    }
}

extension Date {
    static func + (d: Date, s: TimeInterval) -> Date { d.addingTimeInterval(s) }
}
