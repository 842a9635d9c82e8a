import Foundation
import KlaxonCore
import Mustache

/// Escaping of text from alerts and people for each target format.
public enum Escape {
    /// Slack's control characters: `&`, `<`, `>` (so an alert can never mention `<!channel>`).
    public static func slack(_ s: String) -> String { SlackText.escape(s) }

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
