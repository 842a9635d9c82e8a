/// Text from alerts and people inside a Slack message.
public enum SlackText {
    /// Slack's control characters `&`, `<`, `>` as entities, so no text Klaxon passes on can
    /// mention `<!channel>`, a user or a link. Scalar by scalar: a `<` followed by a combining
    /// mark or a joiner is one Character in Swift, but Slack still reads the `<`.
    public static func escape(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            default: out.append(u)
            }
        }
        return String(out)
    }
}
