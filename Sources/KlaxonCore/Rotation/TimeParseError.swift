import Foundation

/// A textual time value that could not be read: `offset` is the 0-based character offset within
/// the text where it went wrong, `message` one clear sentence ("expected HH:MM, got 25:00").
public struct TimeParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public init(offset: Int, message: String) { self.offset = offset; self.message = message }
    public var description: String { message }
}

/// A cursor over the characters of a piece of time text, shared by all the parsers here so that
/// composite parsers report offsets within the whole text.
struct TimeTextCursor {
    let chars: [Character]
    var i: Int = 0

    init(_ text: String) { chars = Array(text) }

    var atEnd: Bool { i >= chars.count }
    var peek: Character? { i < chars.count ? chars[i] : nil }
    func peek(_ ahead: Int) -> Character? { i + ahead < chars.count ? chars[i + ahead] : nil }

    mutating func skipSpaces() { while let c = peek, c == " " || c == "\t" { i += 1 } }

    /// Reads a run of ASCII digits (at most `max`).
    mutating func digits(max: Int = .max) -> String {
        var s = ""
        while let c = peek, c.isASCII, c.isNumber, s.count < max { s.append(c); i += 1 }
        return s
    }

    /// Reads a run of ASCII letters.
    mutating func letters() -> String {
        var s = ""
        while let c = peek, c.isASCII, c.isLetter { s.append(c); i += 1 }
        return s
    }

    /// The text from `start` up to the next space, comma or range dash, for error messages.
    func token(from start: Int, stopAtDash: Bool = true) -> String {
        var j = start
        var s = ""
        while j < chars.count {
            let c = chars[j]
            if c == " " || c == "\t" || c == "," || c == ";" || (stopAtDash && c == "-" && j > start) { break }
            s.append(c); j += 1
        }
        return s
    }

    /// `"x"` for a non-empty token at `start`, else "nothing".
    func shown(from start: Int, stopAtDash: Bool = true) -> String {
        let t = token(from: start, stopAtDash: stopAtDash)
        return t.isEmpty ? (start >= chars.count ? "nothing" : "\"\(chars[start])\"") : "\"\(t)\""
    }

    func fail(_ offset: Int, _ message: String) -> TimeParseError { TimeParseError(offset: offset, message: message) }

    /// Throws unless only spaces remain.
    mutating func expectEnd(after what: String) throws {
        skipSpaces()
        if !atEnd { throw fail(i, "unexpected \(shown(from: i, stopAtDash: false)) after \(what)") }
    }
}
