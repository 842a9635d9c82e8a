import Foundation
import KlaxonCore
import Logging

/// `klaxon simulate`: the whole engine on a virtual clock and a throw-away store. Events go in
/// (alerts, acknowledgements, resolutions); what Klaxon would do comes out as lines, in time
/// order. Nothing is sent: a message counts as sent when the engine queues it.
public final class Simulator {
    public enum Event: Sendable {
        case alert(Integration, AlertBatch)
        case acknowledge(incident: Int, by: String)
        case resolve(incident: Int, by: String, note: String?)
        case escalate(incident: Int, by: String)
    }

    /// One output line.
    public struct Line: Sendable, Equatable, Encodable {
        public var at: String
        public var event: String
        public var incident: String
        public var severity: String
        public var step: Int?
        public var to: String?
        public var channel: String?

        /// The line as SPEC 6 orders its keys: at, event, incident, severity, step, to, channel.
        public var json: String {
            func q(_ s: String) -> String {
                let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
                return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
            }
            var parts = ["\"at\":\(q(at))", "\"event\":\(q(event))", "\"incident\":\(q(incident))", "\"severity\":\(q(severity))"]
            if let step { parts.append("\"step\":\(step)") }
            if let to { parts.append("\"to\":\(q(to))") }
            if let channel { parts.append("\"channel\":\(q(channel))") }
            return "{" + parts.joined(separator: ",") + "}"
        }
    }

    /// Events that could not be applied (an ack for an incident that does not exist…), for stderr.
    public private(set) var problems: [String] = []

    public let clock: ManualClock
    let engine: IncidentService
    let timers: TimerService
    private let directory: String
    private var seenTimeline: [Int: Int] = [:]
    private var seenOutbox: Set<Int64> = []
    private var escalatedSteps: Set<String> = []

    /// `makeStore` opens the throw-away store in the folder it is given.
    static let printed: Set<String> = ["incident.opened", "page", "escalated", "stakeholder.update", "incident.acknowledged", "incident.resolved"]

    public init(config: Configuration, start: Date, makeStore: (String) throws -> any IncidentStore) throws {
        directory = NSTemporaryDirectory() + "klaxon-simulate-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        clock = ManualClock(now: start)
        var quiet = Logger(label: "klaxon.simulate")
        quiet.logLevel = .critical
        engine = IncidentService(store: try makeStore(directory), clock: clock, runtime: Runtime(config: config, enableAllChannels: true), logger: quiet)
        timers = TimerService(engine: engine, logger: quiet)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Runs the events (sorted by time) and then the timers up to `until` (default: a week after
    /// the last event, or when nothing is pending).
    public func run(_ events: [(at: Date, event: Event)], until: Date? = nil) async throws -> [Line] {
        var out: [Line] = []
        let sorted = events.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        for (at, event) in sorted {
            out += try await advance(to: at)
            do {
                switch event {
                case .alert(let integration, let batch): _ = try await engine.ingest(integration: integration, batch: batch)
                case .acknowledge(let n, let by): _ = try await engine.acknowledge(n, by: by)
                case .resolve(let n, let by, let note): _ = try await engine.resolve(n, by: by, note: note)
                case .escalate(let n, let by): _ = try await engine.escalate(n, by: by)
                }
            } catch let e as EngineError {
                problems.append("\(ISOTime.utc(at)): \(e.message)")
            }
            out += try await collect()
        }
        let end = until ?? (sorted.last?.at ?? clock.now).addingTimeInterval(7 * 86_400)
        out += try await advance(to: end)
        return out
    }

    /// Fires every timer due up to `t`, in time order.
    private func advance(to t: Date) async throws -> [Line] {
        var out: [Line] = []
        while let next = try await engine.store.nextTimerDue(), next <= t {
            clock.advance(to: max(next, clock.now))
            try await timers.fireDue()
            out += try await collect()
        }
        clock.advance(to: t)
        return out
    }

    /// The lines for whatever the engine recorded since the last call.
    private func collect() async throws -> [Line] {
        let seenTimeline = self.seenTimeline
        let seenOutbox = self.seenOutbox
        let (lines, timelineCounts, outboxIds): ([(Date, Int, Line)], [Int: Int], [Int64]) = try await engine.store.read { tx in
            var lines: [(Date, Int, Line)] = []
            var counts: [Int: Int] = [:]
            var ids: [Int64] = []
            var order = 0
            for inc in try tx.incidents(statuses: nil, limit: 1_000_000).reversed() {
                let timeline = try tx.timeline(of: inc.number)
                counts[inc.number] = timeline.count
                for entry in timeline.dropFirst(seenTimeline[inc.number] ?? 0) {
                    let event: String
                    switch entry.kind {
                    case "incident.opened": event = "incident.opened"
                    case "incident.acknowledged": event = "incident.acknowledged"
                    case "incident.resolved": event = "incident.resolved"
                    default: continue
                    }
                    order += 1
                    lines.append((entry.at, order, Line(at: ISOTime.utc(entry.at), event: event, incident: inc.id, severity: inc.severity.rawValue)))
                }
                for m in try tx.outbox(of: inc.number) where !seenOutbox.contains(m.id ?? -1) {
                    ids.append(m.id ?? -1)
                    order += 1
                    switch (m.kind, m.recipient) {
                    case (.page, .person(let id, let method)):
                        lines.append((m.createdAt, order, Line(at: ISOTime.utc(m.createdAt), event: "page", incident: inc.id, severity: inc.severity.rawValue,
                                                               step: (m.step ?? 0) + 1, to: id, channel: method.rawValue)))
                    case (.post, _):
                        lines.append((m.createdAt, order, Line(at: ISOTime.utc(m.createdAt), event: "post", incident: inc.id, severity: inc.severity.rawValue,
                                                               step: (m.step ?? 0) + 1, to: m.recipient.description, channel: m.channel)))
                    case (.stakeholder, _):
                        let audience = StakeholderDetail.decode(m.detail)?.audience.rawValue ?? "technical"
                        lines.append((m.createdAt, order, Line(at: ISOTime.utc(m.createdAt), event: "stakeholder.update", incident: inc.id,
                                                               severity: inc.severity.rawValue, to: audience, channel: m.recipient.description)))
                    default: break
                    }
                }
            }
            return (lines, counts, ids)
        }
        for (k, v) in timelineCounts { self.seenTimeline[k] = v }
        self.seenOutbox.formUnion(outboxIds)
        var out: [Line] = []
        for (_, _, line) in lines.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            // A step after the first fired (its channel posts count): one `escalated` line.
            if line.event == "page" || line.event == "post", let step = line.step, step > 1 {
                let key = "\(line.incident)/\(line.at)/\(step)"
                if escalatedSteps.insert(key).inserted {
                    out.append(Line(at: line.at, event: "escalated", incident: line.incident, severity: line.severity, step: step))
                }
            }
            // Only the events SPEC 6 names are printed.
            if Self.printed.contains(line.event) { out.append(line) }
        }
        return out
    }
}
