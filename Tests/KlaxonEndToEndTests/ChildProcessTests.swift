import Foundation
import KlaxonTestSupport
import Testing

/// The tests' `ChildProcess`: what the child gets and how its end is reported.
@Suite(.serialized)
struct ChildProcessTests {
    /// With up to 1,500 extra descriptors open in this process (Foundation's `Process` crashed
    /// near 1,350), the child starts and inherits only standard input, output and error.
    @Test func theChildInheritsNoDescriptorButItsThreeStreams() throws {
        // The soft limit may be 1,024: raised to the hard one, as `ulimit -n` can.
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = min(limit.rlim_max, 65_536)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        // Tests of other suites run meanwhile and hold up to ~1,400 descriptors: 2,500 of the
        // limit stay theirs, so a low hard limit means fewer extra descriptors, never starved tests.
        let affordable = min(1_500, max(64, Int(limit.rlim_cur) - 2_500))
        var extra: [Int32] = []
        defer { for fd in extra { close(fd) } }
        for _ in 0..<affordable {
            let fd = open("/dev/null", O_RDONLY)
            if fd < 0 { break }
            extra.append(fd)
        }
        try #require(extra.count >= 64, "only \(extra.count) descriptors could be opened")
        let p = ChildProcess()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The shell's own listing of /proc/self/fd opens one descriptor for the directory.
        p.arguments = ["-c", "ls /proc/self/fd; exit 3"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let listed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: "\n").compactMap { Int($0) }
        p.waitUntilExit()
        #expect(p.terminationStatus == 3)
        #expect(p.terminationReason == .exit)
        #expect(!p.isRunning)
        #expect(Set(listed).isSuperset(of: [0, 1, 2]))
        #expect(listed.count <= 4, "the child inherited \(listed)")
    }

    @Test func aSignalEndsItAndIsReported() throws {
        let p = ChildProcess()
        p.executableURL = URL(fileURLWithPath: "/bin/sleep")
        p.arguments = ["60"]
        let ended = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in ended.signal() }
        try p.run()
        #expect(p.isRunning)
        #expect(p.processIdentifier > 0)
        p.terminate()
        #expect(ended.wait(timeout: .now() + 30) == .success)
        #expect(p.terminationReason == .uncaughtSignal)
        #expect(p.terminationStatus == SIGTERM)
    }

    @Test func aMissingBinaryIsAnError() {
        let p = ChildProcess()
        p.executableURL = URL(fileURLWithPath: "/nonexistent/klaxon")
        #expect(throws: ChildProcess.SpawnError.self) { try p.run() }
        #expect(!p.isRunning)
    }
}
