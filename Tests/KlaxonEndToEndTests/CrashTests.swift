import Foundation
import KlaxonCurl
import KlaxonTestSupport
import Testing

/// The binary is killed with SIGKILL twice, then stopped with SIGTERM, each time in the middle
/// of a concurrent Alertmanager load (new alerts, identical re-sends and resolves over a dozen
/// groups, with the inbox moving into chunks every few dozen rows and the writer's moved-alert
/// map cleared often). After each restart every alert that was answered 202 is there with its
/// latest state, each group still has its one incident, re-sending changes nothing, and every
/// incident's page went out.
@Suite(.serialized)
struct CrashTests {
    static let groups = 12
    static let senders = 12
    /// The kill comes right after this many 202s.
    static let killAfter = 500

    /// What the test knows of the alerts it sent, shared by the senders.
    struct Ledger {
        /// Fingerprint → group, for every alert whose firing version was answered 202.
        var fired: [String: Int] = [:]
        /// Group → the incident every 202 for it named.
        var incident: [Int: Set<String>] = [:]
        /// Per group: answered firing alerts that may still be re-sent identically or resolved.
        var pool: [Int: [String]] = [:]
        /// Resolves answered 202, and resolves whose answer never came (stored or not).
        var resolved: Set<String> = []
        var resolveUnknown: Set<String> = []
        /// The exact bytes of each firing alert's request, for identical re-sends.
        var bodies: [String: [UInt8]] = [:]
        /// Alerts with a re-send on the way: not resolved until it is answered, or the resolve
        /// could overtake it and the re-send fire the alert again.
        var busy: Set<String> = []
        var accepted = 0
        var next = 0
        var killed = false
    }

    static func fingerprint(_ n: Int) -> String { String(format: "%016llx", UInt64(0xc0ffee) << 24 | UInt64(n)) }
    static func summary(_ n: Int) -> String { "crash alert \(n)" }

    static func body(group: Int, n: Int, resolved: Bool) -> [UInt8] {
        let labels = #"{"alertname":"CrashLoad","group":"g\#(group)","instance":"i\#(n)"}"#
        let groupLabels = #"{"alertname":"CrashLoad","group":"g\#(group)"}"#
        let status = resolved ? "resolved" : "firing"
        let ends = resolved ? "2026-11-23T12:05:00Z" : "0001-01-01T00:00:00Z"
        return Array("""
        {"receiver":"klaxon","status":"\(status)","alerts":[{"status":"\(status)","labels":\(labels),\
        "annotations":{"summary":"\(summary(n))"},"startsAt":"2026-11-23T11:59:00Z","endsAt":"\(ends)",\
        "generatorURL":"http://prometheus.test/graph","fingerprint":"\(fingerprint(n))"}],\
        "groupLabels":\(groupLabels),"commonLabels":\(labels),"commonAnnotations":{},\
        "externalURL":"http://alertmanager.test","version":"4",\
        "groupKey":"{}:{alertname=\\"CrashLoad\\", group=\\"g\(group)\\"}","truncatedAlerts":0}
        """.utf8)
    }

    static func post(_ curl: CurlClient, port: Int, _ body: [UInt8]) async throws -> [String] {
        let r = try await curl.perform(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/v1/alerts/alertmanager",
            headers: [("Authorization", "Bearer am-test-token"), ("Content-Type", "application/json")], body: body))
        guard r.status == 202 else { throw Refused(status: r.status, body: String(decoding: r.body, as: UTF8.self)) }
        let o = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]
        return o?["incidents"] as? [String] ?? []
    }

    struct Refused: Error { var status: Int; var body: String }

    enum Step { case new(Int, Int), again(Int, String), resolve(Int, String) }

    /// One sender: new alerts mostly, every fifth request an identical re-send of an answered
    /// alert, every seventh a resolve of one (a group always keeps an answered alert firing, so
    /// its incident stays open). Ends at the first request that fails (the kill).
    static func sender(_ id: Int, curl: CurlClient, port: Int, ledger: Box<Ledger>, onKill: @escaping @Sendable () -> Void) async {
        for i in 0..<400 {
            let step: Step = ledger.with { l in
                let group = (id + i) % groups
                let free = (l.pool[group] ?? []).filter { !l.busy.contains($0) }
                if i % 7 == 6, free.count >= 2, let fp = free.dropFirst((i * 31) % free.count).first {
                    l.pool[group]!.removeAll { $0 == fp }
                    return .resolve(group, fp)
                }
                if i % 5 == 4, !free.isEmpty {
                    let fp = free[(i * 17) % free.count]
                    l.busy.insert(fp)
                    return .again(group, fp)
                }
                l.next += 1
                return .new(group, l.next)
            }
            do {
                switch step {
                case .new(let group, let n):
                    let bytes = body(group: group, n: n, resolved: false)
                    let ids = try await post(curl, port: port, bytes)
                    ledger.with { l in
                        l.fired[fingerprint(n)] = group
                        l.bodies[fingerprint(n)] = bytes
                        l.pool[group, default: []].append(fingerprint(n))
                        l.incident[group, default: []].formUnion(ids)
                    }
                case .again(let group, let fp):
                    defer { ledger.with { _ = $0.busy.remove(fp) } }
                    let ids = try await post(curl, port: port, ledger.with { $0.bodies[fp]! })
                    ledger.with { $0.incident[group, default: []].formUnion(ids) }
                case .resolve(let group, let fp):
                    let n = Int(fp.suffix(6), radix: 16)!
                    do {
                        let ids = try await post(curl, port: port, body(group: group, n: n, resolved: true))
                        ledger.with { l in l.resolved.insert(fp); l.incident[group, default: []].formUnion(ids) }
                    } catch {
                        ledger.with { l in _ = l.resolveUnknown.insert(fp) }
                        throw error
                    }
                }
            } catch {
                return
            }
            let kill = ledger.with { l -> Bool in
                l.accepted += 1
                guard l.accepted >= killAfter, !l.killed else { return false }
                l.killed = true
                return true
            }
            if kill { onKill() }
        }
    }

    /// Every open incident with its alerts (fingerprint → status) and its timeline messages.
    static func openIncidents(_ curl: CurlClient, port: Int) async throws -> [String: (alerts: [String: (status: String, group: String)], timeline: [String])] {
        let auth = [("Authorization", "Bearer api-e2e")]
        let list = try await curl.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/incidents?status=open", headers: auth))
        let ids = ((try JSONSerialization.jsonObject(with: Data(list.body)) as? [String: Any])?["incidents"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        var out: [String: (alerts: [String: (status: String, group: String)], timeline: [String])] = [:]
        for id in ids {
            let r = try await curl.perform(HTTPRequest(url: "http://127.0.0.1:\(port)/v1/incidents/\(id)", headers: auth))
            let o = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] ?? [:]
            var alerts: [String: (status: String, group: String)] = [:]
            for a in o["alerts"] as? [[String: Any]] ?? [] {
                let group = (a["labels"] as? [String: String])?["group"] ?? "?"
                alerts[a["fingerprint"] as? String ?? ""] = (a["status"] as? String ?? "", group)
            }
            out[id] = (alerts, (o["timeline"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String })
        }
        return out
    }

    /// What must hold of the store after any number of kills, given what was answered.
    static func check(_ open: [String: (alerts: [String: (status: String, group: String)], timeline: [String])], _ l: Ledger) {
        // One open incident per group, holding only that group's alerts.
        var groupOf: [String: String] = [:]
        for (id, inc) in open {
            let groups = Set(inc.alerts.values.map(\.group))
            #expect(groups.count == 1, "\(id) holds alerts of groups \(groups.sorted())")
            for g in groups {
                #expect(groupOf[g] == nil, "groups \(g) has two open incidents: \(groupOf[g] ?? "") and \(id)")
                groupOf[g] = id
            }
        }
        for (group, ids) in l.incident {
            #expect(ids.count == 1, "group g\(group) was answered with incidents \(ids.sorted())")
            #expect(ids.first == groupOf["g\(group)"], "group g\(group): answered \(ids.sorted()), open \(groupOf["g\(group)"] ?? "none")")
        }
        // Every answered alert is there with its latest answered state, and in the timeline once.
        var missing = 0
        for (fp, group) in l.fired {
            guard let id = groupOf["g\(group)"], let alert = open[id]?.alerts[fp] else { missing += 1; continue }
            let n = Int(fp.suffix(6), radix: 16)!
            let timeline = open[id]!.timeline
            #expect(timeline.filter { $0 == "Firing: \(summary(n))" }.count == 1, "\(fp): firing entries")
            let resolves = timeline.filter { $0 == "Resolved: \(summary(n))" }.count
            if l.resolved.contains(fp) {
                #expect(alert.status == "resolved", "\(fp) was resolved (answered 202) but is \(alert.status)")
                #expect(resolves == 1, "\(fp): \(resolves) resolved entries")
            } else if !l.resolveUnknown.contains(fp) {
                #expect(alert.status == "firing", "\(fp) was never resolved but is \(alert.status)")
                #expect(resolves == 0, "\(fp): \(resolves) resolved entries")
            } else {
                #expect(resolves <= 1)
            }
        }
        #expect(missing == 0, "\(missing) of \(l.fired.count) alerts answered 202 are missing")
        // Nothing is in a timeline twice (identical re-sends add nothing).
        for (id, inc) in open {
            let alertEntries = inc.timeline.filter { $0.hasPrefix("Firing: ") || $0.hasPrefix("Resolved: ") }
            #expect(Set(alertEntries).count == alertEntries.count, "\(id) has repeated timeline entries")
        }
    }

    @Test func answeredAlertsSurviveAHardKillUnderLoad() async throws {
        // A small inbox, small moves and a small moved-alert map: every path of the store runs.
        let store = ["KLAXON_INBOX": "40", "KLAXON_CHUNK": "16", "KLAXON_MOVED": "24"]
        let ledger = Box(Ledger())

        try await withServeFolder("crash") { setting in
            let (dir, slack, curl) = (setting.dir, setting.slack, setting.curl)

            // Three lives under load: two ended by SIGKILL, the third by SIGTERM (a graceful
            // stop answers what it took in and exits 0); each starts from what the last left.
            let lives = [("2026-11-23T12:00:00Z", false), ("2026-11-23T12:01:00Z", false), ("2026-11-23T12:02:00Z", true)]
            for (life, (start, graceful)) in lives.enumerated() {
                let server = try serveFolder(dir, start: start, environment: store)
                let port = try await server.port()
                if life > 0 { Self.check(try await Self.openIncidents(curl, port: port), ledger.with { $0 }) }
                ledger.with { l in l.accepted = 0; l.killed = false }
                await withTaskGroup(of: Void.self) { group in
                    for id in 0..<Self.senders {
                        group.addTask {
                            await Self.sender(id, curl: curl, port: port, ledger: ledger) { server.send(graceful ? SIGTERM : SIGKILL) }
                        }
                    }
                }
                let exit = await server.exited()
                let l = ledger.with { $0 }
                #expect(l.killed, "life \(life + 1): the load ended before the stop (\(l.accepted) answered)")
                #expect(l.fired.count >= (life + 1) * Self.killAfter / 2 && !l.resolved.isEmpty)
                if graceful {
                    #expect(exit.status == 0 && !exit.signaled, "SIGTERM under load: \(exit)")
                } else {
                    #expect(exit.signaled && exit.status == SIGKILL, "SIGKILL: \(exit)")
                }
            }

            let last = try serveFolder(dir, start: "2026-11-23T12:03:00Z", environment: store)
            defer { last.stop() }
            let port2 = try await last.port()
            Self.check(try await Self.openIncidents(curl, port: port2), ledger.with { $0 })

            // Last life: each group gets an identical re-send, a new alert and a resolve; every
            // answer names the group's incident from before the kill.
            for group in 0..<Self.groups {
                let (again, resolve, n): (String?, String?, Int) = ledger.with { l in
                    l.next += 1
                    var p = l.pool[group] ?? []
                    let again = p.first
                    let resolve = p.count >= 2 ? p.removeLast() : nil
                    l.pool[group] = p
                    return (again, resolve, l.next)
                }
                var answers: Set<String> = []
                if let again { answers.formUnion(try await Self.post(curl, port: port2, ledger.with { $0.bodies[again]! })) }
                let bytes = Self.body(group: group, n: n, resolved: false)
                answers.formUnion(try await Self.post(curl, port: port2, bytes))
                if let resolve {
                    answers.formUnion(try await Self.post(curl, port: port2, Self.body(group: group, n: Int(resolve.suffix(6), radix: 16)!, resolved: true)))
                }
                ledger.with { l in
                    l.fired[Self.fingerprint(n)] = group
                    l.bodies[Self.fingerprint(n)] = bytes
                    if let resolve { l.resolved.insert(resolve) }
                    l.incident[group, default: []].formUnion(answers)
                }
            }
            let life2 = ledger.with { $0 }
            let open = try await Self.openIncidents(curl, port: port2)
            Self.check(open, life2)

            // Every incident's page went out (owed ones after the restart), none more than twice
            // (a page in flight at the kill may go again: Slack has no idempotency key).
            var pages: [String: Int] = [:]
            func count() {
                pages = [:]
                for call in slack.received where call.method == "chat.postMessage" && call.body["channel"] as? String == "U0ALICE01" {
                    let words = (call.body["text"] as? String ?? "").split(separator: " ")
                    if words.count > 1 { pages[String(words[1]), default: 0] += 1 }
                }
            }
            count()
            while !Set(open.keys).isSubset(of: pages.keys) {
                _ = try await slack.next()
                count()
            }
            for id in open.keys { #expect((pages[id] ?? 0) <= 2, "\(id) paged \(pages[id] ?? 0) times") }
        }
    }
}
