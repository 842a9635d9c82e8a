import Foundation
import KlaxonCore
import Yams

/// A YAML node with the file it came from, and typed accessors that report problems at the
/// node's `file:line:column` instead of throwing, so one run reports every error.
struct YNode {
    let node: Node
    let file: String
    let sink: DiagnosticSink

    var line: Int { node.mark?.line ?? 1 }
    var column: Int { node.mark?.column ?? 1 }

    func error(_ message: String) { sink.error(file, line, column, message) }
    func warning(_ message: String) { sink.warning(file, line, column, message) }

    /// Reports at a character offset inside this scalar's text (for matchers, durations…).
    func error(atOffset offset: Int, _ message: String) {
        var col = column + offset
        if let s = node.scalar, s.style == .singleQuoted || s.style == .doubleQuoted { col += 1 }
        sink.error(file, line, col, message)
    }

    var kindName: String {
        switch node {
        case .scalar(let s): return s.style == .plain && s.string.isEmpty ? "nothing" : "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    var isNull: Bool {
        if case .scalar(let s) = node, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return true }
        return false
    }

    /// The entries of a mapping. Unknown keys are errors at the key; `required` keys that are
    /// missing are errors at the mapping.
    func mapping(_ what: String, allowed: [String], required: [String] = []) -> YMap? {
        guard case .mapping(let m) = node else {
            error("expected \(what) (a mapping), got \(kindName)")
            return nil
        }
        var entries: [String: YNode] = [:]
        var keys: [String: YNode] = [:]
        var order: [String] = []
        for (k, v) in m {
            let keyNode = YNode(node: k, file: file, sink: sink)
            guard let key = k.scalar?.string else { keyNode.error("expected a plain key in \(what)"); continue }
            guard allowed.contains(key) else {
                keyNode.error("unknown key \"\(key)\" in \(what); expected one of: \(allowed.joined(separator: ", "))")
                continue
            }
            if entries[key] != nil { keyNode.error("duplicate key \"\(key)\" in \(what)"); continue }
            entries[key] = YNode(node: v, file: file, sink: sink)
            keys[key] = keyNode
            order.append(key)
        }
        var ok = true
        for r in required where entries[r] == nil {
            error("missing key \"\(r)\" in \(what)")
            ok = false
        }
        return YMap(owner: self, entries: entries, keys: keys, order: order, complete: ok)
    }

    /// A list; a single scalar is not accepted (YAML lists are explicit).
    func list(_ what: String) -> [YNode]? {
        guard case .sequence(let s) = node else {
            if isNull { return [] }
            error("expected \(what) (a list), got \(kindName)")
            return nil
        }
        return s.map { YNode(node: $0, file: file, sink: sink) }
    }

    func string(_ what: String) -> String? {
        guard case .scalar(let s) = node else {
            error("expected \(what) (a string), got \(kindName)")
            return nil
        }
        return s.string
    }

    /// A non-empty string.
    func name(_ what: String) -> String? {
        guard let s = string(what) else { return nil }
        guard !s.trimmingCharacters(in: .whitespaces).isEmpty else { error("\(what) must not be empty"); return nil }
        return s
    }

    func int(_ what: String, min: Int? = nil) -> Int? {
        guard case .scalar(let s) = node, s.style == .plain, let v = Int(s.string) else {
            error("expected \(what) (a whole number), got \(scalarShown)")
            return nil
        }
        if let m = min, v < m { error("\(what) must be at least \(m), got \(v)"); return nil }
        return v
    }

    func bool(_ what: String) -> Bool? {
        guard case .scalar(let s) = node, s.style == .plain else {
            error("expected \(what) (true or false), got \(scalarShown)")
            return nil
        }
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error("expected \(what) (true or false), got \"\(s.string)\"")
            return nil
        }
    }

    func stringList(_ what: String) -> [(String, YNode)]? {
        guard let items = list(what) else { return nil }
        var out: [(String, YNode)] = []
        for item in items {
            if let s = item.string("an entry of \(what)") { out.append((s, item)) }
        }
        return out
    }

    func duration(_ what: String) -> TimeInterval? {
        guard let text = string(what) else { return nil }
        do { return try DurationText.parse(text) } catch let e as DurationText.ParseError {
            error(atOffset: e.offset, "bad duration for \(what): \(e.message)")
            return nil
        } catch { return nil }
    }

    func timeZone(_ what: String) -> TimeZone? {
        guard let id = string(what) else { return nil }
        guard let tz = knownTimeZone(id) else {
            error("unknown time zone \"\(id)\" for \(what); use an IANA name such as Europe/Berlin or America/New_York")
            return nil
        }
        return tz
    }

    func severity(_ what: String) -> Severity? {
        guard let s = string(what) else { return nil }
        guard let sev = Severity(text: s) else {
            error("expected a severity P0, P1, P2, P3 or P4 for \(what), got \"\(s)\"")
            return nil
        }
        return sev
    }

    func matcher(_ what: String) -> Matcher? {
        guard let text = string(what) else { return nil }
        do { return try Matcher(parsing: text) } catch let e as Matcher.ParseError {
            error(atOffset: e.offset, "bad matcher: \(e.message)")
            return nil
        } catch { return nil }
    }

    /// One matcher string or a list of them, all of which must hold.
    func matcherGroup(_ what: String) -> [Matcher]? {
        if case .scalar = node { return matcher(what).map { [$0] } }
        guard let items = list(what) else { return nil }
        var out: [Matcher] = []
        var ok = true
        for item in items { if let m = item.matcher(what) { out.append(m) } else { ok = false } }
        return ok ? out : nil
    }

    private var scalarShown: String {
        if case .scalar(let s) = node { return "\"\(s.string)\"" }
        return kindName
    }
}

/// The checked entries of a YAML mapping.
struct YMap {
    let owner: YNode
    let entries: [String: YNode]
    let keys: [String: YNode]
    let order: [String]
    /// False when a required key was missing.
    let complete: Bool

    subscript(_ key: String) -> YNode? {
        guard let n = entries[key], !n.isNull else { return nil }
        return n
    }

    func has(_ key: String) -> Bool { entries[key] != nil }
}

/// IANA zone lookup that refuses Foundation's lenient abbreviations and offsets.
func knownTimeZone(_ id: String) -> TimeZone? {
    if id == "UTC" || id == "GMT" { return TimeZone(identifier: id) }
    guard TimeZone.knownTimeZoneIdentifiers.contains(id) else { return nil }
    return TimeZone(identifier: id)
}
