import Foundation
import KlaxonCore
import Logging
import Metrics
import ServiceLifecycle

/// Sends queued messages through the notifiers, with retries: pending → sending (with a lease)
/// → sent, or back to pending with a back-off, or failed. A message whose incident was
/// acknowledged or resolved before its page went out is dropped, never sent late.
public final class DeliveryService: Service, Sendable {
    let engine: IncidentService
    let notifiers: [String: any Notifier]
    let logger: Logger
    let maxAttempts: Int
    let lease: TimeInterval
    /// Messages this process is sending right now: a second claim of one (its lease ran out on
    /// a jumping virtual clock, or a send outlived the lease) must not send it twice.
    private let inFlight = Locked<Set<Int64>>([])

    public init(engine: IncidentService, notifiers: [String: any Notifier], logger: Logger = Logger(label: "klaxon.delivery"),
                maxAttempts: Int = 12, lease: TimeInterval = 60) {
        self.engine = engine; self.notifiers = notifiers; self.logger = logger
        self.maxAttempts = maxAttempts; self.lease = lease
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let sent = try await self.deliverDue()
                    if sent > 0 { continue }
                    let next = try await self.engine.store.nextOutboxDue()
                    await self.engine.clock.sleep(until: next, wakeup: self.engine.deliveryWakeup)
                } catch is CancellationError {
                    return
                } catch {
                    self.logger.error("delivery loop failed; retrying", metadata: ["error": "\(error)"])
                    await self.engine.clock.sleep(until: self.engine.clock.now.addingTimeInterval(1), wakeup: self.engine.deliveryWakeup)
                }
            }
        }
    }

    /// Delivers every message due now (concurrently, up to 16 at a time). Returns how many were handled.
    @discardableResult
    public func deliverDue() async throws -> Int {
        var handled = 0
        while true {
            let now = engine.clock.now
            let claimed = try await engine.store.claimOutbox(now: now, limit: 16, lease: lease)
            if claimed.isEmpty { break }
            let batch = inFlight.withLock { busy in
                let fresh = claimed.filter { !busy.contains($0.id ?? -1) }
                for m in fresh { busy.insert(m.id ?? -1) }
                return fresh
            }
            if batch.isEmpty { break }
            defer { inFlight.withLock { busy in for m in batch { busy.remove(m.id ?? -1) } } }
            await withTaskGroup(of: Void.self) { group in
                for m in batch { group.addTask { await self.deliver(m) } }
            }
            handled += batch.count
        }
        return handled
    }

    /// Delivers what is due and waits (at most `timeout`) until nothing due is left in flight:
    /// for the test clock, so an answer means every message owed so far was handed over.
    public func settle(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            _ = try await deliverDue()
            let busy = inFlight.withLock { !$0.isEmpty }
            let due = try await engine.store.nextOutboxDue().map { $0 <= engine.clock.now } ?? false
            if !busy && !due { return }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    private func deliver(_ message: OutboxMessage) async {
        guard let id = message.id else { return }
        let snapshot = engine.runtime.snapshot
        let now = engine.clock.now
        do {
            let prepared: OutboundMessage? = try await engine.store.read { tx in
                try Self.prepare(message, tx: tx, snapshot: snapshot, now: now)
            }
            guard let prepared else {
                try await finish(id, incident: message.incident) { m in
                    m.state = .cancelled
                    m.lastError = "incident acknowledged or resolved before the page was sent"
                }
                return
            }
            guard let notifier = notifiers[message.channel] else {
                try await finish(id, incident: message.incident) { m in
                    m.state = .failed
                    m.lastError = "channel \(message.channel) is not enabled"
                }
                return
            }
            let outcome = await notifier.deliver(prepared)
            let attempts = message.attempts + 1
            let after = engine.clock.now
            let maxAttempts = self.maxAttempts
            switch outcome {
            case .sent(let ref):
                Counter(label: "klaxon_notifications_sent_total", dimensions: [("channel", message.channel), ("kind", message.kind.rawValue)]).increment()
                try await finish(id, incident: message.incident) { m in
                    m.state = .sent; m.attempts = attempts; m.externalRef = ref ?? m.externalRef; m.lastError = nil
                }
            case .retry(let delay, let reason) where attempts < maxAttempts:
                let backoff = delay ?? min(300, pow(2, Double(attempts)))
                logger.warning("delivery will be retried", metadata: ["incident.id": "INC-\(message.incident)", "channel": "\(message.channel)", "error": "\(reason)"])
                try await finish(id, incident: message.incident) { m in
                    m.state = .pending; m.attempts = attempts; m.lastError = reason; m.nextAttemptAt = after.addingTimeInterval(backoff)
                }
            case .retry(_, let reason), .failed(let reason):
                Counter(label: "klaxon_notifications_failed_total", dimensions: [("channel", message.channel), ("kind", message.kind.rawValue)]).increment()
                logger.error("delivery failed", metadata: ["incident.id": "INC-\(message.incident)", "channel": "\(message.channel)", "error": "\(reason)"])
                try await finish(id, incident: message.incident, timeline: "Could not send \(message.kind.rawValue) to \(message.recipient) through \(message.channel): \(reason)") { m in
                    m.state = .failed; m.attempts = attempts; m.lastError = reason
                }
            }
        } catch {
            logger.error("delivery bookkeeping failed", metadata: ["error": "\(error)"])
        }
    }

    private func finish(_ id: Int64, incident: Int, timeline: String? = nil, _ change: @escaping @Sendable (inout OutboxMessage) -> Void) async throws {
        let now = engine.clock.now
        try await engine.store.write { tx in
            guard var m = try tx.outboxMessage(id) else { return }
            change(&m)
            try tx.save(m)
            if let timeline { try tx.append(TimelineEntry(incident: incident, at: now, kind: "delivery.failed", message: timeline)) }
        }
    }

    /// Everything the notifier needs; nil when the message must not go out any more.
    static func prepare(_ m: OutboxMessage, tx: any StoreTransaction, snapshot: Runtime.Snapshot, now: Date) throws -> OutboundMessage? {
        guard let incident = try tx.incident(m.incident), let channel = snapshot.config.settings.channel(named: m.channel) else { return nil }
        if m.kind == .page, incident.status != .triggered { return nil }
        var previous: ExternalRef? = nil
        if m.kind == .pageUpdate {
            guard let rid = m.replaces, let original = try tx.outboxMessage(rid), let ref = original.externalRef else { return nil }
            previous = ref
        }
        var person: Person? = nil
        var zone = snapshot.config.team(incident.team)?.timeZone ?? snapshot.config.settings.timeZone
        if case .person(let pid, _) = m.recipient {
            person = snapshot.config.person(pid)
            if let p = person { zone = p.timeZone }
        }
        var out = OutboundMessage(message: m, channel: channel, incident: incident, alerts: try tx.alerts(of: incident.number).map(\.alert),
                                  timeline: try tx.timeline(of: incident.number), playbook: incident.playbook.flatMap { snapshot.config.playbook($0) },
                                  person: person, paged: m.kind == .stakeholder ? [] : (m.detail ?? "").split(separator: ",").map(String.init),
                                  previous: previous, publicURL: snapshot.config.settings.server.publicURL, now: now, readerZone: zone)
        out.targetMTTR = snapshot.config.settings.targets.mttr[incident.severity]
        return out
    }
}
