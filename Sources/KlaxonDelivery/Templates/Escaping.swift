import Foundation
import KlaxonCore
import Mustache

/// Escaping of text from alerts and people for each target format.
public enum Escape {
    /// Slack's control characters: `&`, `<`, `>` (so an alert can never mention `<!channel>`).
    public static func slack(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.append(c)
            }
        }
        return out
    }

    /// The inside of a JSON string literal.
    public static func jsonString(_ s: String) -> String {
        String(ScheduleRendering.jsonString(s).dropFirst().dropLast())
    }
}

/// Block Kit JSON: values are Slack-escaped, then JSON-escaped.
struct SlackJSONContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { Escape.jsonString(Escape.slack(text)) }
}

/// Plain JSON (webhooks, Teams): values are JSON-escaped.
struct JSONContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { Escape.jsonString(text) }
}

/// Plain text (email, Markdown): nothing is escaped.
struct PlainContentType: MustacheContentType {
    func escapeText(_ text: String) -> String { text }
}
