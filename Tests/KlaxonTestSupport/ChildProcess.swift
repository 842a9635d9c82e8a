import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child process started with `posix_spawn`: the part of Foundation's `Process` the tests use,
/// with the same names.
///
/// Why not `Process`: swift-corelibs-foundation's `Process.run()` (Swift 6.3.1) lists
/// `/proc/self/fd` to close the parent's descriptors in the child and over-reads a directory
/// entry's name (swift-corelibs-foundation PR #5472); with some 1,350 descriptors open, as the
/// parallel HTTP tests' SQLite stores and sockets make, it crashed the whole test process in
/// `memmove`. Here the child closes every descriptor above 2 with one file action
/// (`posix_spawn_file_actions_addclosefrom_np`, glibc 2.34), and one thread per child waits for
/// it with `waitpid` on its own pid.
public final class ChildProcess: @unchecked Sendable {
    public enum TerminationReason: Sendable { case exit, uncaughtSignal }

    public var executableURL: URL?
    public var arguments: [String] = []
    public var environment: [String: String]?
    /// A `Pipe` or a `FileHandle`, as with `Process`; nil leaves the parent's.
    public var standardInput: Any?
    public var standardOutput: Any?
    public var standardError: Any?
    public var terminationHandler: (@Sendable (ChildProcess) -> Void)?

    private let lock = NSCondition()
    private var pid: pid_t = 0
    private var started = false
    private var ended = false
    private var status: Int32 = 0
    private var reason: TerminationReason = .exit

    public init() {}

    public var processIdentifier: Int32 { lock.withLock { pid } }
    public var isRunning: Bool { lock.withLock { started && !ended } }
    public var terminationStatus: Int32 { lock.withLock { status } }
    public var terminationReason: TerminationReason { lock.withLock { reason } }

    public struct SpawnError: Error, CustomStringConvertible {
        public let description: String
    }

    public func run() throws {
        guard let path = executableURL?.path else { throw SpawnError(description: "no executableURL") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var closeAfter: [FileHandle] = []
        for (slot, target) in [(standardInput, Int32(0)), (standardOutput, 1), (standardError, 2)] {
            let fd: Int32
            switch slot {
            case let p as Pipe:
                let end = target == 0 ? p.fileHandleForReading : p.fileHandleForWriting
                fd = end.fileDescriptor
                closeAfter.append(end)
            case let h as FileHandle: fd = h.fileDescriptor
            case nil: continue
            default: throw SpawnError(description: "standard stream \(target) is neither a Pipe nor a FileHandle")
            }
            posix_spawn_file_actions_adddup2(&actions, fd, target)
        }
        guard Self.closeFrom(&actions, 3) == 0 else { throw SpawnError(description: "posix_spawn_file_actions_addclosefrom_np failed") }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no blocked signals and default handlers, whatever the test
        // process (NIO, Dispatch) set.
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + env { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, env)
        guard rc == 0 else { throw SpawnError(description: "posix_spawn \(path): \(String(cString: strerror(rc)))") }
        // The parent's copies of the child's pipe ends: closed, so a reader sees EOF when the
        // child exits.
        for h in closeAfter { try? h.close() }
        lock.withLock { pid = child; started = true }

        let spawned = child
        Thread { [self] in
            var raw: Int32 = 0
            while waitpid(spawned, &raw, 0) == -1 && errno == EINTR {}
            let signaled = (raw & 0x7f) != 0 && (raw & 0x7f) != 0x7f
            let handler: (@Sendable (ChildProcess) -> Void)? = lock.withLock {
                ended = true
                status = signaled ? raw & 0x7f : (raw >> 8) & 0xff
                reason = signaled ? .uncaughtSignal : .exit
                lock.broadcast()
                return terminationHandler
            }
            handler?(self)
        }.start()
    }

    public func waitUntilExit() {
        lock.withLock { while started && !ended { lock.wait() } }
    }

    /// SIGTERM, as `Process.terminate()`.
    public func terminate() {
        let p: pid_t = lock.withLock { started && !ended ? pid : 0 }
        if p > 0 { kill(p, SIGTERM) }
    }

    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// `posix_spawn_file_actions_addclosefrom_np`, which Swift's Glibc module does not show: looked up once.
    nonisolated(unsafe) private static let closeFromFunction: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    private static func closeFrom(_ actions: inout posix_spawn_file_actions_t, _ low: Int32) -> Int32 {
        guard let f = closeFromFunction else { return -1 }
        return f(&actions, low)
    }
}
