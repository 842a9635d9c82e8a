import Foundation

/// A value behind a pthread mutex (NSLock).
///
/// Used instead of `Synchronization.Mutex` because ThreadSanitizer understands pthread mutexes but
/// not Mutex's futex-based locking on Linux, which makes every Mutex-guarded access look like a race.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
