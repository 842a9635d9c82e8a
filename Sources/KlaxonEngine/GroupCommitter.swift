import Foundation

/// Runs many callers' write work in one transaction (group commit) on a writer thread of its
/// own. Every caller hears back only after the shared transaction committed and reached the
/// disk (or with the error), so "committed before the 202" holds for each of them. The disk
/// sync runs on a second thread, once for all batches committed meanwhile, while the writer
/// goes on with the next batch.
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
    /// Guards `queue` and `writerRunning`; the writer thread waits on it.
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var writerRunning = false
    /// Guards `committed` and `syncerRunning`; the syncer thread waits on it.
    private let syncCondition = NSCondition()
    /// Batches committed (or failed) but not yet on disk, oldest first.
    private var committed: [(jobs: [Job], error: (any Error)?)] = []
    private var syncerRunning = false
    /// The most callers one transaction takes.
    let maxBatch: Int
    /// How long an idle writer thread waits for work before it ends (a new one starts on demand).
    let idleLinger: TimeInterval

    public init(store: any IncidentStore, maxBatch: Int = 1024, idleLinger: TimeInterval = 2) {
        self.store = store
        self.maxBatch = maxBatch
        self.idleLinger = idleLinger
    }

    /// Queues `work`; `completion` runs on the writer thread once the transaction that ran it
    /// committed (with `work`'s result) or failed. Keep `completion` short: hand off to your
    /// own thread or executor.
    public func submit<T: Sendable>(_ work: @escaping @Sendable (any StoreTransaction) throws -> T,
                                    completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let slot = Slot<T>()
        let job = Job(run: { tx, isolated in
            if isolated {
                slot.result = Result { try tx.savepoint { try work(tx) } }
            } else {
                slot.result = .success(try work(tx))
            }
        }, finish: { error in
            if let error { completion(.failure(error)) } else { completion(slot.result ?? .failure(CommitterError.notRun)) }
        })
        condition.lock()
        queue.append(job)
        let start = !writerRunning
        if start { writerRunning = true }
        condition.signal()
        condition.unlock()
        if start {
            let thread = Thread { [self] in self.writerLoop() }
            thread.name = "klaxon-writer"
            thread.start()
        }
    }

    /// The same, awaited.
    public func submit<T: Sendable>(_ work: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            submit(work) { c.resume(with: $0) }
        }
    }

    enum CommitterError: Error { case notRun }

    private func writerLoop() {
        // Named for top -H and perf (Foundation's Thread.name does not reach the kernel here).
        try? "klaxon-writer".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        while true {
            condition.lock()
            while queue.isEmpty {
                if !condition.wait(until: Date(timeIntervalSinceNow: idleLinger)), queue.isEmpty {
                    writerRunning = false
                    condition.unlock()
                    return
                }
            }
            let jobs: [Job]
            if queue.count <= maxBatch {
                jobs = queue
                queue.removeAll(keepingCapacity: true)
            } else {
                jobs = Array(queue.prefix(maxBatch))
                queue.removeFirst(maxBatch)
            }
            condition.unlock()
            commit(jobs)
        }
    }

    /// Commits one batch and hands it to the syncer; the next batch can run while the disk syncs.
    private func commit(_ jobs: [Job]) {
        var failure: (any Error)?
        do {
            try store.writeBlocking { tx in
                for job in jobs { try job.run(tx, false) }
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
        syncCondition.lock()
        committed.append((jobs, failure))
        let start = !syncerRunning
        if start { syncerRunning = true }
        syncCondition.signal()
        syncCondition.unlock()
        if start {
            let thread = Thread { [self] in self.syncerLoop() }
            thread.start()
        }
    }

    /// One sync for every batch committed so far, then their callers hear back, oldest first.
    private func syncerLoop() {
        try? "klaxon-sync".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
        while true {
            syncCondition.lock()
            while committed.isEmpty {
                if !syncCondition.wait(until: Date(timeIntervalSinceNow: idleLinger)), committed.isEmpty {
                    syncerRunning = false
                    syncCondition.unlock()
                    return
                }
            }
            let batches = committed
            committed.removeAll(keepingCapacity: true)
            syncCondition.unlock()
            var syncError: (any Error)?
            if batches.contains(where: { $0.error == nil }) {
                do { try store.makeDurable() } catch { syncError = error }
            }
            for batch in batches {
                let error = batch.error ?? syncError
                for job in batch.jobs { job.finish(error) }
            }
        }
    }
}
