import Foundation
import Testing
import KlaxonCore
import KlaxonStore
@testable import KlaxonEngine

struct GroupCommitterTests {
    @Test func concurrentIngestsAreEachCommittedOnce() async throws {
        let h = try EngineHarness()
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for i in 0..<300 {
                group.addTask { try await h.send([h.alert("a\(i)")], group: "g\(i % 100)") }
            }
            var all: [String] = []
            for try await r in group { all += r }
            return all
        }
        #expect(ids.count == 300)
        #expect(Set(ids).count == 100)
        let counts = try await h.store.read { tx in
            try tx.incidents(statuses: nil, limit: 1000).map { try tx.alerts(of: $0.number).count }
        }
        #expect(counts.count == 100)
        #expect(counts.allSatisfy { $0 == 3 })
        #expect(Set(try await h.store.read { tx in try tx.incidents(statuses: nil, limit: 1000).map(\.number) }) == Set(1...100))
    }

    @Test func oneFailingCallerDoesNotUndoTheOthers() async throws {
        let h = try EngineHarness()
        let committer = GroupCommitter(store: h.store)
        struct Refused: Error {}
        let t0 = EngineHarness.t0
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 1...20 {
                group.addTask {
                    do {
                        try await committer.submit { tx in
                            try tx.save(IncidentRecord(number: i, key: "k\(i)", integration: "x", title: "t", severity: .p2, category: .other,
                                                       team: "ml-platform", policy: nil, playbook: nil, openedAt: t0))
                            if i % 5 == 0 { throw Refused() }
                        }
                        return (i, true)
                    } catch { return (i, false) }
                }
            }
            var out: [Int: Bool] = [:]
            for await (i, ok) in group { out[i] = ok }
            return out
        }
        #expect(results.filter { !$0.value }.keys.sorted() == [5, 10, 15, 20])
        let stored = try await h.store.read { tx in try tx.incidents(statuses: nil, limit: 100).map(\.number).sorted() }
        #expect(stored == (1...20).filter { $0 % 5 != 0 })
    }
}
