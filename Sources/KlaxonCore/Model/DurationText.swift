import Foundation

/// Durations as users write them: `30s`, `5m`, `2h`, `1d`, `1w` and combinations such as `1h30m`.
public enum DurationText {
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// 0-based character offset within the text where parsing failed.
        public var offset: Int
        public var message: String
        public var description: String { message }
    }

    /// Seconds in `text`; throws `ParseError` naming the bad character.
    public static func parse(_ text: String) throws -> TimeInterval {
        let chars = Array(text)
        guard !chars.isEmpty else {
            throw ParseError(offset: 0, message: "expected a duration such as 30s, 5m, 2h, 1d or 1h30m, got an empty string")
        }
        var total: TimeInterval = 0
        var i = 0
        var lastUnitRank = Int.max
        while i < chars.count {
            let numberStart = i
            var digits = ""
            while i < chars.count, chars[i].isASCII, chars[i].isNumber { digits.append(chars[i]); i += 1 }
            guard !digits.isEmpty, let n = Int(digits) else {
                throw ParseError(offset: numberStart, message: "expected a duration such as 30s, 5m, 2h, 1d or 1h30m, got \"\(text)\"")
            }
            guard i < chars.count else {
                throw ParseError(offset: i, message: "duration \"\(text)\" needs a unit (s, m, h, d or w) after \(n)")
            }
            let unitChar = chars[i]
            let units: [Character: (Int, TimeInterval)] = ["w": (4, 604_800), "d": (3, 86_400), "h": (2, 3_600), "m": (1, 60), "s": (0, 1)]
            guard let (rank, seconds) = units[unitChar] else {
                throw ParseError(offset: i, message: "unknown duration unit \"\(unitChar)\" in \"\(text)\"; use s, m, h, d or w")
            }
            guard rank < lastUnitRank else {
                throw ParseError(offset: i, message: "duration \"\(text)\" repeats or misorders units; write larger units first, e.g. 1h30m")
            }
            lastUnitRank = rank
            total += TimeInterval(n) * seconds
            i += 1
        }
        return total
    }

    /// The shortest text that `parse` reads back as `seconds` (whole seconds).
    public static func format(_ seconds: TimeInterval) -> String {
        var rest = Int(seconds.rounded())
        if rest == 0 { return "0s" }
        var out = ""
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }
}
