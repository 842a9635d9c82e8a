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

struct GroupCommitterBatchTests {
    /// Waits (briefly, on real time: the committer's thread runs on its own) until `done`.
    func eventually(_ done: () -> Bool) async throws {
        for _ in 0..<2_000 where !done() { try await Task.sleep(nanoseconds: 1_000_000) }
        #expect(done())
    }

    func incident(_ i: Int) -> IncidentRecord {
        IncidentRecord(number: i, key: "k\(i)", integration: "x", title: "t", severity: .p2, category: .other,
                       team: "ml-platform", policy: nil, playbook: nil, openedAt: EngineHarness.t0)
    }

    /// Submits caller `i` (saving incident `i`), noting when its work ran and when it heard back.
    func submit(_ i: Int, to committer: GroupCommitter, ran: Locked<[Int]>, heard: Locked<[Int]>) {
        let incident = self.incident(i)
        committer.submit({ tx in
            try tx.save(incident)
            ran.withLock { $0.append(i) }
        }, completion: { (r: Result<Void, any Error>) in
            if case .success = r { heard.withLock { $0.append(i) } }
        })
    }

    /// Callers that come while a batch syncs wait for it, then run, commit and sync together as
    /// the next batch; each hears back only after its own batch's sync.
    @Test func callersThatComeDuringASyncMakeTheNextBatch() async throws {
        let h = try EngineHarness()
        let store = GatedSyncStore(h.store)
        let committer = GroupCommitter(store: store)
        let ran = Locked<[Int]>([]), heard = Locked<[Int]>([])
        submit(1, to: committer, ran: ran, heard: heard)
        try await eventually { store.syncing.withLock { $0 } }
        for i in 2...4 { submit(i, to: committer, ran: ran, heard: heard) }
        // Give the writer every chance to take them early (it must not: it is syncing).
        try await Task.sleep(nanoseconds: 5_000_000)
        #expect(ran.withLock { $0 } == [1])
        #expect(store.commits.withLock { $0 } == 1)
        #expect(heard.withLock { $0 }.isEmpty, "nobody hears back before the sync")
        store.gate.signal()  // the first sync ends: 1 hears back, 2-4 commit as one
        try await eventually { heard.withLock { $0 } == [1] && store.syncing.withLock { $0 } }
        #expect(store.commits.withLock { $0 } == 2)
        #expect(ran.withLock { $0 } == [1, 2, 3, 4])
        #expect(heard.withLock { $0 } == [1], "2-4 wait for their own sync")
        store.gate.signal()
        try await eventually { heard.withLock { $0 }.count == 4 }
        #expect(heard.withLock { $0 } == [1, 2, 3, 4])
        #expect(try await h.store.read { tx in try tx.incidents(statuses: nil, limit: 10).map(\.number).sorted() } == [1, 2, 3, 4])
    }

    /// No transaction takes more than `maxBatch` callers; the rest wait for the next, in order.
    @Test func aBatchTakesAtMostMaxBatchCallers() async throws {
        let h = try EngineHarness()
        let store = GatedSyncStore(h.store)
        let committer = GroupCommitter(store: store, maxBatch: 2)
        let ran = Locked<[Int]>([]), heard = Locked<[Int]>([])
        submit(1, to: committer, ran: ran, heard: heard)
        try await eventually { store.syncing.withLock { $0 } }
        for i in 2...6 { submit(i, to: committer, ran: ran, heard: heard) }
        var commits = 1
        for batch in [[2, 3], [4, 5], [6]] {
            store.gate.signal()
            commits += 1
            try await eventually { store.commits.withLock { $0 } == commits && store.syncing.withLock { $0 } }
            #expect(Array(ran.withLock { $0 }.suffix(batch.count)) == batch)
        }
        store.gate.signal()
        try await eventually { heard.withLock { $0 }.count == 6 }
        #expect(heard.withLock { $0 } == Array(1...6))
        #expect(store.commits.withLock { $0 } == 4)
    }

    /// A failed sync fails every caller of its batch (none hears success), and the next batch
    /// is not held back by it.
    @Test func aFailedSyncFailsItsBatch() async throws {
        let h = try EngineHarness()
        let store = FailingSyncStore(h.store)
        let committer = GroupCommitter(store: store)
        let incident = self.incident
        store.failNext.withLock { $0 = true }
        await #expect(throws: FailingSyncStore.SyncFailed.self) { try await committer.submit { tx in try tx.save(incident(1)) } }
        try await committer.submit { tx in try tx.save(incident(2)) }
    }
}

/// A store whose next sync fails once when told to.
final class FailingSyncStore: IncidentStore, @unchecked Sendable {
    struct SyncFailed: Error {}
    let inner: any IncidentStore
    let failNext = Locked(false)
    init(_ inner: any IncidentStore) { self.inner = inner }

    func write<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T { try await inner.write(body) }
    func read<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T { try await inner.read(body) }
    func writeBlocking<T>(_ body: (any StoreTransaction) throws -> T) throws -> T { try inner.writeBlocking(body) }
    func makeDurable() throws {
        if failNext.withLock({ let f = $0; $0 = false; return f }) { throw SyncFailed() }
        try inner.makeDurable()
    }
    func nextTimerDue() async throws -> Date? { try await inner.nextTimerDue() }
    func claimOutbox(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxMessage] { try await inner.claimOutbox(now: now, limit: limit, lease: lease) }
    func nextOutboxDue() async throws -> Date? { try await inner.nextOutboxDue() }
    func ping() async throws { try await inner.ping() }
}
