import Foundation

/// Runs many callers' write work in one transaction (group commit). Each caller's work runs in
/// its own savepoint, so one failing caller does not undo the others; every caller resumes only
/// after the shared transaction committed (or with the commit's error).
public final class GroupCommitter: Sendable {
    private final class Job: @unchecked Sendable {
        // `run` happens inside the transaction, `finish` after it; never concurrently.
        let run: (any StoreTransaction) -> Void
        let finish: ((any Error)?) -> Void
        init(run: @escaping (any StoreTransaction) -> Void, finish: @escaping ((any Error)?) -> Void) {
            self.run = run; self.finish = finish
        }
    }

    private final class Slot<T>: @unchecked Sendable { var result: Result<T, any Error>? }

    private struct State {
        var queue: [Job] = []
        var draining = false
    }

    private let store: any IncidentStore
    private let state = Locked(State())
    /// The most callers one transaction takes.
    let maxBatch: Int

    public init(store: any IncidentStore, maxBatch: Int = 512) {
        self.store = store
        self.maxBatch = maxBatch
    }

    public func submit<T: Sendable>(_ work: @escaping @Sendable (any StoreTransaction) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            let slot = Slot<T>()
            let job = Job(run: { tx in slot.result = Result { try tx.savepoint { try work(tx) } } },
                          finish: { error in
                              if let error { c.resume(throwing: error) } else { c.resume(with: slot.result!) }
                          })
            let start: Bool = state.withLock { s in
                s.queue.append(job)
                if s.draining { return false }
                s.draining = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let jobs: [Job] = state.withLock { s in
                let batch = Array(s.queue.prefix(maxBatch))
                s.queue.removeFirst(batch.count)
                if batch.isEmpty { s.draining = false }
                return batch
            }
            if jobs.isEmpty { return }
            do {
                try await store.write { tx in
                    for job in jobs { job.run(tx) }
                }
                for job in jobs { job.finish(nil) }
            } catch {
                for job in jobs { job.finish(error) }
            }
        }
    }
}
