import Foundation
import Metrics

/// Runs many callers' write work in one transaction (group commit) on a writer thread of its
/// own. Every caller hears back only after the shared transaction committed and reached the
/// disk (or with the error), so "committed before the 202" holds for each of them. The disk
/// sync runs on a second thread, once for all batches committed meanwhile, while the writer
/// goes on with the next batch.
///
/// While the syncer is busy with earlier batches, the writer keeps its transaction open and
/// runs the callers that arrive in it too (up to `maxBatch`, for at most `joinWindow`): a
/// commit made meanwhile would wait for the next sync anyway, and one transaction costs less
/// than several (under the `make bench` load, 3–4 times fewer commits). An idle syncer means
/// no wait at all.
///
/// A batch first runs without savepoints (one per caller costs two statements per alert on
/// the ingest path). If any caller's work throws, that whole transaction is rolled back and the
/// batch runs again with each caller in its own savepoint, so one failing caller does not undo
/// the others. Work must therefore depend only on what it reads in the transaction and on
/// what it captured, never on having run before.
public final class GroupCommitter: @unchecked Sendable {
    private final class Job: @unchecked Sendable {
        // `run` happens inside a transaction on the writer thread, `finish` after it; never concurrently.
        let run: (any StoreTransaction, _ isolated: Bool) throws -> Void
        let finish: ((any Error)?) -> Void
        init(run: @escaping (any StoreTransaction, Bool) throws -> Void, finish: @escaping ((any Error)?) -> Void) {
            self.run = run; self.finish = finish
        }
    }

    private final class Slot<T>: @unchecked Sendable { var result: Result<T, any Error>? }

    private let store: any IncidentStore
    /// Jobs waiting for a transaction; its thread runs them in batches of at most `maxBatch`.
    private var writer: Worker<Job>!
    /// Batches committed (or failed) but not yet on disk, oldest first; its thread syncs them.
    private var syncer: Worker<(jobs: [Job], error: (any Error)?)>!
    /// The most callers one transaction takes.
    let maxBatch: Int
    /// How the writer and the disk keep up (`/metrics`): callers per transaction, how long each
    /// transaction took to run and commit, how long each sync took and how many callers it freed.
    private let batchSize = Recorder(label: GroupCommitter.batchMetric)
    private let commitTime = Metrics.Timer(label: GroupCommitter.commitMetric)
    private let syncTime = Metrics.Timer(label: GroupCommitter.syncMetric)
    private let syncSize = Recorder(label: GroupCommitter.syncBatchMetric)
    public static let batchMetric = "klaxon_store_commit_requests"
    public static let commitMetric = "klaxon_store_commit_seconds"
    public static let syncMetric = "klaxon_store_sync_seconds"
    public static let syncBatchMetric = "klaxon_store_sync_requests"
    /// Buckets that fit what is measured: commits and syncs take tenths of a millisecond to a few
    /// milliseconds here, and batches hold one to a thousand callers.
    public static let durationBuckets: [Duration] = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
                                                     .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100), .seconds(1)]
    public static let sizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024]

    /// How long at most (nanoseconds) a transaction waits for more callers while the disk syncs
    /// earlier batches; 0: never.
    let joinWindow: UInt64

    /// `idleLinger`: how long an idle writer or sync thread waits for work before it ends (a new
    /// one starts on demand). `joinWindow`: how long a transaction may wait for more callers
    /// while the disk syncs earlier batches (0: never).
    public init(store: any IncidentStore, maxBatch: Int = 1024, idleLinger: TimeInterval = 2, joinWindow: TimeInterval = 0.005) {
        self.store = store
        self.maxBatch = maxBatch
        self.joinWindow = UInt64(max(0, joinWindow) * 1e9)
        writer = Worker(name: "klaxon-writer", most: maxBatch, linger: idleLinger) { [weak self] jobs in self?.commit(jobs) }
        syncer = Worker(name: "klaxon-sync", most: .max, linger: idleLinger) { [weak self] batches in self?.sync(batches) }
        // The writer waits in `takeMore` while the syncer is busy: it hears when that ends.
        let writer = self.writer!
        syncer.onIdle = { writer.poke() }
    }

    /// Queues `work`; `completion` runs on the sync thread once the transaction that ran it
    /// committed and reached the disk (with `work`'s result), or failed. Keep `completion`
    /// short: hand off to your own thread or executor.
    public func submit<T: Sendable>(_ work: @escaping @Sendable (any StoreTransaction) throws -> T,
                                    completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let slot = Slot<T>()
        writer.add(Job(run: { tx, isolated in
            if isolated {
                slot.result = Result { try tx.savepoint { try work(tx) } }
            } else {
                slot.result = .success(try work(tx))
            }
        }, finish: { error in
            if let error { completion(.failure(error)) } else { completion(slot.result ?? .failure(CommitterError.notRun)) }
        }))
    }

    /// The same, awaited.
    public func submit<T: Sendable>(_ work: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            submit(work) { c.resume(with: $0) }
        }
    }

    enum CommitterError: Error { case notRun }

    /// Commits one batch and hands it to the syncer; the next batch can run while the disk syncs.
    private func commit(_ first: [Job]) {
        let start = DispatchTime.now().uptimeNanoseconds
        var jobs = first
        defer {
            commitTime.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
            batchSize.record(jobs.count)
        }
        var failure: (any Error)?
        do {
            try store.writeBlocking { tx in
                for job in jobs { try job.run(tx, false) }
                // While the disk still syncs earlier batches, anything committed now waits for
                // the next sync anyway: the callers that come meanwhile join this transaction
                // (up to `maxBatch`, for at most `joinWindow`), and one commit costs less than
                // several (BEGIN, COMMIT, the log row, the WAL pages are per transaction).
                if joinWindow > 0 {
                    let until = DispatchTime.now().uptimeNanoseconds + joinWindow
                    while jobs.count < maxBatch {
                        // Only while the syncer is busy: once it is free, this commits at once.
                        let more = writer.takeMore(most: maxBatch - jobs.count, until: until) { [syncer] in syncer!.isBusy }
                        if more.isEmpty { break }
                        for job in more { try job.run(tx, false) }
                        jobs += more
                    }
                }
            }
        } catch {
            // Someone's work failed (or the commit did): again, each caller on its own.
            do {
                try store.writeBlocking { tx in
                    for job in jobs { try? job.run(tx, true) }
                }
            } catch {
                failure = error
            }
        }
        syncer.add((jobs, failure))
    }

    /// One sync for every batch committed so far, then their callers hear back, oldest first.
    private func sync(_ batches: [(jobs: [Job], error: (any Error)?)]) {
        var syncError: (any Error)?
        if batches.contains(where: { $0.error == nil }) {
            let start = DispatchTime.now().uptimeNanoseconds
            do { try store.makeDurable() } catch { syncError = error }
            syncTime.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
            syncSize.record(batches.reduce(0) { $0 + $1.jobs.count })
        }
        for batch in batches {
            let error = batch.error ?? syncError
            for job in batch.jobs { job.finish(error) }
        }
    }
}

/// A queue drained by a thread of its own: started when work arrives, ended after `linger`
/// seconds without any. `handle` gets up to `most` items at a time, in order.
private final class Worker<Item>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var running = false
    private let name: String
    private let most: Int
    private let linger: TimeInterval
    private let handle: ([Item]) -> Void
    /// Handling items, or items waiting.
    private var handling = false
    /// Called (on its thread, without its lock) whenever it runs out of items.
    var onIdle: (() -> Void)?

    init(name: String, most: Int, linger: TimeInterval, handle: @escaping ([Item]) -> Void) {
        self.name = name; self.most = most; self.linger = linger; self.handle = handle
    }

    var isBusy: Bool {
        condition.lock()
        defer { condition.unlock() }
        return handling || !items.isEmpty
    }

    /// Wakes a thread waiting in `takeMore`.
    func poke() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// From inside `handle`: up to `most` more items while `takeWhile()` holds, waiting for them
    /// until `until` (uptime nanoseconds); none once it no longer holds or the wait ends.
    func takeMore(most: Int, until: UInt64, takeWhile: () -> Bool) -> [Item] {
        condition.lock()
        defer { condition.unlock() }
        while true {
            guard takeWhile() else { return [] }
            if !items.isEmpty { break }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < until else { return [] }
            _ = condition.wait(until: Date(timeIntervalSinceNow: Double(until - now) / 1e9))
        }
        let n = min(most, items.count)
        let taken = Array(items.prefix(n))
        items.removeFirst(n)
        return taken
    }

    func add(_ item: Item) {
        condition.lock()
        items.append(item)
        let start = !running
        running = true
        condition.signal()
        condition.unlock()
        if start { Thread { [self] in loop() }.start() }
    }

    private func loop() {
        // Named for top -H and perf (Foundation's Thread.name does not reach the kernel here).
        try? name.write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        while true {
            condition.lock()
            while items.isEmpty {
                if !condition.wait(until: Date(timeIntervalSinceNow: linger)), items.isEmpty {
                    running = false
                    condition.unlock()
                    return
                }
            }
            let taken: [Item]
            if items.count <= most {
                taken = items
                items.removeAll(keepingCapacity: true)
            } else {
                taken = Array(items.prefix(most))
                items.removeFirst(most)
            }
            handling = true
            condition.unlock()
            handle(taken)
            condition.lock()
            handling = false
            let idle = items.isEmpty
            condition.unlock()
            if idle { onIdle?() }
        }
    }
}
