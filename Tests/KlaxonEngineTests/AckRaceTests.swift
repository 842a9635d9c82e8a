import Foundation
import Testing
import KlaxonCore
import KlaxonStore
import KlaxonTestSupport
@testable import KlaxonEngine

/// Acknowledgements racing new alerts (some raising the severity), the clock moving, timers
/// firing and pages going out, all at once on one engine. Once every incident is acknowledged,
/// nothing is left to page anyone: no escalation timer pending, and three more hours of timers
/// and delivery create no page. (Escalations that keep paging after an ack are the complaint
/// about the tools Klaxon replaces.)
struct AckRaceTests {
    static func pages(_ h: EngineHarness, _ numbers: [Int]) async throws -> Int {
        try await h.store.read { tx in
            try numbers.reduce(0) { n, i in n + (try tx.outbox(of: i).filter { $0.kind == .page }.count) }
        }
    }

    @Test(arguments: 0..<5)
    func nothingPagesOnceEverythingIsAcknowledged(seed: Int) async throws {
        let h = try EngineHarness()
        // Four incidents: two start at P3 (low urgency: they wait for working hours), two at P1.
        for g in 0..<4 {
            try await h.send([h.alert("g\(g)-first", severity: g < 2 ? "warning" : "critical")], group: "g\(g)")
        }
        let numbers = try await h.engine.incidents(openOnly: false).map(\.number)
        #expect(numbers.count == 4)

        let seedValue = UInt64(seed) &* 0x2545_F491_4F6C_DD1D &+ 7
        try await withThrowingTaskGroup(of: Void.self) { group in
            // New alerts, some critical (raising the P3 incidents to P1 and re-deciding their steps).
            group.addTask {
                var r = SplitMix64(seed: seedValue)
                for k in 0..<40 {
                    let g = r.below(4)
                    try await h.send([h.alert("g\(g)-a\(k)", severity: r.chance(50) ? "critical" : "warning")], group: "g\(g)")
                }
            }
            // People acknowledging, each incident once or twice, in a random order.
            group.addTask {
                var r = SplitMix64(seed: seedValue ^ 0xA5A5)
                for _ in 0..<8 {
                    let n = numbers[r.below(numbers.count)]
                    _ = try await h.engine.acknowledge(n, by: r.chance(50) ? "alice" : "bob")
                }
            }
            // Time passing: steps fall due, timers fire, pages go out.
            group.addTask {
                for _ in 0..<20 {
                    h.clock.advance(by: 97)
                    try await h.timers.fireDue()
                    try await h.delivery.deliverDue()
                }
            }
            try await group.waitForAll()
        }

        // Everyone acknowledges what is still open.
        for n in numbers where try await h.engine.detail(n).incident.status == .triggered {
            _ = try await h.engine.acknowledge(n, by: "alice")
        }
        try await h.timers.fireDue()
        try await h.delivery.deliverDue()
        let before = try await Self.pages(h, numbers)
        #expect(before >= 2, "the P1 incidents paged before their acks")
        let pendingEscalations = try await h.store.read { tx in
            try numbers.flatMap { try tx.timers(of: $0) }.filter { $0.kind == .escalation && $0.state == .pending }
        }
        #expect(pendingEscalations.isEmpty, "escalation timers left after every ack: \(pendingEscalations)")

        // Three hours later, across working hours in Berlin and New York: still no new page.
        for _ in 0..<18 {
            h.clock.advance(by: 600)
            try await h.timers.fireDue()
            try await h.delivery.deliverDue()
        }
        #expect(try await Self.pages(h, numbers) == before, "pages created after every incident was acknowledged")
        for n in numbers {
            let d = try await h.engine.detail(n)
            #expect(d.incident.status == .acknowledged)
            #expect(!d.timeline.contains { $0.kind.hasPrefix("escalation.step") && $0.at > d.incident.acknowledgedAt! },
                    "INC-\(n) escalated after its ack: \(d.timeline.map { "\($0.kind) \($0.at)" })")
        }
    }
}
