// Engine-only ingest benchmark (no HTTP): the `make bench` load (one new alert per call, 200
// open incidents) straight into IncidentService on a real SQLite file, CALLERS at a time.
// Prints alerts/s and CPU per alert, to tell the engine's share of an HTTP request's cost, and
// the writer thread's time per alert (the group committer's `klaxon_store_commit_seconds` over
// the alerts it committed) with the sizes of commits and syncs: the writer runs one commit at a
// time, so its time per alert bounds the rate whatever the CPU count.
//
//   swift run -c release klaxon-bench-ingest [alerts] [callers]
//
// KLAXON_INBOX and KLAXON_CHUNK set how many records wait in the ingest log before they are filed
// by incident, and how many one transaction files (4096 and 512).
import CJemalloc
import Foundation
import KlaxonCore
import KlaxonEngine
import KlaxonStore
import Logging
import Metrics

#if canImport(Glibc)
import Glibc
#endif

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Sums of the group committer's timers and recorders, by label (nothing else is kept).
final class Sums: MetricsFactory, @unchecked Sendable {
    final class Sum: TimerHandler, RecorderHandler, CounterHandler, @unchecked Sendable {
        let lock = NSLock()
        var total = 0.0, count = 0
        func add(_ v: Double) { lock.lock(); total += v; count += 1; lock.unlock() }
        func recordNanoseconds(_ duration: Int64) { add(Double(duration)) }
        func record(_ value: Int64) { add(Double(value)) }
        func record(_ value: Double) { add(value) }
        func increment(by: Int64) {}
        func reset() {}
    }
    let lock = NSLock()
    var all: [String: Sum] = [:]
    func sum(_ label: String) -> Sum { lock.lock(); defer { lock.unlock() }; if let s = all[label] { return s }; let s = Sum(); all[label] = s; return s }
    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler { Sum() }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler { sum(label) }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { sum(label) }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}
}
let sums = Sums()
MetricsSystem.bootstrap(sums)

print("allocator: jemalloc \(String(cString: klaxon_jemalloc_version()))") // linked in, as in `klaxon`
let total = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 100_000 : 100_000
let callers = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 64 : 64
let dir = NSTemporaryDirectory() + "klaxon-bench-ingest-" + UUID().uuidString
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }

let utc = TimeZone(identifier: "UTC")!
let person = Person(id: "p", name: "P", timeZone: utc, workingHours: .always, slack: nil, notify: [])
let layer = Layer(name: "weekly", timeZone: utc, rotation: Rotation(every: .weeks(1), handoff: WallTime(hour: 9, minute: 0), handoffWeekday: .monday,
                                                                    start: LocalDate(year: 2026, month: 1, day: 5)), members: ["p"], restrictions: [])
let team = Team(id: "bench", timeZone: utc, schedules: [Schedule(id: "primary", timeZone: utc, layers: [layer])],
                policies: [EscalationPolicy(id: "default", steps: [EscalationStep(targets: [.schedule("primary")], escalateAfter: 900)])])
let integration = Integration(name: "am", kind: .alertmanager, token: .literal("t"), team: "bench", ratePerSecond: 1e9, burst: 1e9)
let settings = Settings(timeZone: utc, integrations: [integration], channels: [], urgency: UrgencyPolicy(high: [.p0, .p1, .p2, .p3, .p4], low: [], none: []))
let config = Configuration(settings: settings, people: [person], teams: [team], playbooks: [], directory: dir)
let store = try SQLiteStore(path: dir + "/bench.db", inboxLimit: Int(ProcessInfo.processInfo.environment["KLAXON_INBOX"] ?? "4096")!, mergeChunk: Int(ProcessInfo.processInfo.environment["KLAXON_CHUNK"] ?? "512")!)
var quiet = Logger(label: "bench")
quiet.logLevel = .critical
let engine = IncidentService(store: store, clock: SystemClock(), runtime: Runtime(config: config), logger: quiet)

func alert(_ n: Int) -> AlertBatch {
    let group = "g\(n % 200)"
    let labels = ["alertname": "BenchAlert", "group": group, "instance": "i\(n)"]
    return AlertBatch(groupKey: "{}:{alertname=\"BenchAlert\", group=\"\(group)\"}", alerts: [
        Alert(fingerprint: String(n, radix: 16), status: .firing, labels: labels, annotations: ["summary": "bench alert i\(n)"], summary: "bench alert i\(n)",
              startsAt: Date(), links: [AlertLink(href: "http://127.0.0.1/bench", text: "Source")]),
    ])
}

let cpu0 = cpuSeconds()
let start = Date()
try await withThrowingTaskGroup(of: Void.self) { group in
    for c in 0..<callers {
        group.addTask {
            var n = c
            while n < total {
                _ = try await engine.ingest(integration: integration, batch: alert(n))
                n += callers
            }
        }
    }
    try await group.waitForAll()
}
let wall = Date().timeIntervalSince(start)
let cpu = cpuSeconds() - cpu0
print(String(format: "%d alerts, %d callers: %.0f alerts/s, %.1f µs CPU per alert, %.2f cores", total, callers, Double(total) / wall, cpu / Double(total) * 1e6, cpu / wall))
let commits = sums.sum(GroupCommitter.commitMetric), batches = sums.sum(GroupCommitter.batchMetric)
let syncs = sums.sum(GroupCommitter.syncMetric), synced = sums.sum(GroupCommitter.syncBatchMetric)
if commits.count > 0, syncs.count > 0, batches.total > 0 {
    print(String(format: "writer: %.1f µs per alert, %.0f%% of the time busy; commits of %.1f alerts in %.2f ms; syncs of %.1f alerts in %.2f ms",
                 commits.total / 1e3 / batches.total, commits.total / 1e9 / wall * 100, batches.total / Double(batches.count),
                 commits.total / 1e6 / Double(commits.count), synced.total / Double(synced.count), syncs.total / 1e6 / Double(syncs.count)))
}
