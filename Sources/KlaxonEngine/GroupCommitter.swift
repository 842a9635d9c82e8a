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
    /// A caller's work as `submit` takes it: its closures, and its result until it is finished.
    private final class ClosureWork<T: Sendable>: CommitWork, @unchecked Sendable {
        // `run` happens inside a transaction on the writer thread, `finish` after it; never concurrently.
        let work: @Sendable (any StoreTransaction) throws -> T
        let completion: @Sendable (Result<T, any Error>) -> Void
        var result: T?
        init(work: @escaping @Sendable (any StoreTransaction) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
            self.work = work; self.completion = completion
        }
        func run(_ tx: any StoreTransaction) throws { result = try work(tx) }
        func finish(_ error: (any Error)?) {
            if let error { completion(.failure(error)) } else if let result { completion(.success(result)) } else { completion(.failure(CommitterError.notRun)) }
        }
    }

    /// Batches handed from the writer to the syncer.
    private struct Committed {
        var work: [any CommitWork]
        /// The transaction's own failure (every caller in it failed).
        var error: (any Error)?
        /// After a retry with a savepoint per caller: each caller's own failure, in `work`'s order.
        var failures: [(any Error)?]?
    }

    private let store: any IncidentStore
    /// Work waiting for a transaction; its thread runs it in batches of at most `maxBatch`.
    private var writer: Worker<any CommitWork>!
    /// Batches committed (or failed) but not yet on disk, oldest first; its thread syncs them.
    private var syncer: Worker<Committed>!
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
        writer.add(ClosureWork(work: work, completion: completion))
    }

    /// Queues `work` (one object for the whole request: no closures to allocate); its `finish`
    /// runs on the sync thread once the transaction that ran it committed and reached the disk
    /// (with nil), or failed (with the error). Keep `finish` short.
    func submit(_ work: any CommitWork) {
        writer.add(work)
    }

    /// The same, awaited.
    public func submit<T: Sendable>(_ work: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            submit(work) { c.resume(with: $0) }
        }
    }

    enum CommitterError: Error { case notRun }

    /// Commits one batch and hands it to the syncer; the next batch can run while the disk syncs.
    private func commit(_ first: [any CommitWork]) {
        let start = DispatchTime.now().uptimeNanoseconds
        var work = first
        defer {
            commitTime.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
            batchSize.record(work.count)
        }
        var committed = Committed(work: [], error: nil, failures: nil)
        do {
            try store.writeBlocking { tx in
                for w in work { try w.run(tx) }
                // While the disk still syncs earlier batches, anything committed now waits for
                // the next sync anyway: the callers that come meanwhile join this transaction
                // (up to `maxBatch`, for at most `joinWindow`), and one commit costs less than
                // several (BEGIN, COMMIT, the log row, the WAL pages are per transaction).
                if joinWindow > 0 {
                    let until = DispatchTime.now().uptimeNanoseconds + joinWindow
                    while work.count < maxBatch {
                        // Only while the syncer is busy: once it is free, this commits at once.
                        let more = writer.takeMore(most: maxBatch - work.count, until: until) { [syncer] in syncer!.isBusy }
                        if more.isEmpty { break }
                        for w in more { try w.run(tx) }
                        work += more
                    }
                }
            }
        } catch {
            // Someone's work failed (or the commit did): again, each caller on its own.
            var failures = [(any Error)?](repeating: nil, count: work.count)
            do {
                try store.writeBlocking { tx in
                    for (i, w) in work.enumerated() {
                        do { try tx.savepoint { try w.run(tx) } } catch { failures[i] = error }
                    }
                }
                committed.failures = failures
            } catch {
                committed.error = error
            }
        }
        committed.work = work
        syncer.add(committed)
    }

    /// One sync for every batch committed so far, then their callers hear back, oldest first.
    private func sync(_ batches: [Committed]) {
        var syncError: (any Error)?
        if batches.contains(where: { $0.error == nil }) {
            let start = DispatchTime.now().uptimeNanoseconds
            do { try store.makeDurable() } catch { syncError = error }
            syncTime.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
            syncSize.record(batches.reduce(0) { $0 + $1.work.count })
        }
        for batch in batches {
            let error = batch.error ?? syncError
            if let failures = batch.failures {
                for (w, failure) in zip(batch.work, failures) { w.finish(error ?? failure) }
            } else {
                for w in batch.work { w.finish(error) }
            }
        }
    }
}

/// One caller's part of a group commit (see `GroupCommitter`). `run` happens inside the shared
/// transaction on the writer thread, perhaps twice (a retry in a savepoint of its own after
/// another caller's failure: it must depend only on what it reads in the transaction and what it
/// holds); `finish` after the transaction committed and reached the disk (nil) or failed, on the
/// sync thread. Never both at once.
protocol CommitWork: AnyObject, Sendable {
    func run(_ tx: any StoreTransaction) throws
    func finish(_ error: (any Error)?)
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
