import Foundation
import KlaxonCore

/// The operations one store transaction offers. Everything the engine decides for one event
/// (state, timeline, timers, outbox) is written through one of these, atomically.
public protocol StoreTransaction {
    func nextIncidentNumber() throws -> Int
    func openIncident(key: String) throws -> IncidentRecord?
    func incident(_ number: Int) throws -> IncidentRecord?
    /// Inserts or updates by number.
    func save(_ incident: IncidentRecord) throws
    func incidents(statuses: [IncidentStatus]?, limit: Int) throws -> [IncidentRecord]
    func alerts(of incident: Int) throws -> [StoredAlert]
    func alert(of incident: Int, fingerprint: String) throws -> StoredAlert?
    /// How many of the incident's alerts are still firing.
    func firingAlertCount(of incident: Int) throws -> Int
    /// Runs `body` in a savepoint: if it throws, only its own writes are undone.
    func savepoint<T>(_ body: () throws -> T) throws -> T
    /// Inserts or updates by (incident, fingerprint). `alertObject`, when given, is
    /// `StoredAlertJSON.alertObject(alert.alert)` written beforehand (off the writer thread): a
    /// store that keeps the JSON uses it instead of writing it again.
    func save(_ alert: StoredAlert, alertObject: [UInt8]?) throws
    /// The same for `StoredAlert(incident:alert:severity:receivedAt:)`, without making one (the
    /// ingest path saves every alert it gets: a copy of an alert retains each of its strings
    /// and tables, and releases them after).
    func save(_ alert: Alert, incident: Int, severity: Severity, receivedAt: Date, alertObject: [UInt8]?) throws
    func append(_ entry: TimelineEntry) throws
    /// Appends the timeline entry of an alert that came in, the one `IncidentService.alertEntry`
    /// makes (a store may write it from its parts, without making the entry and its message).
    func appendAlertEntry(incident: Int, at: Date, actor: String, status: AlertStatus, summary: String,
                          wasFiring: Bool, acknowledged: Bool) throws
    func timeline(of incident: Int) throws -> [TimelineEntry]
    @discardableResult func schedule(_ timer: TimerRecord) throws -> Int64
    func cancelTimers(incident: Int, kind: TimerKind?) throws
    func timers(of incident: Int) throws -> [TimerRecord]
    func dueTimers(at: Date, limit: Int) throws -> [TimerRecord]
    func timer(_ id: Int64) throws -> TimerRecord?
    /// Marks a timer fired or cancelled, recording when (for lateness reports).
    func markTimer(_ id: Int64, state: TimerState, at: Date?) throws
    @discardableResult func enqueue(_ message: OutboxMessage) throws -> Int64
    func outbox(of incident: Int) throws -> [OutboxMessage]
    func outboxMessage(_ id: Int64) throws -> OutboxMessage?
    func save(_ message: OutboxMessage) throws
}

extension StoreTransaction {
    /// Inserts or updates by (incident, fingerprint), its JSON written here.
    public func save(_ alert: StoredAlert) throws { try save(alert, alertObject: nil) }

    public func appendAlertEntry(incident: Int, at: Date, actor: String, status: AlertStatus, summary: String,
                                 wasFiring: Bool, acknowledged: Bool) throws {
        try append(IncidentService.alertEntry(incident: incident, at: at, actor: actor, status: status, summary: summary,
                                              wasFiring: wasFiring, acknowledged: acknowledged))
    }
}

/// The store can no longer make writes durable (a sync of its log failed), so it takes no more
/// writes until Klaxon restarts. After a failed `fdatasync`, Linux may have dropped the pages it
/// could not write and report the next sync clean: going on would answer 202 for alerts that are
/// not on disk. A restart recovers from what is on disk; senders retry what got this error.
public struct StoreUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { "the store takes no more writes: \(reason)" }
}

/// The durable store behind the engine (SQLite by default).
public protocol IncidentStore: Sendable {
    /// Runs `body` in one write transaction; nothing of it is kept if it throws.
    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T
    /// `write`, blocking the calling thread (the group committer's writer thread; never call it
    /// from an event loop or the Swift concurrency pool). The transaction is committed when it
    /// returns but need not be on disk yet: call `makeDurable` before telling anyone.
    func writeBlocking<T>(_ body: (any StoreTransaction) throws -> T) throws -> T
    /// Blocks until every transaction `writeBlocking` committed before the call is on disk.
    func makeDurable() throws
    /// The earliest pending timer's due time.
    func nextTimerDue() async throws -> Date?
    /// Moves up to `limit` due pending messages (and `sending` ones whose lease ran out) to
    /// `sending` with a lease, and returns them.
    func claimOutbox(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxMessage]
    /// The earliest time a pending message is due.
    func nextOutboxDue() async throws -> Date?
    /// Whether the store answers (readiness).
    func ping() async throws
}

/// A message ready to be sent: the queued message plus everything a template needs.
public struct OutboundMessage: Sendable {
    public var message: OutboxMessage
    public var channel: Channel
    public var incident: IncidentRecord
    public var alerts: [Alert]
    public var timeline: [TimelineEntry]
    public var playbook: Playbook?
    /// The person paged, for `page`.
    public var person: Person?
    /// Everyone paged by this step (for "who else is being paged").
    public var paged: [String]
    /// The earlier message being updated in place, for `page.update`.
    public var previous: ExternalRef?
    public var publicURL: String
    public var now: Date
    /// The zone the reader sees times in.
    public var readerZone: TimeZone
    /// The resolution goal for the incident's severity (`targets.mttr`), if one is set.
    public var targetMTTR: TimeInterval?

    public init(message: OutboxMessage, channel: Channel, incident: IncidentRecord, alerts: [Alert], timeline: [TimelineEntry],
                playbook: Playbook?, person: Person?, paged: [String], previous: ExternalRef?, publicURL: String, now: Date, readerZone: TimeZone) {
        self.message = message; self.channel = channel; self.incident = incident; self.alerts = alerts
        self.timeline = timeline; self.playbook = playbook; self.person = person; self.paged = paged
        self.previous = previous; self.publicURL = publicURL; self.now = now; self.readerZone = readerZone
    }
}

/// What became of one delivery attempt.
public enum DeliveryOutcome: Sendable, Hashable {
    case sent(ExternalRef?)
    /// A passing failure (network, 5xx, 429): try again, after the given delay if the receiver named one.
    case retry(after: TimeInterval?, reason: String)
    /// A permanent failure (bad token, unknown channel): do not try again.
    case failed(reason: String)
}

/// Sends messages through one configured channel.
public protocol Notifier: Sendable {
    func deliver(_ message: OutboundMessage) async -> DeliveryOutcome
}
