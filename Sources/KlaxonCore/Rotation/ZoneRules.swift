import Foundation

/// A zone's UTC-offset transitions from 1900 to 2200, read once from Foundation and cached, so that
/// offset lookups and local-time resolution are a binary search plus arithmetic on Unix seconds.
/// Instants outside that range fall back to Foundation.
final class ZoneRules: Sendable {
    let zone: TimeZone
    /// Instants (Unix seconds) at which `offsets[i + 1]` takes over from `offsets[i]`.
    let transitions: [Int]
    let offsets: [Int]
    static let lo = -2_208_988_800   // 1900-01-01T00:00:00Z
    static let hi = 7_258_118_400    // 2200-01-01T00:00:00Z

    private init(zone: TimeZone) {
        self.zone = zone
        var ts: [Int] = []
        var os: [Int] = [zone.secondsFromGMT(for: Date(unixSeconds: Self.lo))]
        var t = Date(unixSeconds: Self.lo)
        while let next = zone.nextDaylightSavingTimeTransition(after: t), next.unixSeconds < Self.hi {
            let u = next.unixSeconds
            let off = zone.secondsFromGMT(for: Date(unixSeconds: u))
            if off != os.last!, u > (ts.last ?? Int.min) { ts.append(u); os.append(off) }
            t = next > t ? next : t.addingTimeInterval(1)
        }
        transitions = ts
        offsets = os
    }

    private static let cache = ZoneRulesCache()

    /// The (cached) rules of `zone`.
    static func of(_ zone: TimeZone) -> ZoneRules {
        cache.rules(zone.identifier) { ZoneRules(zone: zone) }
    }

    /// Index of the first transition after `u` (= number of transitions at or before `u`).
    @inline(__always) private func index(after u: Int) -> Int {
        var lo = 0, hi = transitions.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if transitions[mid] <= u { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// UTC offset in seconds at instant `u`.
    @inline(__always) func offset(at u: Int) -> Int {
        guard u >= Self.lo, u < Self.hi else { return zone.secondsFromGMT(for: Date(unixSeconds: u)) }
        return offsets[index(after: u)]
    }

    /// Wall-clock seconds since the local epoch at instant `u`.
    @inline(__always) func localSeconds(at u: Int) -> Int { u + offset(at: u) }

    /// The first instant after `u` at which the offset changes.
    func nextTransition(after u: Int) -> Int? {
        if u >= Self.lo, u < Self.hi {
            let i = index(after: u)
            if i < transitions.count { return transitions[i] }
        }
        var t = Date(unixSeconds: max(u, Self.lo))
        var before = offset(at: t.unixSeconds)
        for _ in 0..<8 {
            guard let n = zone.nextDaylightSavingTimeTransition(after: t) else { return nil }
            let after = zone.secondsFromGMT(for: n)
            if after != before, n.unixSeconds > u { return n.unixSeconds }
            before = after
            t = n
        }
        return nil
    }

    /// Offset transitions in [from, to): (instant, offset before, offset after).
    func transitions(from: Int, to: Int) -> [(at: Int, before: Int, after: Int)] {
        var out: [(Int, Int, Int)] = []
        var u = from - 1
        while let t = nextTransition(after: u), t < to {
            out.append((t, offset(at: t - 1), offset(at: t)))
            u = t
        }
        return out
    }

    /// RFC 5545 resolution of a local wall-clock second: a time in a spring-forward gap is read with
    /// the offset before the gap; a time that occurs twice means its first occurrence.
    func instant(ofLocal local: Int) -> Int {
        // Offsets are within ±18h and real zones change at most once within 36 hours.
        let early = offset(at: local - 64_800)
        let late = offset(at: local + 64_800)
        if offset(at: local - early) == early { return local - early }
        if late != early, offset(at: local - late) == late { return local - late }
        return local - early   // in a gap: the offset before it
    }
}

private final class ZoneRulesCache: @unchecked Sendable {
    private let lock = NSLock()
    private var map: [String: ZoneRules] = [:]

    func rules(_ key: String, make: () -> ZoneRules) -> ZoneRules {
        lock.lock()
        defer { lock.unlock() }
        if let r = map[key] { return r }
        let r = make()
        map[key] = r
        return r
    }
}

/// One change of a zone's UTC offset (a DST change or a change of standard time).
public struct ZoneTransition: Sendable, Hashable {
    public var at: Date
    public var offsetBefore: Int
    public var offsetAfter: Int
    public init(at: Date, offsetBefore: Int, offsetAfter: Int) { self.at = at; self.offsetBefore = offsetBefore; self.offsetAfter = offsetAfter }
}

extension TimeZone {
    /// RFC 5545 resolution of a local wall time: nonexistent (spring-forward gap) -> the instant given by
    /// the UTC offset before the gap (02:30 on a New York spring-forward day is 03:30 EDT); ambiguous (fall back) -> first occurrence.
    public func instant(of local: LocalDateTime) -> Date {
        Date(unixSeconds: ZoneRules.of(self).instant(ofLocal: local.localSeconds))
    }

    /// The local date and wall time (seconds dropped) of `instant` in this zone.
    public func localDateTime(of instant: Date) -> LocalDateTime {
        LocalDateTime(localSeconds: ZoneRules.of(self).localSeconds(at: instant.unixSeconds))
    }

    /// The offset changes of this zone in [from, to).
    public func offsetTransitions(from: Date, to: Date) -> [ZoneTransition] {
        ZoneRules.of(self).transitions(from: from.unixSeconds, to: Int(to.timeIntervalSince1970.rounded(.up))).map {
            ZoneTransition(at: Date(unixSeconds: $0.at), offsetBefore: $0.before, offsetAfter: $0.after)
        }
    }
}
