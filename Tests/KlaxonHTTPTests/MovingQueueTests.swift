import Synchronization
import Testing
@testable import KlaxonHTTP

/// `MovingQueue` carries an event loop's answers from the writer thread: every answer once, in
/// the order posted, none kept alive after it is handed out, none leaked when the queue goes.
@Suite(.serialized) struct MovingQueueTests {
    /// Counts its live instances, so a copy kept or a value leaked shows.
    final class Tracked: Sendable {
        static let live = Atomic<Int>(0)
        let n: Int
        init(_ n: Int) { self.n = n; Self.live.add(1, ordering: .relaxed) }
        deinit { Self.live.subtract(1, ordering: .relaxed) }
    }

    @Test func handsOutEveryElementOnceInOrderAcrossGrowthAndReuse() {
        let before = Tracked.live.load(ordering: .relaxed)
        var q = MovingQueue<(Tracked, String)>(capacity: 2)
        var seen: [Int] = []
        var mismatched = 0
        // Three rounds: the first grows the storage from 2 to 256; the others reuse it.
        for round in 0..<3 {
            for i in 0..<200 { q.append((Tracked(round * 1000 + i), "answer \(i)")) }
            #expect(q.count == 200)
            q.drain { element in
                let (t, text) = element
                if text != "answer \(t.n % 1000)" { mismatched += 1 }
                seen.append(t.n)
            }
            #expect(mismatched == 0)
            #expect(q.count == 0)
            // Everything handed out is gone once the body let go of it.
            #expect(Tracked.live.load(ordering: .relaxed) == before)
        }
        #expect(seen == (0..<3).flatMap { round in (0..<200).map { round * 1000 + $0 } })
    }

    @Test func releasesWhatItStillHoldsWhenItGoes() {
        let before = Tracked.live.load(ordering: .relaxed)
        do {
            var q = MovingQueue<Tracked>(capacity: 4)
            for i in 0..<10 { q.append(Tracked(i)) }
            #expect(Tracked.live.load(ordering: .relaxed) == before + 10)
        }
        #expect(Tracked.live.load(ordering: .relaxed) == before)
    }
}
