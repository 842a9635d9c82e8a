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
    typealias Answer = (hop: AnswerHop, reply: IngestReply, request: IngestRequest?)
    let loop: any EventLoop
    private let lock = NIOLock()
    // Under `lock`: the answers posted and whether a drain is scheduled.
    private var posted = MovingQueue<Answer>()
    private var scheduled = false
    /// The loop's own: what the drain works through (two buffers take turns, so neither allocates).
    private var taken = MovingQueue<Answer>()

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// From any thread.
    func post(_ hop: AnswerHop, _ reply: consuming IngestReply, _ request: consuming IngestRequest?) {
        // Locked by hand: a closure would capture the answer and copy it into the queue.
        lock.lock()
        posted.append((hop, consume reply, consume request))
        let schedule = !scheduled
        scheduled = true
        lock.unlock()
        if schedule { loop.execute { self.drain() } }
    }

    /// On the loop.
    private func drain() {
        lock.withLock {
            swap(&posted, &taken)
            scheduled = false
        }
        taken.drain { answer in
            answer.hop.handler.value.answered(answer.reply)
            // Freed here, on the thread that allocated it (see `IncidentService.ingest`).
            answer.request?.drop()
        }
    }
}

/// A first-in, first-out queue whose elements are moved in and moved out, never copied: the
/// mailbox's answers. (An array's loop copied each answer out, a retain of the hop, the reply's
/// ids and the request, then released them twice: once after the iteration, once when emptied.)
struct MovingQueue<Element>: ~Copyable {
    private var base: UnsafeMutablePointer<Element>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    mutating func append(_ element: consuming Element) {
        if count == capacity {
            let grown = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: base, count: count)
            base.deallocate()
            base = grown
            capacity *= 2
        }
        (base + count).initialize(to: element)
        count += 1
    }

    /// Hands each element to `body` in the order they came, and empties the queue (its
    /// capacity stays).
    mutating func drain(_ body: (consuming Element) -> Void) {
        let n = count
        count = 0
        for i in 0..<n { body((base + i).move()) }
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
