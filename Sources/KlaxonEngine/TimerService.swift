import Foundation
import KlaxonCore
import Logging
import ServiceLifecycle

/// Fires stored timers when they fall due. Sleeps until the next due timer or until woken (no
/// polling). Timers that fell due while Klaxon was down fire once at start, marked late.
public final class TimerService: Service, Sendable {
    let engine: IncidentService
    let logger: Logger
    /// A timer fired more than this after its due time is marked late in the timeline.
    let lateThreshold: TimeInterval

    public init(engine: IncidentService, logger: Logger = Logger(label: "klaxon.timers"), lateThreshold: TimeInterval = 5) {
        self.engine = engine
        self.logger = logger
        self.lateThreshold = lateThreshold
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    _ = try await self.fireDue()
                    let next = try await self.engine.store.nextTimerDue()
                    await self.engine.clock.sleep(until: next, wakeup: self.engine.timerWakeup)
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.error("timer loop failed; retrying", metadata: ["error": "\(error)"])
                    await self.engine.clock.sleep(until: self.engine.clock.now.addingTimeInterval(1), wakeup: self.engine.timerWakeup)
                }
            }
        }
    }

    /// Fires every timer due now, each in its own transaction. Returns how many fired.
    @discardableResult
    public func fireDue() async throws -> Int {
        var fired = 0
        while true {
            let now = engine.clock.now
            let due = try await engine.store.read { tx in try tx.dueTimers(at: now, limit: 64) }
            if due.isEmpty { break }
            for timer in due {
                if try await fire(timer, now: now) { fired += 1 }
            }
        }
        if fired > 0 { engine.deliveryWakeup.signal() }
        return fired
    }

    private func fire(_ timer: TimerRecord, now: Date) async throws -> Bool {
        guard let id = timer.id else { return false }
        let snapshot = engine.runtime.snapshot
        let logger = self.logger
        let lateThreshold = self.lateThreshold
        return try await engine.store.write { tx in
            // Re-read inside the transaction: an ack may have cancelled it meanwhile.
            guard let current = try tx.timer(id), current.state == .pending else { return false }
            try tx.markTimer(id, state: .fired, at: now)
            guard var incident = try tx.incident(current.incident), incident.status != .resolved else { return true }
            let writer = EffectWriter(snapshot: snapshot, tx: tx, now: now, logger: logger)
            let lateBy = now.timeIntervalSince(current.dueAt)
            switch current.kind {
            case .escalation:
                guard var esc = incident.escalation, let policy = writer.policy(for: incident) else { return true }
                let effects = esc.timerDue(policy: policy, at: now, pageableFrom: writer.pageableFrom(for: incident))
                incident.escalation = esc
                if lateBy > lateThreshold {
                    try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "timer.late",
                                                message: "Escalation timer due at \(ISOTime.utc(current.dueAt)) fired \(DurationText.format(lateBy)) late (Klaxon was not running)"))
                }
                try writer.apply(effects, incident: incident, lateBy: lateBy > lateThreshold ? lateBy : nil)
                try tx.save(incident)
                if effects.contains(where: { if case .fire = $0 { return true }; if case .firePeople = $0 { return true }; return false }) {
                    try writer.stakeholders(.escalated, incident: incident)
                }
            case .stakeholder:
                if lateBy > lateThreshold {
                    try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "timer.late",
                                                message: "Stakeholder timer due at \(ISOTime.utc(current.dueAt)) fired \(DurationText.format(lateBy)) late (Klaxon was not running)"))
                }
                try writer.stakeholderTimer(current, incident: incident)
            }
            return true
        }
    }
}
