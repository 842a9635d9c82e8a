// Engine-only ingest benchmark (no HTTP): the `make bench` load (one new alert per call, 200
// open incidents) straight into IncidentService on a real SQLite file, CALLERS at a time.
// Prints alerts/s and CPU per alert, to tell the engine's share of an HTTP request's cost.
//
//   swift run -c release klaxon-bench-ingest [alerts] [callers]
//
// KLAXON_INBOX and KLAXON_CHUNK set the store's inbox limit and move size (4096 and 512).
import Foundation
import KlaxonCore
import KlaxonEngine
import KlaxonStore
import Logging

#if canImport(Glibc)
import Glibc
#endif

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

limitMallocArenas() // as `klaxon` does
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
