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
        // Each caller hears its own outcome: the refused ones their own error, not the batch's.
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 1...20 {
                group.addTask {
                    do {
                        try await committer.submit { tx in
                            try tx.save(IncidentRecord(number: i, key: "k\(i)", integration: "x", title: "t", severity: .p2, category: .other,
                                                       team: "ml-platform", policy: nil, playbook: nil, openedAt: t0))
                            // Alerts and timeline rows too: the store's memory of its inbox must
                            // follow a caller's savepoint rolling back while the batch goes on.
                            try tx.save(StoredAlert(incident: i, alert: Alert(fingerprint: "f\(i)", status: .firing, summary: "s"), severity: .p2, receivedAt: t0))
                            try tx.append(TimelineEntry(incident: i, at: t0, kind: "note", actor: nil, message: "m\(i)"))
                            if i % 5 == 0 { throw Refused() }
                        }
                        return (i, true)
                    } catch is Refused { return (i, false) } catch { return (-i, false) }
                }
            }
            var out: [Int: Bool] = [:]
            for await (i, ok) in group { out[i] = ok }
            return out
        }
        #expect(results.filter { !$0.value }.keys.sorted() == [5, 10, 15, 20])
        let stored = try await h.store.read { tx in try tx.incidents(statuses: nil, limit: 100).map(\.number).sorted() }
        #expect(stored == (1...20).filter { $0 % 5 != 0 })
        for i in 1...20 {
            let (alerts, timeline) = try await h.store.read { tx in (try tx.alerts(of: i).map(\.alert.fingerprint), try tx.timeline(of: i).map(\.message)) }
            #expect(alerts == (i % 5 == 0 ? [] : ["f\(i)"]))
            #expect(timeline == (i % 5 == 0 ? [] : ["m\(i)"]))
        }
    }
}

/// A store that records, for each group commit, how many syncs had finished before it.
final class SyncRecordingStore: IncidentStore, @unchecked Sendable {
    let inner: any IncidentStore
    let log = Locked((commits: 0, syncs: 0, syncedCommits: 0))
    init(_ inner: any IncidentStore) { self.inner = inner }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T { try await inner.write(body) }
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T { try await inner.read(body) }
    func writeBlocking<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        let r = try inner.writeBlocking(body)
        log.withLock { $0.commits += 1 }
        return r
    }
    func makeDurable() throws {
        let commitsBefore = log.withLock { $0.commits }
        try inner.makeDurable()
        log.withLock { $0.syncs += 1; $0.syncedCommits = max($0.syncedCommits, commitsBefore) }
    }
    func nextTimerDue() async throws -> Date? { try await inner.nextTimerDue() }
    func claimOutbox(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxMessage] { try await inner.claimOutbox(now: now, limit: limit, lease: lease) }
    func nextOutboxDue() async throws -> Date? { try await inner.nextOutboxDue() }
    func ping() async throws { try await inner.ping() }
}

struct GroupCommitterDurabilityTests {
    @Test func nobodyHearsBackBeforeTheirCommitWasSynced() async throws {
        let h = try EngineHarness()
        let store = SyncRecordingStore(h.store)
        let committer = GroupCommitter(store: store)
        let t0 = EngineHarness.t0
        // Each caller notes how many commits the syncer had covered when it heard back: its
        // own commit must be among them.
        let seen = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for i in 1...200 {
                group.addTask {
                    let commitNumber: Int = try await committer.submit { tx in
                        try tx.save(IncidentRecord(number: i, key: "k\(i)", integration: "x", title: "t", severity: .p2, category: .other,
                                                   team: "ml-platform", policy: nil, playbook: nil, openedAt: t0))
                        return store.log.withLock { $0.commits } + 1
                    }
                    return (commitNumber, store.log.withLock { $0.syncedCommits })
                }
            }
            var out: [(Int, Int)] = []
            for try await r in group { out.append(r) }
            return out
        }
        #expect(seen.count == 200)
        for (commit, synced) in seen { #expect(synced >= commit) }
        let log = store.log.withLock { $0 }
        #expect(log.syncs >= 1)
        #expect(log.syncs <= log.commits)
    }
}

/// A store whose syncs wait until the test lets them finish.
final class GatedSyncStore: IncidentStore, @unchecked Sendable {
    let inner: any IncidentStore
    let commits = Locked(0)
    let syncing = Locked(false)
    let gate = DispatchSemaphore(value: 0)
    init(_ inner: any IncidentStore) { self.inner = inner }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T { try await inner.write(body) }
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T { try await inner.read(body) }
    func writeBlocking<T>(_ body: (any StoreTransaction) throws -> T) throws -> T {
        let r = try inner.writeBlocking(body)
        commits.withLock { $0 += 1 }
        return r
    }
    func makeDurable() throws {
        syncing.withLock { $0 = true }
        gate.wait()
        try inner.makeDurable()
        syncing.withLock { $0 = false }
    }
    func nextTimerDue() async throws -> Date? { try await inner.nextTimerDue() }
    func claimOutbox(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxMessage] { try await inner.claimOutbox(now: now, limit: limit, lease: lease) }
    func nextOutboxDue() async throws -> Date? { try await inner.nextOutboxDue() }
    func ping() async throws { try await inner.ping() }
}

struct GroupCommitterJoinTests {
    /// Waits (briefly, on real time: the committer's threads run on their own) until `done`.
    func eventually(_ done: () -> Bool) async throws {
        for _ in 0..<2_000 where !done() { try await Task.sleep(nanoseconds: 1_000_000) }
        #expect(done())
    }

    func incident(_ i: Int) -> IncidentRecord {
        IncidentRecord(number: i, key: "k\(i)", integration: "x", title: "t", severity: .p2, category: .other,
                       team: "ml-platform", policy: nil, playbook: nil, openedAt: EngineHarness.t0)
    }

    /// While the disk syncs earlier batches, callers that come one after another join one
    /// transaction; it commits when the sync is done, and each hears back after its own sync.
    @Test func callersJoinTheOpenTransactionWhileTheDiskSyncs() async throws {
        let h = try EngineHarness()
        let store = GatedSyncStore(h.store)
        let committer = GroupCommitter(store: store, joinWindow: 60)
        let ran = Locked<[Int]>([])
        let heard = Locked<[Int]>([])
        let incident = self.incident
        func submit(_ i: Int) {
            committer.submit({ tx in
                try tx.save(incident(i))
                ran.withLock { $0.append(i) }
            }, completion: { (r: Result<Void, any Error>) in
                if case .success = r { heard.withLock { $0.append(i) } }
            })
        }
        submit(1)
        try await eventually { store.syncing.withLock { $0 } }
        #expect(store.commits.withLock { $0 } == 1)
        // One at a time, each after the one before ran: without joining, each would commit alone.
        for i in 2...4 {
            submit(i)
            try await eventually { ran.withLock { $0.contains(i) } }
        }
        #expect(store.commits.withLock { $0 } == 1, "the transaction stays open while the sync runs")
        #expect(heard.withLock { $0 }.isEmpty)
        store.gate.signal() // the first sync ends: 1 hears back, 2–4 commit as one
        try await eventually { heard.withLock { $0 } == [1] && store.syncing.withLock { $0 } }
        #expect(store.commits.withLock { $0 } == 2)
        store.gate.signal()
        try await eventually { heard.withLock { $0 }.count == 4 }
        #expect(heard.withLock { $0 } == [1, 2, 3, 4])
        #expect(try await h.store.read { tx in try tx.incidents(statuses: nil, limit: 10).map(\.number).sorted() } == [1, 2, 3, 4])
    }

    /// A sync that takes longer than the window does not hold the transaction: it commits.
    @Test func theTransactionCommitsWhenTheWindowEnds() async throws {
        let h = try EngineHarness()
        let store = GatedSyncStore(h.store)
        let committer = GroupCommitter(store: store, joinWindow: 0.02)
        let incident = self.incident
        let heard = Locked(0)
        for i in 1...2 {
            committer.submit({ tx in try tx.save(incident(i)) }, completion: { (_: Result<Void, any Error>) in heard.withLock { $0 += 1 } })
            try await eventually { store.commits.withLock { $0 } == i }
        }
        #expect(heard.withLock { $0 } == 0, "nothing is answered before its sync")
        store.gate.signal()
        store.gate.signal()
        try await eventually { heard.withLock { $0 } == 2 }
    }

    /// With the window at zero no transaction waits.
    @Test func aZeroWindowNeverWaits() async throws {
        let h = try EngineHarness()
        let store = GatedSyncStore(h.store)
        let committer = GroupCommitter(store: store, joinWindow: 0)
        let incident = self.incident
        committer.submit({ tx in try tx.save(incident(1)) }, completion: { (_: Result<Void, any Error>) in })
        try await eventually { store.syncing.withLock { $0 } }
        committer.submit({ tx in try tx.save(incident(2)) }, completion: { (_: Result<Void, any Error>) in })
        try await eventually { store.commits.withLock { $0 } == 2 }
        store.gate.signal()
        store.gate.signal()
    }
}

struct MallocArenaTests {
    /// glibc takes the cap (mallopt answers 1); `klaxon` and the benchmarks set it first thing.
    @Test func glibcTakesTheArenaCap() {
        #if canImport(Glibc)
        // (Set by the environment, the environment wins and nothing is set here.)
        #expect(getenv("MALLOC_ARENA_MAX") != nil || limitMallocArenas(to: 2))
        #endif
    }
}
