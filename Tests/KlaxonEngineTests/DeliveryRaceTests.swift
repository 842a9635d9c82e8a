import Foundation
import Testing
import KlaxonCore
import KlaxonStore
@testable import KlaxonEngine

/// Several delivery passes at once (the delivery loop, the test clock's settle, a wake-up after
/// a commit) over the same outbox: every message goes out exactly once.
struct DeliveryRaceTests {
    @Test func concurrentDeliveryPassesSendEachMessageOnce() async throws {
        let h = try EngineHarness()
        for g in 0..<20 {
            try await h.send([h.alert("a\(g)", severity: "critical")], group: "g\(g)")
        }
        let owed = try await h.store.read { tx in
            try (1...20).reduce(0) { n, i in n + (try tx.outbox(of: i).filter { $0.state == .pending }.count) }
        }
        #expect(owed >= 40, "each incident pages alice by Slack and by email")
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 { group.addTask { try await h.delivery.deliverDue() } }
            var handled = 0
            for try await n in group { handled += n }
            #expect(handled == owed, "\(handled) handled for \(owed) owed")
        }
        let sent = h.slack.sent.current + h.email.sent.current
        let ids = sent.compactMap(\.message.id)
        #expect(ids.count == owed && Set(ids).count == owed, "\(ids.count) deliveries of \(Set(ids).count) messages, \(owed) owed")
        let left = try await h.store.read { tx in
            try (1...20).flatMap { try tx.outbox(of: $0) }.filter { $0.state == .pending || $0.state == .sending }
        }
        #expect(left.isEmpty)
    }
}
