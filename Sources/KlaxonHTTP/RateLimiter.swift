import Foundation
import KlaxonEngine

/// A token bucket per integration: `ratePerSecond` refill, `burst` capacity.
final class RateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var at: Date }
    private let buckets = Locked<[String: Bucket]>([:])

    /// Takes one token; returns nil when allowed, or the seconds until one is available.
    func take(_ key: String, ratePerSecond: Double, burst: Double, now: Date) -> TimeInterval? {
        buckets.withLock { all in
            var b = all[key] ?? Bucket(tokens: burst, at: now)
            let elapsed = max(0, now.timeIntervalSince(b.at))
            b.tokens = min(burst, b.tokens + elapsed * ratePerSecond)
            b.at = now
            defer { all[key] = b }
            if b.tokens >= 1 {
                b.tokens -= 1
                return nil
            }
            return (1 - b.tokens) / ratePerSecond
        }
    }
}
