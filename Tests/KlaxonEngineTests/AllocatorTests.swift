import CJemalloc
import Testing

/// `CJemalloc` puts jemalloc in front of the C library's malloc for the whole process: this test
/// bundle links it as `klaxon` does, so the Swift runtime's own allocations must land there.
@Suite struct AllocatorTests {
    @Test func swiftAllocationsGoThroughJemalloc() {
        let version = String(cString: klaxon_jemalloc_version())
        #expect(version.split(separator: ".").count >= 3, "a version such as 5.3.0-0-g…, got \(version)")

        // A synchronous test runs on one thread, so jemalloc's per-thread counter sees the array.
        let before = klaxon_jemalloc_thread_allocated()
        #expect(before >= 0)
        let bytes = [UInt8](repeating: 7, count: 4 << 20)
        let after = klaxon_jemalloc_thread_allocated()
        #expect(after - before >= 4 << 20)
        #expect(bytes.last == 7)
    }
}
