import KlaxonEngine
import NIOConcurrencyHelpers
import NIOCore

/// Carries the engine's answers from the group committer's writer thread back to the event
/// loops, a batch at a time.
///
/// The writer finishes the callers of a commit one after the other (about 80 of them per commit
/// under `make bench`). Each used to hop back with a closure of its own through
/// `EventLoop.execute` (a closure allocated for the hop and two more for the call's completion,
/// and two of NIO's locks for each). Now each connection keeps one `AnswerHop` for all its
/// requests (it has at most one with the engine at a time), and each event loop one mailbox: the
/// writer posts the answer there, and only the first answer of a batch schedules a task on the
/// loop, which then answers every connection whose answer is in.
final class AnswerMailbox: @unchecked Sendable {
    let loop: any EventLoop
    private let lock = NIOLock()
    // Under `lock`: the answers posted and whether a drain is scheduled.
    private var posted: [(AnswerHop, IngestReply, IngestRequest?)] = []
    private var scheduled = false
    /// The loop's own: what the drain works through (two buffers take turns, so neither allocates).
    private var taken: [(AnswerHop, IngestReply, IngestRequest?)] = []

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// From any thread.
    func post(_ hop: AnswerHop, _ reply: IngestReply, _ request: IngestRequest?) {
        let schedule = lock.withLock {
            posted.append((hop, reply, request))
            if scheduled { return false }
            scheduled = true
            return true
        }
        if schedule { loop.execute { self.drain() } }
    }

    /// On the loop.
    private func drain() {
        lock.withLock {
            swap(&posted, &taken)
            scheduled = false
        }
        for (hop, reply, request) in taken {
            hop.handler.value.answered(reply)
            // Freed here, on the thread that allocated it (see `IncidentService.ingest`).
            request?.drop()
        }
        taken.removeAll(keepingCapacity: true)
    }
}

/// One connection's way back from the engine (see `AnswerMailbox`).
final class AnswerHop: IngestListener, @unchecked Sendable {
    let core: IngestCore
    let mailbox: AnswerMailbox
    let handler: NIOLoopBound<IngestWire>
    /// What the answer needs of the request with the engine: set on the loop before the call is
    /// made, read on the writer thread after it ran (the committer's queue orders the two), and
    /// never two requests at once.
    var summary: IngestCore.CallSummary?

    init(core: IngestCore, mailbox: AnswerMailbox, handler: NIOLoopBound<IngestWire>) {
        self.core = core
        self.mailbox = mailbox
        self.handler = handler
    }

    func ingestFinished(_ result: Result<[String], any Error>, request: IngestRequest) {
        guard let summary else {
            // Never: a request is always submitted with its summary set.
            preconditionFailure("an ingest finished with no call summary")
        }
        mailbox.post(self, core.finish(summary, result), request)
    }
}
