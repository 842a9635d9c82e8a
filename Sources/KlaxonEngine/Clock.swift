import Foundation

/// A value behind a lock, shareable across tasks.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    /// Reached only under `lock` (no run-time exclusivity check needed on top of it).
    @exclusivity(unchecked) private var value: Value
    public init(_ value: Value) { self.value = value }
    public func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
    public var current: Value { withLock { $0 } }
}

/// A one-waiter wake-up signal. A signal sent while nobody waits is kept for the next wait.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Locked(State())

    public init() {}

    public func signal() {
        let c: CheckedContinuation<Void, Never>? = state.withLock { s in
            if let w = s.waiter { s.waiter = nil; return w }
            s.pending = true
            return nil
        }
        c?.resume()
    }

    /// Returns at the next signal (or at once if one is pending), or when the task is cancelled.
    public func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { s in
                    if s.pending || Task.isCancelled { s.pending = false; return true }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            signal()
        }
    }
}

/// Where the engine gets the time from, and how it waits. Injected everywhere, so tests and
/// `klaxon simulate` run days in milliseconds.
public protocol KlaxonClock: Sendable {
    var now: Date { get }
    /// Returns when `deadline` passes (never, if nil), when `wakeup` is signalled, or on cancellation.
    func sleep(until deadline: Date?, wakeup: Wakeup) async
}

/// The wall clock.
public struct SystemClock: KlaxonClock {
    public init() {}
    public var now: Date { Date() }

    public func sleep(until deadline: Date?, wakeup: Wakeup) async {
        guard let deadline else { await wakeup.wait(); return }
        let delay = deadline.timeIntervalSinceNow
        if delay <= 0 { return }
        let timer = Task {
            try? await Task.sleep(nanoseconds: UInt64(min(delay, 86_400 * 365) * 1_000_000_000))
            if !Task.isCancelled { wakeup.signal() }
        }
        await wakeup.wait()
        timer.cancel()
    }
}

/// A clock that moves only when told to: for tests, `simulate`, and `serve --virtual-clock`.
public final class ManualClock: KlaxonClock {
    private struct State {
        var now: Date
        var sleepers: [(deadline: Date, wakeup: Wakeup)] = []
    }
    private let state: Locked<State>

    public init(now: Date) { state = Locked(State(now: now)) }

    public var now: Date { state.withLock { $0.now } }

    /// Moves the clock forward (never back) and wakes every sleeper whose deadline passed.
    public func advance(to t: Date) {
        let due: [Wakeup] = state.withLock { s in
            if t > s.now { s.now = t }
            let now = s.now
            let woken = s.sleepers.filter { $0.deadline <= now }.map(\.wakeup)
            s.sleepers.removeAll { $0.deadline <= now }
            return woken
        }
        due.forEach { $0.signal() }
    }

    public func advance(by seconds: TimeInterval) { advance(to: now.addingTimeInterval(seconds)) }

    public func sleep(until deadline: Date?, wakeup: Wakeup) async {
        if let deadline {
            let passed: Bool = state.withLock { s in
                if deadline <= s.now { return true }
                s.sleepers.append((deadline, wakeup))
                return false
            }
            if passed { return }
        }
        await wakeup.wait()
    }
}
