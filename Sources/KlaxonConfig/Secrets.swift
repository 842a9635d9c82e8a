import Foundation
import KlaxonCore

/// Resolves `${env:NAME}` and `${file:/path}` references (one trailing newline of a file dropped).
struct SecretResolver {
    var environment: [String: String]
    /// Relative `${file:…}` paths are read from here.
    var directory: String

    struct Problem { var message: String }

    /// Resolves every reference inside `text`. Returns the value (nil when a reference is unset),
    /// whether the text had a reference, and the problems met.
    func resolve(_ text: String) -> (value: String?, hadReference: Bool, problems: [Problem]) {
        var out = ""
        var rest = Substring(text)
        var had = false
        var problems: [Problem] = []
        var missing = false
        while let open = rest.range(of: "${") {
            out += rest[rest.startIndex..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                out += rest[open.lowerBound...]
                rest = rest[rest.endIndex...]
                break
            }
            let ref = String(rest[open.upperBound..<close])
            rest = rest[rest.index(after: close)...]
            had = true
            if ref.hasPrefix("env:") {
                let name = String(ref.dropFirst(4))
                if let v = environment[name], !v.isEmpty { out += v } else {
                    missing = true
                    problems.append(Problem(message: "environment variable \(name) is not set"))
                }
            } else if ref.hasPrefix("file:") {
                var path = String(ref.dropFirst(5))
                if !path.hasPrefix("/") { path = (directory as NSString).appendingPathComponent(path) }
                if let data = FileManager.default.contents(atPath: path), var v = String(data: data, encoding: .utf8) {
                    if v.hasSuffix("\r\n") { v.removeLast(1) } else if v.hasSuffix("\n") { v.removeLast() }
                    out += v
                } else {
                    missing = true
                    problems.append(Problem(message: "secret file \(path) cannot be read"))
                }
            } else {
                problems.append(Problem(message: "unknown reference ${\(ref)}; use ${env:NAME} or ${file:/path}"))
                missing = true
            }
        }
        out += rest
        return (missing ? nil : out, had, problems)
    }
}

extension YNode {
    /// A secret. Unset references are warnings (the feature that needs it is skipped); a literal
    /// secret is a warning when `warnLiteral`.
    func secret(_ what: String, resolver: SecretResolver, warnLiteral: Bool = true) -> Secret? {
        guard let text = string(what) else { return nil }
        let r = resolver.resolve(text)
        for p in r.problems {
            if p.message.hasPrefix("unknown reference") { error(p.message) } else { warning("\(p.message): \(what) is unset") }
        }
        if !r.hadReference {
            if warnLiteral, !text.isEmpty {
                warning("\(what) is written literally; keep secrets out of the file with ${env:NAME} or ${file:/path}")
            }
            return .literal(text)
        }
        return Secret(value: r.value, reference: text)
    }

    /// A plain value in which references are substituted (URLs, user names).
    func substituted(_ what: String, resolver: SecretResolver) -> Secret? {
        secret(what, resolver: resolver, warnLiteral: false)
    }
}
