import Foundation
import Metrics

/// Runs many callers' write work in one transaction (group commit) on a writer thread of its
/// own, then makes it durable (one sync of the log) before any of them hears back, so
/// "committed before the 202" holds for each of them. The callers that arrive while a batch
/// runs and syncs wait in the queue and make up the next batch (up to `maxBatch`): the busier
/// Klaxon is, the more callers share a commit and a sync.
///
/// The same thread syncs: with a second thread syncing one batch while the writer ran the next
/// (until 76acc76, with the transaction kept open for callers that came during the sync), the
/// batches were no bigger (about 21 requests under `make bench`), each batch cost two more
/// thread hand-offs (26 more context switches per 100 alerts), and the server took 3-10% more
/// CPU per alert for 2-11% fewer alerts a second (in 9 of 12 alternating pairs with bench/threads.sh).
/// Without the join window (the writer committing the next batch while a sync thread synced and
/// answered the one before, 2026-12-06, 256 connections), commits and syncs halved in size and
/// the rate fell by up to 12% in 7 of 8 pairs (the same in one).
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

    private let store: any IncidentStore
    /// Work waiting for a transaction; its thread runs it in batches of at most `maxBatch`.
    private var writer: Worker<any CommitWork>!
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

    /// `idleLinger`: how long an idle writer thread waits for work before it ends (a new one
    /// starts on demand).
    public init(store: any IncidentStore, maxBatch: Int = 1024, idleLinger: TimeInterval = 2) {
        self.store = store
        self.maxBatch = maxBatch
        writer = Worker(name: "klaxon-writer", most: maxBatch, linger: idleLinger) { [weak self] work in self?.commit(work) }
    }

    /// Queues `work`; `completion` runs on the writer thread once the transaction that ran it
    /// committed and reached the disk (with `work`'s result), or failed. Keep `completion`
    /// short: hand off to your own thread or executor.
    public func submit<T: Sendable>(_ work: @escaping @Sendable (any StoreTransaction) throws -> T,
                                    completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        writer.add(ClosureWork(work: work, completion: completion))
    }

    /// Queues `work` (one object for the whole request: no closures to allocate); its `finish`
    /// runs on the writer thread once the transaction that ran it committed and reached the disk
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

    /// Runs and commits one batch, syncs it, and tells its callers.
    private func commit(_ work: [any CommitWork]) {
        let start = DispatchTime.now().uptimeNanoseconds
        /// The transaction's own failure, or the sync's: every caller in it failed.
        var batchError: (any Error)?
        /// After a retry with a savepoint per caller: each caller's own failure, in `work`'s order.
        var failures: [(any Error)?]?
        do {
            try store.writeBlocking { tx in
                for w in work { try w.run(tx) }
            }
        } catch {
            // Someone's work failed (or the commit did): again, each caller on its own.
            var each = [(any Error)?](repeating: nil, count: work.count)
            do {
                try store.writeBlocking { tx in
                    for (i, w) in work.enumerated() {
                        do { try tx.savepoint { try w.run(tx) } } catch { each[i] = error }
                    }
                }
                failures = each
            } catch let retryError {
                batchError = retryError
            }
        }
        let synced = DispatchTime.now().uptimeNanoseconds
        commitTime.recordNanoseconds(Int64(synced - start))
        batchSize.record(work.count)
        if batchError == nil {
            do { try store.makeDurable() } catch { batchError = error }
            syncTime.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - synced))
            syncSize.record(work.count)
        }
        if let failures {
            for (w, failure) in zip(work, failures) { w.finish(batchError ?? failure) }
        } else {
            for w in work { w.finish(batchError) }
        }
    }
}

/// One caller's part of a group commit (see `GroupCommitter`). `run` happens inside the shared
/// transaction on the writer thread, perhaps twice (a retry in a savepoint of its own after
/// another caller's failure: it must depend only on what it reads in the transaction and what it
/// holds); `finish` after the transaction committed and reached the disk (nil) or failed, on the
/// same thread. Never both at once.
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

    init(name: String, most: Int, linger: TimeInterval, handle: @escaping ([Item]) -> Void) {
        self.name = name; self.most = most; self.linger = linger; self.handle = handle
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
        // Two buffers take turns: the queue fills one while `handle` works through the other, so
        // no batch allocates (handing out the queue's own buffer made the queue allocate a new
        // one of the same capacity for every batch: 2.5% of the writer's time under `make bench`).
        var taken: [Item] = []
        while true {
            taken.removeAll(keepingCapacity: true)
            condition.lock()
            while items.isEmpty {
                if !condition.wait(until: Date(timeIntervalSinceNow: linger)), items.isEmpty {
                    running = false
                    condition.unlock()
                    return
                }
            }
            if items.count <= most {
                swap(&taken, &items)
            } else {
                taken.append(contentsOf: items.prefix(most))
                items.removeFirst(most)
            }
            condition.unlock()
            handle(taken)
        }
    }
}
