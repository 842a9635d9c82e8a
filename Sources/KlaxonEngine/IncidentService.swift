import Foundation
import KlaxonCore
import Logging
import Metrics

/// An incident with its alerts and timeline, for the API.
public struct IncidentDetail: Sendable {
    public var incident: IncidentRecord
    public var alerts: [StoredAlert]
    public var timeline: [TimelineEntry]
    public init(incident: IncidentRecord, alerts: [StoredAlert], timeline: [TimelineEntry]) {
        self.incident = incident; self.alerts = alerts; self.timeline = timeline
    }
}

/// The engine's front door: alerts in, people's actions in; state, timeline, timers and outbox
/// written in one transaction per event, then the timer and delivery services woken.
public final class IncidentService: Sendable {
    public let store: any IncidentStore
    public let clock: any KlaxonClock
    public let runtime: Runtime
    /// Signalled after a change that may have added a timer.
    public let timerWakeup: Wakeup
    /// Signalled after a change that may have queued a message.
    public let deliveryWakeup: Wakeup
    let logger: Logger
    /// Ingests share transactions (group commit): one disk sync for many alerts, each still
    /// committed before its caller hears back.
    let committer: GroupCommitter

    public init(store: any IncidentStore, clock: any KlaxonClock, runtime: Runtime,
                timerWakeup: Wakeup = Wakeup(), deliveryWakeup: Wakeup = Wakeup(), logger: Logger = Logger(label: "klaxon.engine")) {
        self.store = store; self.clock = clock; self.runtime = runtime
        self.timerWakeup = timerWakeup; self.deliveryWakeup = deliveryWakeup; self.logger = logger
        self.committer = GroupCommitter(store: store)
    }

    private func wakeServices() {
        timerWakeup.signal()
        deliveryWakeup.signal()
    }

    // MARK: - Ingest

    /// Records a batch of alerts for one incident key: opens, updates or resolves the incident.
    /// Committed before it returns. Returns the incident ids touched (none for a resolved
    /// batch whose incident is unknown or already resolved).
    public func ingest(integration: Integration, batch: AlertBatch) async throws -> [String] {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<[String], any Error>) in
            ingest(integration: integration, batch: batch) { result, request in
                request.drop()
                c.resume(with: result)
            }
        }
    }

    /// The same as `ingest(integration:batch:)` for callers outside Swift concurrency (the HTTP
    /// fast path runs on NIO's event loops): `completion` runs once, after the commit reached
    /// the disk, on the group committer's writer thread; hop back to your own thread yourself and
    /// keep it short. Take the request with you and `drop()` it there: it holds what this call
    /// allocated on your thread (the alerts, their classification and JSON), and memory freed
    /// on the thread that allocated it goes back to that thread's cache (freed on the group
    /// committer's thread, it cost that thread a third of its time and made the event loops' allocations
    /// miss their cache, under `make bench`).
    /// `counters`: the integration's (`IngestCounters.for(integration.name)`), if the caller
    /// keeps them.
    public func ingest(integration: Integration, batch: consuming AlertBatch, counters: IngestCounters? = nil,
                       completion: @escaping @Sendable (Result<[String], any Error>, _ request: IngestRequest) -> Void) {
        ingest(integration: integration, batch: batch, counters: counters, listener: ClosureListener(completion))
    }

    /// The same, telling `listener` (an object the caller keeps, such as one per connection:
    /// nothing is allocated per request to carry the answer back). The batch is taken: the
    /// request keeps it until it is dropped.
    public func ingest(integration: Integration, batch: consuming AlertBatch, counters: IngestCounters? = nil, listener: any IngestListener) {
        let snapshot = runtime.snapshot
        // Classified here, on the caller's thread: the writer thread is the one that runs serially.
        // Their stored JSON too: the writer only wraps it (see `StoredAlertJSON`). One
        // classification and one JSON per alert, in the batch's order, the alerts read in place:
        // a copy of an alert (as `map` or `reduce` make for their closures) is a retain of each of
        // its strings and tables, and a release after.
        let total = batch.alerts.count
        var prepared: [PreparedAlert] = []
        prepared.reserveCapacity(total)
        var firing = 0
        batch.alerts.withUnsafeBufferPointer { alerts in
            for i in alerts.indices {
                prepared.append(PreparedAlert(classification: snapshot.classifier.classify(alerts[i], integrationTeam: integration.team, explain: false),
                                              object: StoredAlertJSON.alertObject(alerts[i])))
                if alerts[i].status == .firing { firing += 1 }
            }
        }
        // One object carries the request through the group committer: no closures.
        committer.submit(IngestRequest(service: self, snapshot: snapshot, integration: integration, counters: counters ?? IngestCounters.for(integration.name), now: clock.now,
                                       contents: .init(batch: batch, prepared: prepared),
                                       firing: firing, listener: listener))
    }

    /// After an ingest committed and reached the disk: its metrics, its log line, the services woken.
    /// `counters` are looked up on the caller's thread: this runs on the serial writer thread.
    fileprivate func ingested(firing: Int, total: Int, counters: IngestCounters, opened: IncidentRecord?, wake: Bool) {
        if firing > 0 { counters.firing.increment(by: firing) }
        if firing < total { counters.resolved.increment(by: total - firing) }
        if let opened {
            MetricsCache.counter("klaxon_incidents_opened_total", [("severity", opened.severity.rawValue), ("category", opened.category.rawValue)]).increment()
            logger.info("incident opened", metadata: ["incident.id": "\(opened.id)", "incident.severity": "\(opened.severity)", "incident.team": "\(opened.team)"])
        }
        if wake { wakeServices() }
    }

    static func ingest(tx: any StoreTransaction, snapshot: Runtime.Snapshot, integration: String, contents: IngestRequest.Contents,
                       now: Date,
                       logger: Logger) throws -> (ids: [String], opened: IncidentRecord?, wake: Bool) {
        let key = IncidentRecord.key(integration: integration, groupKey: contents.batch.groupKey)
        // Made only when an effect is written (a new alert for an open incident needs none):
        // it copies the transaction, the snapshot and the logger.
        lazy var writer = EffectWriter(snapshot: snapshot, tx: tx, now: now, logger: logger)

        let alerts = contents.batch.alerts
        guard var incident = try tx.openIncident(key: key) else {
            // The firing alert of the highest severity leads (the first of them on a tie).
            var lead: Int?
            var firingCount = 0
            for i in alerts.indices where alerts[i].status == .firing {
                firingCount += 1
                if lead.map({ contents.prepared[i].classification.severity > contents.prepared[$0].classification.severity }) ?? true { lead = i }
            }
            guard let lead else { return ([], nil, false) }
            let number = try tx.nextIncidentNumber()
            let c = contents.prepared[lead].classification
            let title = alerts[lead].summary.isEmpty ? (contents.batch.title ?? contents.batch.groupKey) : alerts[lead].summary
            var inc = IncidentRecord(number: number, key: key, integration: integration, title: title,
                                     severity: c.severity, category: c.category, team: c.team,
                                     policy: c.policy, playbook: c.playbook, openedAt: now)
            try tx.save(inc)
            try tx.append(TimelineEntry(incident: number, at: now, kind: "incident.opened", actor: integration,
                                        message: "Opened as \(inc.severity) \(inc.category.rawValue) for team \(inc.team)" + (c.playbook.map { " by playbook \($0)" } ?? "") + ": \(title)"))
            for i in alerts.indices {
                try tx.save(alerts[i], incident: number, severity: contents.prepared[i].classification.severity, receivedAt: now, alertObject: contents.prepared[i].object)
                try tx.appendAlertEntry(incident: number, at: now, actor: integration, status: alerts[i].status, summary: alerts[i].summary,
                                        wasFiring: false, acknowledged: false)
            }
            if let policy = writer.policy(for: inc) {
                let urgency = snapshot.config.settings.urgency.urgency(for: inc.severity)
                let (esc, effects) = Escalation.start(policy: policy, urgency: urgency, at: now, pageableFrom: writer.pageableFrom(for: inc))
                inc.escalation = esc
                if urgency == .none {
                    try tx.append(TimelineEntry(incident: number, at: now, kind: "escalation.silent",
                                                message: "Urgency none for \(inc.severity): nobody is paged"))
                }
                try writer.apply(effects, incident: inc)
            } else {
                try tx.append(TimelineEntry(incident: number, at: now, kind: "escalation.none",
                                            message: "Team \(inc.team) has no escalation policy: nobody is paged"))
            }
            try tx.save(inc)
            try writer.stakeholders(.opened, incident: inc)
            if firingCount < alerts.count, !contents.batch.groupFiring {
                // Resolved alerts that came with the firing ones already count as resolved.
                try resolveIfDone(&inc, tx: tx, writer: writer, actor: integration, now: now, leftOut: contents.batch.truncatedAlerts)
            }
            return ([inc.id], inc, true)
        }

        // An open incident: record what changed (only this batch's alerts are read).
        var changed = false
        var highest = incident.severity
        for i in alerts.indices {
            let severity = contents.prepared[i].classification.severity
            let status = alerts[i].status
            let existing = try tx.alert(of: incident.number, fingerprint: alerts[i].fingerprint)
            // A resolve may be sparse (generic and PagerDuty sources): keep what the alert said.
            // Otherwise the alert is saved as sent (not copied), with its JSON written beforehand.
            var merged: Alert?
            if status == .resolved, let old = existing?.alert {
                var alert = alerts[i]
                alert.labels = old.labels.merging(alert.labels) { _, new in new }
                alert.annotations = old.annotations.merging(alert.annotations) { _, new in new }
                alert.values = old.values.merging(alert.values) { _, new in new }
                if alert.links.isEmpty { alert.links = old.links }
                if alert.startsAt == nil { alert.startsAt = old.startsAt }
                merged = alert
            }
            if let old = existing?.alert, merged.map({ old.sameContent(as: $0) }) ?? old.sameContent(as: alerts[i]) { continue }
            changed = true
            // Severity follows the alerts that fire, as when the incident opened: an alert that
            // arrives resolved does not raise it (and page again) after the fact.
            if status == .firing { highest = max(highest, severity) }
            if let merged {
                try tx.save(merged, incident: incident.number, severity: severity, receivedAt: now, alertObject: nil)
            } else {
                try tx.save(alerts[i], incident: incident.number, severity: severity, receivedAt: now, alertObject: contents.prepared[i].object)
            }
            try tx.appendAlertEntry(incident: incident.number, at: now, actor: integration, status: status, summary: alerts[i].summary,
                                    wasFiring: existing?.alert.status == .firing, acknowledged: incident.status == .acknowledged)
        }
        // Only a resolved alert can leave nothing firing, and not while the source says the
        // group still fires (its list may be truncated).
        let mayResolve = !contents.batch.groupFiring && contents.batch.alerts.contains(where: { $0.status == .resolved })
        guard changed else {
            // Nothing new about the alerts, but the group may have stopped firing since a
            // truncated notification kept the incident open.
            if mayResolve, try tx.firingAlertCount(of: incident.number) == 0 {
                try resolveIfDone(&incident, tx: tx, writer: writer, actor: integration, now: now, leftOut: contents.batch.truncatedAlerts)
                return ([incident.id], nil, true)
            }
            return ([incident.id], nil, false)
        }
        // Timers and messages come only from a severity change or a resolution.
        var wake = false
        if incident.severitySetBy == nil, highest > incident.severity {
            let old = incident.severity
            incident.severity = highest
            try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "incident.severity_changed", actor: integration,
                                        message: "Severity raised from \(old) to \(highest) by a new alert"))
            if var esc = incident.escalation, let policy = writer.policy(for: incident) {
                let effects = esc.severityChanged(to: snapshot.config.settings.urgency.urgency(for: highest), policy: policy, at: now,
                                                  pageableFrom: writer.pageableFrom(for: incident))
                incident.escalation = esc
                try writer.apply(effects, incident: incident)
            }
            try tx.save(incident)
            try writer.stakeholders(.severityChanged, incident: incident)
            wake = true
        }
        if mayResolve {
            try resolveIfDone(&incident, tx: tx, writer: writer, actor: integration, now: now, leftOut: contents.batch.truncatedAlerts)
            wake = true
        }
        return ([incident.id], nil, wake)
    }

    /// The timeline entry for an alert that came in: `alert.firing` ("Firing: ", or "Updated: " when
    /// it was firing already; an acknowledged incident pages nobody, which it says) or
    /// `alert.resolved` ("Resolved: "), followed by the alert's summary.
    public static func alertEntry(incident: Int, at now: Date, actor: String, status: AlertStatus, summary: String,
                                  wasFiring: Bool = false, acknowledged: Bool = false) -> TimelineEntry {
        let parts = alertEntryParts(status: status, wasFiring: wasFiring, acknowledged: acknowledged)
        // Appended into one string of the right size (`+` made one string and then grew it).
        var message = ""
        message.reserveCapacity(parts.prefix.utf8CodeUnitCount + summary.utf8.count + parts.suffix.utf8CodeUnitCount)
        message += parts.prefix.description
        message += summary
        message += parts.suffix.description
        return TimelineEntry(incident: incident, at: now, kind: parts.kind.description, actor: actor, message: message)
    }

    /// The parts of that entry other than the alert's summary: its kind, and the words before
    /// and after the summary in its message.
    public static func alertEntryParts(status: AlertStatus, wasFiring: Bool, acknowledged: Bool)
        -> (kind: StaticString, prefix: StaticString, suffix: StaticString) {
        switch status {
        case .firing:
            return ("alert.firing", wasFiring ? "Updated: " : "Firing: ", acknowledged ? " (incident acknowledged: nobody paged)" : "")
        case .resolved:
            return ("alert.resolved", "Resolved: ", "")
        }
    }

    /// Resolves the incident when every one of its alerts is resolved.
    /// `leftOut`: alerts the source's notification did not list (Alertmanager's `truncatedAlerts`);
    /// their state is not known, so the timeline says so.
    private static func resolveIfDone(_ incident: inout IncidentRecord, tx: any StoreTransaction, writer: EffectWriter, actor: String, now: Date,
                                      leftOut: Int = 0) throws {
        guard incident.status != .resolved, try tx.firingAlertCount(of: incident.number) == 0 else { return }
        let note = leftOut > 0
            ? "every alert it knows resolved (the last notification left out \(leftOut) alert\(leftOut == 1 ? "" : "s") of the group: max_alerts)"
            : "every alert resolved"
        try resolve(&incident, tx: tx, writer: writer, by: actor, note: note, now: now)
    }

    private static func resolve(_ incident: inout IncidentRecord, tx: any StoreTransaction, writer: EffectWriter, by: String, note: String?, now: Date) throws {
        incident.status = .resolved
        incident.resolvedAt = now
        incident.resolvedBy = by
        if var esc = incident.escalation {
            let effects = esc.resolved(at: now)
            incident.escalation = esc
            try writer.apply(effects, incident: incident)
        }
        try tx.cancelTimers(incident: incident.number, kind: nil)
        try tx.save(incident)
        try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "incident.resolved", actor: by,
                                    message: "Resolved by \(by)" + (note.map { ": \($0)" } ?? "")))
        try writer.refreshPages(of: incident)
        try writer.stakeholders(.resolved, incident: incident, text: note)
        // The playbook's review duty.
        if let review = incident.playbook.flatMap({ writer.config.playbook($0)?.review }), review.requiredFor.contains(incident.severity) {
            let due = review.dueWithin.map { " by \(ISOTime.utc(now.addingTimeInterval($0)))" } ?? ""
            try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "review.required",
                                        message: "A post-incident review is required for \(incident.severity)\(due) (playbook \(incident.playbook!))"))
        }
    }

    /// An acknowledgement or resolution sent by an alert source (PagerDuty's `acknowledge` and
    /// `resolve` events) for the open incident with this key. Returns the incident touched, if any.
    public func sourceAction(integration: Integration, groupKey: String, fingerprint: String, resolve: Bool) async throws -> String? {
        let snapshot = runtime.snapshot
        let now = clock.now
        let logger = self.logger
        let key = IncidentRecord.key(integration: integration.name, groupKey: groupKey)
        let id: String? = try await store.write { tx in
            guard var incident = try tx.openIncident(key: key) else { return nil }
            let writer = EffectWriter(snapshot: snapshot, tx: tx, now: now, logger: logger)
            if resolve {
                for var stored in try tx.alerts(of: incident.number) where stored.alert.fingerprint == fingerprint && stored.alert.status == .firing {
                    stored.alert.status = .resolved
                    stored.alert.endsAt = now
                    stored.receivedAt = now
                    try tx.save(stored)
                    try tx.append(Self.alertEntry(incident: incident.number, at: now, actor: integration.name, status: .resolved, summary: stored.alert.summary))
                }
                try Self.resolveIfDone(&incident, tx: tx, writer: writer, actor: integration.name, now: now)
            } else if incident.status == .triggered {
                try Self.acknowledge(&incident, tx: tx, writer: writer, by: integration.name, note: "from the alert source", now: now)
            }
            return incident.id
        }
        wakeServices()
        return id
    }

    // MARK: - People's actions

    /// Acknowledge: stops every pending step (direct pages too). Acknowledging an acknowledged
    /// incident changes nothing; a resolved one is a conflict.
    public func acknowledge(_ number: Int, by person: String, note: String? = nil) async throws -> IncidentRecord {
        try await act(number) { incident, tx, writer, now in
            switch incident.status {
            case .resolved: throw EngineError(.conflict, "\(incident.id) is already resolved.")
            case .acknowledged: return false
            case .triggered: break
            }
            try Self.acknowledge(&incident, tx: tx, writer: writer, by: person, note: note, now: now)
            return true
        }
    }

    /// Acknowledge stops every pending step (direct pages too), refreshes sent pages and tells
    /// the audiences that listen for it; the one path for people and alert sources alike.
    private static func acknowledge(_ incident: inout IncidentRecord, tx: any StoreTransaction, writer: EffectWriter, by: String, note: String?, now: Date) throws {
        incident.status = .acknowledged
        incident.acknowledgedAt = now
        incident.acknowledgedBy = by
        if var esc = incident.escalation {
            let effects = esc.acknowledged(at: now)
            incident.escalation = esc
            try writer.apply(effects, incident: incident)
        }
        try tx.cancelTimers(incident: incident.number, kind: .escalation)
        try tx.save(incident)
        try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "incident.acknowledged", actor: by,
                                    message: "Acknowledged by \(by)" + (note.map { ": \($0)" } ?? "")))
        try writer.refreshPages(of: incident)
        try writer.stakeholders(.acknowledged, incident: incident, text: note)
    }

    /// Resolve: stops everything.
    public func resolve(_ number: Int, by person: String, note: String? = nil) async throws -> IncidentRecord {
        try await act(number) { incident, tx, writer, now in
            guard incident.status != .resolved else { return false }
            try Self.resolve(&incident, tx: tx, writer: writer, by: person, note: note, now: now)
            return true
        }
    }

    /// Escalate: the next step fires now, and its delay counts from now.
    public func escalate(_ number: Int, by person: String, note: String? = nil) async throws -> IncidentRecord {
        try await act(number) { incident, tx, writer, now in
            guard incident.status != .resolved else { throw EngineError(.conflict, "\(incident.id) is resolved; nothing to escalate.") }
            guard var esc = incident.escalation, let policy = writer.policy(for: incident) else {
                throw EngineError(.conflict, "\(incident.id) has no escalation policy to escalate through.")
            }
            try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "incident.escalated", actor: person,
                                        message: "Escalated by \(person)" + (note.map { ": \($0)" } ?? "")))
            let effects = esc.escalated(policy: policy, at: now)
            incident.escalation = esc
            if incident.status == .acknowledged { incident.status = .triggered }
            try writer.apply(effects, incident: incident)
            try tx.save(incident)
            try writer.stakeholders(.escalated, incident: incident, text: note)
            return true
        }
    }

    /// A person's status update: recorded, and sent to every audience that hears about this incident.
    public func postUpdate(_ number: Int, by person: String, text: String) async throws -> IncidentRecord {
        try await act(number) { incident, tx, writer, now in
            guard incident.status != .resolved else { throw EngineError(.conflict, "\(incident.id) is resolved; updates go in the review.") }
            try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "incident.updated", actor: person, message: text))
            try writer.stakeholders(.updated, incident: incident, text: text)
            return true
        }
    }

    /// Makes `assignee` the owner of the response.
    public func assign(_ number: Int, to assignee: String, by person: String) async throws -> IncidentRecord {
        try await act(number) { incident, tx, _, now in
            guard incident.status != .resolved else { throw EngineError(.conflict, "\(incident.id) is resolved.") }
            guard incident.assignee != assignee else { return false }
            incident.assignee = assignee
            try tx.save(incident)
            try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "incident.assigned", actor: person,
                                        message: "Assigned to \(assignee) by \(person)"))
            return true
        }
    }

    /// A person sets the severity: alerts no longer change it, and urgency and stakeholder
    /// cadence are re-decided from this moment.
    public func setSeverity(_ number: Int, to severity: Severity, by person: String) async throws -> IncidentRecord {
        try await act(number) { incident, tx, writer, now in
            guard incident.status != .resolved else { throw EngineError(.conflict, "\(incident.id) is resolved.") }
            let old = incident.severity
            incident.severitySetBy = person
            guard old != severity else { try tx.save(incident); return false }
            incident.severity = severity
            try tx.append(TimelineEntry(incident: incident.number, at: now, kind: "incident.severity_changed", actor: person,
                                        message: "Severity changed from \(old) to \(severity) by \(person)"))
            if var esc = incident.escalation, let policy = writer.policy(for: incident), incident.status == .triggered {
                let effects = esc.severityChanged(to: writer.config.settings.urgency.urgency(for: severity), policy: policy, at: now,
                                                  pageableFrom: writer.pageableFrom(for: incident))
                incident.escalation = esc
                try writer.apply(effects, incident: incident)
            }
            try tx.save(incident)
            try writer.stakeholders(.severityChanged, incident: incident)
            return true
        }
    }

    private func act(_ number: Int, _ body: @escaping @Sendable (inout IncidentRecord, any StoreTransaction, EffectWriter, Date) throws -> Bool) async throws -> IncidentRecord {
        let snapshot = runtime.snapshot
        let now = clock.now
        let logger = self.logger
        let record: IncidentRecord = try await store.write { tx in
            guard var incident = try tx.incident(number) else { throw EngineError(.notFound, "INC-\(number) does not exist.") }
            let writer = EffectWriter(snapshot: snapshot, tx: tx, now: now, logger: logger)
            _ = try body(&incident, tx, writer, now)
            return incident
        }
        wakeServices()
        return record
    }

    // MARK: - Reads

    public func incidents(openOnly: Bool, limit: Int = 500) async throws -> [IncidentRecord] {
        try await store.read { tx in try tx.incidents(statuses: openOnly ? [.triggered, .acknowledged] : nil, limit: limit) }
    }

    public func detail(_ number: Int) async throws -> IncidentDetail {
        try await store.read { tx in
            guard let inc = try tx.incident(number) else { throw EngineError(.notFound, "INC-\(number) does not exist.") }
            return IncidentDetail(incident: inc, alerts: try tx.alerts(of: number), timeline: try tx.timeline(of: number))
        }
    }

    /// Triggered incidents that paged `person` (for `/incident ack` without an id).
    public func incidentsPaging(person: String) async throws -> [IncidentRecord] {
        try await store.read { tx in
            try tx.incidents(statuses: [.triggered], limit: 500).filter { inc in
                try tx.outbox(of: inc.number).contains { m in
                    if m.kind == .page, case .person(let id, _) = m.recipient, id == person { return true }
                    return false
                }
            }
        }
    }
}

/// Hears how an ingest ended (see `IncidentService.ingest(integration:batch:counters:listener:)`).
public protocol IngestListener: AnyObject, Sendable {
    /// Runs once, after the commit reached the disk (with the incidents' ids) or failed, on the
    /// group committer's writer thread: hop to your own thread, keep it short, and `drop()` the
    /// request there.
    func ingestFinished(_ result: Result<[String], any Error>, request: IngestRequest)
}

/// A closure as a listener.
private final class ClosureListener: IngestListener {
    let completion: @Sendable (Result<[String], any Error>, IngestRequest) -> Void
    init(_ completion: @escaping @Sendable (Result<[String], any Error>, IngestRequest) -> Void) { self.completion = completion }
    func ingestFinished(_ result: Result<[String], any Error>, request: IngestRequest) { completion(result, request) }
}

/// An alert as its caller's thread prepared it for the writer: its classification and its stored
/// JSON (`StoredAlertJSON.alertObject`), in one array per request (two arrays were one more
/// allocation per request on the event loops).
struct PreparedAlert {
    var classification: Classification
    var object: [UInt8]
}

/// One ingest on its way through the group committer (`IncidentService.ingest(integration:batch:listener:)`):
/// what the call allocated on its caller's thread, kept for the writer until the commit is done,
/// and the result. `drop()` it back on that thread.
public final class IngestRequest: CommitWork, @unchecked Sendable {
    /// A class, so the writer reads it in place: as a struct, taking it out of the optional
    /// copied the batch, the classifications and the JSON (a retain and a release of each piece,
    /// 4% of the writer's time under `make bench`).
    final class Contents {
        let batch: AlertBatch
        let prepared: [PreparedAlert]
        init(batch: AlertBatch, prepared: [PreparedAlert]) {
            self.batch = batch; self.prepared = prepared
        }
    }
    struct Dropped: Error {}
    // The writer runs it (perhaps twice, see `CommitWork`), then finishes it, then the
    // caller drops it: never two at once.
    private let service: IncidentService
    private let snapshot: Runtime.Snapshot
    /// The integration's name (all the writer needs of it: a copy of the integration was four
    /// retains and four releases per request).
    private let integration: String
    private let counters: IngestCounters
    private let now: Date
    private let firing: Int
    private let total: Int
    private let listener: any IngestListener
    private(set) var contents: Contents?
    private var result: (ids: [String], opened: IncidentRecord?, wake: Bool)?

    init(service: IncidentService, snapshot: Runtime.Snapshot, integration: Integration, counters: IngestCounters, now: Date, contents: Contents, firing: Int,
         listener: any IngestListener) {
        self.service = service; self.snapshot = snapshot; self.integration = integration.name; self.now = now
        self.counters = counters; self.contents = contents; self.firing = firing; self.total = contents.batch.alerts.count; self.listener = listener
    }

    func run(_ tx: any StoreTransaction) throws {
        guard let c = contents else { throw Dropped() }
        result = try IncidentService.ingest(tx: tx, snapshot: snapshot, integration: integration, contents: c,
                                            now: now, logger: service.logger)
    }

    func finish(_ error: (any Error)?) {
        guard error == nil, let result else {
            listener.ingestFinished(.failure(error ?? GroupCommitter.CommitterError.notRun), request: self)
            return
        }
        service.ingested(firing: firing, total: total, counters: counters, opened: result.opened, wake: result.wake)
        listener.ingestFinished(.success(result.ids), request: self)
    }

    /// Frees what it holds, on the calling thread.
    public func drop() {
        contents = nil
        result = nil
    }
}
