#if canImport(Glibc)
import Glibc
#endif

/// Caps glibc's malloc arenas at two for the whole process, unless `MALLOC_ARENA_MAX` is set.
///
/// By default glibc gives each thread that allocates an arena of its own, up to eight per core.
/// Klaxon's memory passes between threads: it is allocated on the event loops and the Swift
/// concurrency pool and freed on the writer thread, and the other way round. Memory
/// freed into one arena is not reused by another, so the arenas grow apart. Measured with
/// `make bench-escalation` (10,000 escalations): peak memory 172 MiB with the default, 97 MiB
/// with two arenas, 75 MiB with one. The `make bench` rate did not change measurably. Call it
/// first thing in `main`, before any thread starts. Returns whether the cap was set.
///
/// Klaxon's executables link jemalloc (`CJemalloc`, capped at two arenas there), which takes
/// every `malloc` in the process; this cap matters only to a build without it.
@discardableResult
public func limitMallocArenas(to count: Int32 = 2) -> Bool {
    #if canImport(Glibc)
    guard getenv("MALLOC_ARENA_MAX") == nil else { return false }
    // `mallopt` is in <malloc.h>, which Swift's Glibc module leaves out; M_ARENA_MAX is -8 there.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(nil, "mallopt") else { return false }
    return unsafeBitCast(symbol, to: Mallopt.self)(-8, count) == 1
    #else
    return false
    #endif
}
