import CCurl
import Foundation

/// The multi handle and the one thread that drives it.
///
/// Tasks hand transfers (and cancellations) over through `state` and poke the loop with
/// `curl_multi_wakeup`, always while holding the lock and only before shutdown has been requested, so
/// the loop can clean the multi handle up once it has seen `shuttingDown` without racing a wakeup.
final class Engine: Sendable {
    private struct State {
        var adds: [Transfer] = []
        var cancels: [UInt64] = []
        var shuttingDown = false
        var nextID: UInt64 = 0
    }

    struct Stats {
        var loopThreadsStarted = 0
        /// Threads libcurl called back on, over all completed transfers.
        var callbackThreads: Set<UInt> = []
        var completed = 0
    }

    /// Only the loop thread uses it, but for `curl_multi_wakeup`, which is thread-safe.
    private nonisolated(unsafe) let multi: UnsafeMutableRawPointer
    private let state = Locked(State())
    let stats = Locked(Stats())
    private let exited = Locked(false)
    private let exitCondition = NSCondition()

    init() {
        _ = curlGlobalInit
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed") }
        self.multi = multi
        let thread = Thread { [self] in self.run() }
        thread.name = "klaxon-curl"
        thread.start()
    }

    func nextID() -> UInt64 {
        state.withLock { s in
            s.nextID &+= 1
            return s.nextID
        }
    }

    /// Runs a configured transfer to completion. Cancelling the task removes the transfer from the
    /// multi handle and throws `CancellationError`.
    func submit(_ transfer: Transfer) async throws -> HTTPResponse {
        let id = transfer.id
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPResponse, any Error>) in
                transfer.attach(continuation)
                let accepted = state.withLock { s -> Bool in
                    // The cancellation flag is set before onCancel runs, so checking it under the lock
                    // closes the window where onCancel comes before the transfer is queued.
                    guard !s.shuttingDown, !Task.isCancelled else { return false }
                    s.adds.append(transfer)
                    curl_multi_wakeup(multi)
                    return true
                }
                if !accepted { transfer.finish(.failure(CancellationError())) }
            }
        } onCancel: {
            state.withLock { s in
                guard !s.shuttingDown else { return }
                s.cancels.append(id)
                curl_multi_wakeup(multi)
            }
        }
    }

    /// Fails every pending transfer with `CancellationError` and waits for the loop thread to exit.
    /// Idempotent; every caller returns only once the thread is gone.
    func shutdown() {
        state.withLock { s in
            guard !s.shuttingDown else { return }
            s.shuttingDown = true
            curl_multi_wakeup(multi)
        }
        exitCondition.lock()
        while !exited.withLock({ $0 }) { exitCondition.wait() }
        exitCondition.unlock()
    }

    // MARK: The loop thread

    private func run() {
        stats.withLock { $0.loopThreadsStarted += 1 }
        var active: [UnsafeMutableRawPointer: Transfer] = [:]
        var byID: [UInt64: UnsafeMutableRawPointer] = [:]

        while true {
            let (adds, cancels, stop) = state.withLock { s in
                defer { s.adds = []; s.cancels = [] }
                return (s.adds, s.cancels, s.shuttingDown)
            }
            if stop {
                for transfer in adds { transfer.finish(.failure(CancellationError())) }
                for transfer in active.values {
                    curl_multi_remove_handle(multi, transfer.easy)
                    transfer.finish(.failure(CancellationError()))
                }
                active.removeAll()
                break
            }
            for transfer in adds {
                let rc = curl_multi_add_handle(multi, transfer.easy)
                if rc == CURLM_OK {
                    active[transfer.easy] = transfer
                    byID[transfer.id] = transfer.easy
                } else {
                    transfer.finish(.failure(CurlError(
                        code: Int(CURLE_FAILED_INIT.rawValue),
                        message: "curl_multi_add_handle: " + String(cString: curl_multi_strerror(rc)))))
                }
            }
            for id in cancels {
                // Unknown ids belong to transfers that already finished.
                guard let easy = byID.removeValue(forKey: id), let transfer = active.removeValue(forKey: easy)
                else { continue }
                curl_multi_remove_handle(multi, easy)
                transfer.finish(.failure(CancellationError()))
            }

            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)

            var queued: Int32 = 0
            var done: [(Transfer, CURLcode)] = []
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let transfer = active.removeValue(forKey: easy)
                else { continue }
                // Read the result before removing the handle: that invalidates `message`.
                done.append((transfer, klaxon_msg_result(message)))
                byID.removeValue(forKey: transfer.id)
                curl_multi_remove_handle(multi, easy)
            }
            if !done.isEmpty {
                stats.withLock { s in
                    s.completed += done.count
                    for (transfer, _) in done { if let t = transfer.callbackThread { s.callbackThreads.insert(t) } }
                }
                for (transfer, code) in done { transfer.complete(code) }
                done.removeAll()
            }

            // Sleeps until a socket is ready, libcurl's next timer is due, or a wakeup arrives.
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }

        curl_multi_cleanup(multi)  // closes the cached connections (SMTP ones say QUIT)
        exitCondition.lock()
        exited.withLock { $0 = true }
        exitCondition.broadcast()
        exitCondition.unlock()
    }
}
