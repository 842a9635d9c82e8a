// Release benchmark for issue 5: 10,000 concurrent escalations with timers spread over a few
// minutes, on the real clock and a real SQLite file. Prints timer lateness (p50/p99/max), CPU
// used while nothing is due, and peak memory.
//
//   swift run -c release klaxon-bench-escalation [incidents]
import CJemalloc
import Foundation
import KlaxonCore
import KlaxonEngine
import KlaxonStore
import Logging

#if canImport(Glibc)
import Glibc
#endif

struct NoopNotifier: Notifier {
    let sent = Locked(0)
    func deliver(_ message: OutboundMessage) async -> DeliveryOutcome {
        sent.withLock { $0 += 1 }
        return .sent(nil)
    }
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
    return kb / 1024
}

print("allocator: jemalloc \(String(cString: klaxon_jemalloc_version()))") // linked in, as in `klaxon`
let incidents = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 10_000 : 10_000
let teams = 60
let dir = NSTemporaryDirectory() + "klaxon-bench-escalation-" + UUID().uuidString
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: dir) }

let utc = TimeZone(identifier: "UTC")!
let person = Person(id: "p", name: "P", timeZone: utc, workingHours: .always, slack: "U0P", notify: [.slack])
var teamList: [Team] = []
var integrations: [Integration] = []
for i in 0..<teams {
    let layer = Layer(name: "l", timeZone: utc, rotation: Rotation(every: .weeks(1), handoff: WallTime(hour: 9, minute: 0), handoffWeekday: .monday,
                                                                   start: LocalDate(year: 2020, month: 1, day: 6)), members: ["p"], restrictions: [])
    let schedule = Schedule(id: "primary", timeZone: utc, layers: [layer])
    // Step 2 falls due 60 s … 178 s after the incident opens, depending on the team.
    let policy = EscalationPolicy(id: "default", steps: [EscalationStep(targets: [.schedule("primary")], escalateAfter: TimeInterval(60 + 2 * i)),
                                                         EscalationStep(targets: [.person("p")], escalateAfter: 900)])
    teamList.append(Team(id: "t\(i)", timeZone: utc, schedules: [schedule], policies: [policy]))
    integrations.append(Integration(name: "i\(i)", kind: .generic, token: .literal("x\(i)"), team: "t\(i)", ratePerSecond: 1e9, burst: 1e9))
}
let settings = Settings(timeZone: utc, integrations: integrations, channels: [Channel(name: "slack", kind: .slack, token: .literal("xoxb"))],
                        urgency: UrgencyPolicy(high: [.p0, .p1, .p2, .p3, .p4], low: [], none: []))
let config = Configuration(settings: settings, people: [person], teams: teamList, playbooks: [], directory: dir)
let store = try SQLiteStore(path: dir + "/bench.db")
var quiet = Logger(label: "bench")
quiet.logLevel = .critical
let engine = IncidentService(store: store, clock: SystemClock(), runtime: Runtime(config: config), logger: quiet)
let notifier = NoopNotifier()
let timers = TimerService(engine: engine, logger: quiet)
let delivery = DeliveryService(engine: engine, notifiers: ["slack": notifier], logger: quiet)

print("opening \(incidents) incidents across \(teams) teams…")
let openStart = Date()
let allIntegrations = integrations
try await withThrowingTaskGroup(of: Void.self) { group in
    for n in 0..<incidents {
        group.addTask {
            let integration = allIntegrations[n % teams]
            _ = try await engine.ingest(integration: integration, batch: AlertBatch(groupKey: "g\(n)", alerts: [
                Alert(fingerprint: "a\(n)", status: .firing, labels: ["alertname": "Bench", "severity": "critical"], summary: "bench \(n)"),
            ]))
        }
        if n % 256 == 255 { try await group.next() }
    }
    try await group.waitForAll()
}
print(String(format: "opened in %.2f s", Date().timeIntervalSince(openStart)))

let services = Task {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await timers.run() }
        group.addTask { try await delivery.run() }
        try await group.waitForAll()
    }
}

// Wait until every step-2 timer has fired (they fall due within ~3 minutes).
func firedStep2() async throws -> [TimeInterval] {
    try await store.read { tx in
        var lateness: [TimeInterval] = []
        for inc in try tx.incidents(statuses: nil, limit: 1_000_000) {
            for t in try tx.timers(of: inc.number) where t.kind == .escalation && t.state == .fired {
                if let f = t.firedAt { lateness.append(f.timeIntervalSince(t.dueAt)) }
            }
        }
        return lateness
    }
}
var lateness: [TimeInterval] = []
while true {
    try await Task.sleep(for: .seconds(5))
    lateness = try await firedStep2()
    print("  \(lateness.count)/\(incidents) step-2 timers fired")
    if lateness.count >= incidents { break }
}
// Now nothing is due for ~12 minutes: measure CPU while idle.
let cpu0 = cpuSeconds()
let idleStart = Date()
try await Task.sleep(for: .seconds(20))
let idleCPU = cpuSeconds() - cpu0
let idleWall = Date().timeIntervalSince(idleStart)
services.cancel()

let sorted = lateness.sorted()
func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
print("")
print("escalations:                 \(incidents)")
print("pages delivered:             \(notifier.sent.current)")
print(String(format: "timer lateness p50:          %.3f s", pct(0.50)))
print(String(format: "timer lateness p99:          %.3f s   (goal < 1 s)  %@", pct(0.99), pct(0.99) < 1 ? "PASS" : "FAIL"))
print(String(format: "timer lateness max:          %.3f s", sorted.last ?? 0))
print(String(format: "CPU while idle:              %.2f%% of one core over %.0f s  %@", idleCPU / idleWall * 100, idleWall, idleCPU / idleWall < 0.01 ? "PASS" : "FAIL"))
print(String(format: "peak memory (VmHWM):         %.0f MiB   (goal < 200 MiB)  %@", peakRSSMiB(), peakRSSMiB() < 200 ? "PASS" : "FAIL"))
