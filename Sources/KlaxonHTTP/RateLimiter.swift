import Foundation
import KlaxonEngine

/// One token bucket: `ratePerSecond` refill, `burst` capacity.
final class TokenBucket: Sendable {
    private struct State { var tokens: Double; var at: Date? }
    private let state = Locked(State(tokens: 0, at: nil))

    /// Takes one token; returns nil when allowed, or the seconds until one is available.
    func take(ratePerSecond: Double, burst: Double, now: Date) -> TimeInterval? {
        state.withLock { b in
            if b.at == nil { b = State(tokens: burst, at: now) }
            let elapsed = max(0, now.timeIntervalSince(b.at!))
            b.tokens = min(burst, b.tokens + elapsed * ratePerSecond)
            b.at = now
            if b.tokens >= 1 {
                b.tokens -= 1
                return nil
            }
            return (1 - b.tokens) / ratePerSecond
        }
    }
}

/// A token bucket per integration name; a bucket outlives configuration reloads.
final class RateLimiter: Sendable {
    private let buckets = Locked<[String: TokenBucket]>([:])

    func bucket(_ key: String) -> TokenBucket {
        buckets.withLock { all in
            if let b = all[key] { return b }
            let b = TokenBucket()
            all[key] = b
            return b
        }
    }
}
