import Foundation

/// A set of weekly windows of local wall time, used for layer restrictions and people's working
/// hours. An instant is inside when its local wall time in the given zone is inside a window.
public struct WeeklyWindows: Sendable, Hashable, CustomStringConvertible {
    public let windows: [RestrictionWindow]
    /// Merged, sorted, non-overlapping [starts[i], ends[i]) within [0, 604 800] seconds of the week.
    let starts: [Int]
    let ends: [Int]
    /// starts and ends interleaved: every second of the week at which inside/outside may flip.
    let edges: [Int]

    /// The union of `windows` (overlapping and wrapping windows are fine; empty ones add nothing).
    public init(_ windows: [RestrictionWindow]) {
        self.windows = windows
        let week = Civil.secondsPerWeek
        var pieces: [(Int, Int)] = []
        for w in windows {
            for (s, len) in w.weekSpans {
                let e = s + len
                if e <= week { pieces.append((s, e)) } else { pieces.append((s, week)); pieces.append((0, e - week)) }
            }
        }
        pieces.sort { $0.0 < $1.0 }
        var ss: [Int] = [], es: [Int] = []
        for (s, e) in pieces {
            if let last = es.last, s <= last { es[es.count - 1] = max(last, e) } else { ss.append(s); es.append(e) }
        }
        starts = ss
        ends = es
        edges = zip(ss, es).flatMap { [$0.0, $0.1] }
    }

    /// Every hour of every day.
    public static let always = WeeklyWindows([RestrictionWindow(start: .midnight, end: .endOfDay)])
    /// No time at all.
    public static let never = WeeklyWindows([])
    /// Mon-Fri 09:00-18:00, the working hours of a person who gives none.
    public static let defaultWorkingHours = WeeklyWindows(
        (1...5).map { RestrictionWindow(startDay: Weekday(rawValue: $0)!, start: WallTime(hour: 9, minute: 0), end: WallTime(hour: 18, minute: 0)) })

    public var isAlways: Bool { starts == [0] && ends == [Civil.secondsPerWeek] }
    public var isNever: Bool { starts.isEmpty }
    /// Total length of the windows in one week of wall time, in seconds.
    public var secondsPerWeek: Int { zip(starts, ends).reduce(0) { $0 + $1.1 - $1.0 } }

    public var description: String {
        if isAlways { return "always" }
        if isNever { return "never" }
        return windows.map(\.description).joined(separator: ", ")
    }

    // MARK: instants

    /// Whether the local wall time of `t` in `tz` is inside a window.
    public func contains(_ t: Date, in tz: TimeZone) -> Bool { contains(t.unixSeconds, ZoneRules.of(tz)) }

    /// The earliest instant at or after `t` that is inside (nil if none within 800 days).
    public func nextEntry(atOrAfter t: Date, in tz: TimeZone) -> Date? {
        let rules = ZoneRules.of(tz)
        let u = t.unixSeconds
        if contains(u, rules) { return t }
        var cur = u
        while let b = nextEdge(after: cur, rules), b - u <= 800 * Civil.secondsPerDay {
            if contains(b, rules) { return Date(unixSeconds: b) }
            cur = b
        }
        return nil
    }

    /// The earliest instant after `t` at which an inside stretch ends (the end of the current one if
    /// `t` is inside, else of the next); nil if there is none within 800 days (e.g. always inside).
    public func nextExit(after t: Date, in tz: TimeZone) -> Date? {
        let rules = ZoneRules.of(tz)
        let u = t.unixSeconds
        var inside = contains(u, rules)
        var cur = u
        while let b = nextEdge(after: cur, rules), b - u <= 800 * Civil.secondsPerDay {
            let now = contains(b, rules)
            if inside && !now { return Date(unixSeconds: b) }
            inside = now
            cur = b
        }
        return nil
    }

    /// The maximal inside stretches, clipped to [from, to).
    public func intervals(from: Date, to: Date, in tz: TimeZone) -> [DateInterval] {
        let rules = ZoneRules.of(tz)
        guard from < to else { return [] }
        let uFrom = from.unixSeconds, uTo = Int(to.timeIntervalSince1970.rounded(.up))
        var out: [DateInterval] = []
        var inside = contains(uFrom, rules)
        var segStart = uFrom
        var cur = uFrom
        func emit(_ a: Int, _ b: Int) {
            let s = max(Date(unixSeconds: a), from), e = min(Date(unixSeconds: b), to)
            if s < e { out.append(DateInterval(start: s, end: e)) }
        }
        while true {
            guard let b = nextEdge(after: cur, rules), b < uTo else { if inside { emit(segStart, uTo) }; break }
            let now = contains(b, rules)
            if now != inside {
                if inside { emit(segStart, b) }
                segStart = b
                inside = now
            }
            cur = b
        }
        return out
    }

    // MARK: Unix seconds (hot paths)

    @inline(__always) func contains(_ u: Int, _ rules: ZoneRules) -> Bool {
        guard !starts.isEmpty else { return false }
        let sow = Civil.secondOfWeek(local: rules.localSeconds(at: u))
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if starts[mid] <= sow { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 && sow < ends[lo - 1]
    }

    /// An instant after `u` no later than the first at which `contains` changes: the next window edge
    /// on the wall clock at the current offset, or the next offset change if that comes first.
    func nextEdge(after u: Int, _ rules: ZoneRules) -> Int? {
        if starts.isEmpty || isAlways { return nil }
        let off = rules.offset(at: u)
        let sow = Civil.secondOfWeek(local: u + off)
        var lo = 0, hi = edges.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if edges[mid] <= sow { lo = mid + 1 } else { hi = mid }
        }
        let e = lo < edges.count ? edges[lo] : edges[0] + Civil.secondsPerWeek
        let candidate = u + (e - sow)
        if let t = rules.nextTransition(after: u), t <= candidate { return t }
        return candidate
    }

    // MARK: parsing

    /// Reads working hours: "Mon-Fri 09:00-18:00" (each of Mon..Fri 09:00-18:00), any restriction
    /// window ("Sat 10:00-14:00", "22:00-06:00"), a comma- or semicolon-separated list of these,
    /// "always" (or "24/7") or "never".
    public static func parseWorkingHours(_ text: String) throws -> WeeklyWindows {
        var c = TimeTextCursor(text)
        var windows: [RestrictionWindow] = []
        c.skipSpaces()
        if c.atEnd { throw c.fail(c.i, "expected working hours such as Mon-Fri 09:00-18:00, got nothing") }
        while true {
            c.skipSpaces()
            let itemStart = c.i
            let word = c.letters().lowercased()
            let isItemEnd = { (c: TimeTextCursor) -> Bool in
                var d = c; d.skipSpaces(); return d.atEnd || d.peek == "," || d.peek == ";"
            }
            if word == "always", isItemEnd(c) {
                windows += always.windows
            } else if word == "never", isItemEnd(c) {
            } else if word.isEmpty, c.token(from: itemStart) == "24/7" {
                c.i += 4
                windows += always.windows
            } else if !word.isEmpty, c.peek == "-", let n = c.peek(1), n.isLetter {
                c.i = itemStart
                let first = try Weekday.scan(&c)
                c.i += 1
                let last = try Weekday.scan(&c)
                let gap = c.i
                c.skipSpaces()
                if c.i == gap { throw c.fail(gap, "expected a space and HH:MM-HH:MM after \(first.shortName)-\(last.shortName), got \(c.shown(from: gap))") }
                let s = try WallTime.scan(&c, allowEndOfDay: false)
                c.skipSpaces()
                guard c.peek == "-" else {
                    throw c.fail(c.i, "expected \"-\" and the end of the hours after \(s), got \(c.shown(from: c.i, stopAtDash: false))")
                }
                c.i += 1
                c.skipSpaces()
                if let ch = c.peek, ch.isLetter {
                    throw c.fail(c.i, "after a day range such as \(first.shortName)-\(last.shortName) give only times, e.g. \"\(first.shortName)-\(last.shortName) 09:00-18:00\"")
                }
                let e = try WallTime.scan(&c, allowEndOfDay: true)
                var d = first
                while true {
                    windows.append(RestrictionWindow(startDay: d, start: s, end: e))
                    if d == last { break }
                    d = d.next
                }
            } else {
                c.i = itemStart
                if c.atEnd || c.peek == "," || c.peek == ";" {
                    throw c.fail(c.i, "expected working hours such as Mon-Fri 09:00-18:00, got \(c.atEnd ? "nothing" : "\"\(c.peek!)\"")")
                }
                windows.append(try RestrictionWindow.scan(&c))
            }
            c.skipSpaces()
            if c.atEnd { break }
            guard c.peek == "," || c.peek == ";" else {
                throw c.fail(c.i, "unexpected \(c.shown(from: c.i, stopAtDash: false)) in working hours; separate windows with commas")
            }
            c.i += 1
        }
        return WeeklyWindows(windows)
    }
}
