import Foundation
import KlaxonCore

/// Reads `klaxon.yaml` into `Settings`.
struct SettingsLoader {
    let resolver: SecretResolver

    static let topKeys = ["server", "storage", "time_zone", "api_token", "calendar_secret", "integrations",
                          "channels", "slack", "severity_defaults", "urgency", "stakeholders", "targets"]

    func load(_ root: YNode) -> Settings? {
        guard let m = root.mapping("klaxon.yaml", allowed: Self.topKeys) else { return nil }
        var s = Settings()
        if let n = m["server"], let sm = n.mapping("server", allowed: ["listen", "public_url"]) {
            if let l = sm["listen"], let text = l.string("server.listen") {
                if let (host, port) = Self.parseListen(text) { s.server.host = host; s.server.port = port }
                else { l.error("expected server.listen as host:port (e.g. 127.0.0.1:8080), got \"\(text)\"") }
            }
            if let u = sm["public_url"], let text = u.string("server.public_url") {
                if let url = URL(string: text), url.scheme == "http" || url.scheme == "https" {
                    s.server.publicURL = text.hasSuffix("/") ? String(text.dropLast()) : text
                } else { u.error("expected server.public_url as an http(s) URL, got \"\(text)\"") }
            }
        }
        if let n = m["storage"], let text = n.substituted("storage", resolver: resolver)?.value {
            if text.hasPrefix("sqlite:") { s.storage = .sqlite(path: String(text.dropFirst(7))) }
            else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { s.storage = .postgres(url: text) }
            else { n.error("expected storage as sqlite:PATH or postgres://user:pass@host:5432/db") }
        }
        if let n = m["time_zone"], let tz = n.timeZone("time_zone") { s.timeZone = tz }
        if let n = m["api_token"] { s.apiToken = n.secret("api_token", resolver: resolver) }
        if let n = m["calendar_secret"] { s.calendarSecret = n.secret("calendar_secret", resolver: resolver) }
        if let n = m["integrations"], let items = n.list("integrations") {
            var seen = Set<String>()
            for item in items {
                guard let im = item.mapping("an integration", allowed: ["name", "kind", "token", "team", "rate_limit"], required: ["name", "kind", "token", "team"]),
                      let name = im["name"]?.name("integration name"),
                      let kindNode = im["kind"], let kindText = kindNode.string("integration kind"),
                      let teamText = im["team"]?.name("integration team") else { continue }
                guard let kind = IntegrationKind(rawValue: kindText) else {
                    kindNode.error("unknown integration kind \"\(kindText)\"; expected one of: \(IntegrationKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                if !seen.insert(name).inserted { im["name"]!.error("duplicate integration name \"\(name)\"") }
                let token = im["token"]?.secret("integrations.\(name).token", resolver: resolver) ?? Secret(value: nil)
                if kind == .pagerduty, let tokenNode = im["token"], let value = token.value, value.count != 32 {
                    // Every event's routing_key would be refused for its length (PagerDuty's own
                    // rule), so the integration could never be used. Checked on the resolved
                    // value (secrets are resolved here, and again on reload); never printed.
                    let from = token.reference.map { " (\($0))" } ?? ""
                    tokenNode.error("integrations.\(name).token\(from) is \(value.count) characters; PagerDuty routing keys are 32 characters")
                }
                var integration = Integration(name: name, kind: kind, token: token, team: teamText)
                if let rl = im["rate_limit"], let rm = rl.mapping("rate_limit", allowed: ["per_second", "burst"], required: ["per_second"]) {
                    if let n = rm["per_second"]?.int("rate_limit.per_second", min: 1) {
                        integration.ratePerSecond = Double(n)
                        integration.burst = Double(max(n, rm["burst"]?.int("rate_limit.burst", min: 1) ?? n * 5))
                    }
                }
                s.integrations.append(integration)
            }
        }
        if let n = m["channels"], let items = n.list("channels") {
            var seen = Set<String>()
            for item in items {
                guard let cm = item.mapping("a channel", allowed: ["name", "kind", "token", "api_url", "url", "from", "to", "username", "password"], required: ["name", "kind"]),
                      let name = cm["name"]?.name("channel name"),
                      let kindNode = cm["kind"], let kindText = kindNode.string("channel kind") else { continue }
                guard let kind = ChannelKind(rawValue: kindText) else {
                    kindNode.error("unknown channel kind \"\(kindText)\"; expected one of: \(ChannelKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                if !seen.insert(name).inserted { cm["name"]!.error("duplicate channel name \"\(name)\"") }
                var ch = Channel(name: name, kind: kind)
                ch.token = cm["token"]?.secret("channels.\(name).token", resolver: resolver)
                if let a = cm["api_url"], let text = a.string("api_url") {
                    if URL(string: text)?.scheme?.hasPrefix("http") == true { ch.apiURL = text.hasSuffix("/") ? String(text.dropLast()) : text }
                    else { a.error("expected api_url as an http(s) URL, got \"\(text)\"") }
                }
                ch.url = cm["url"]?.substituted("channels.\(name).url", resolver: resolver)
                ch.from = cm["from"]?.string("from")
                ch.username = cm["username"]?.substituted("channels.\(name).username", resolver: resolver)
                ch.password = cm["password"]?.secret("channels.\(name).password", resolver: resolver)
                if let t = cm["to"] {
                    if case .scalar = t.node { ch.to = t.string("to").map { [$0] } ?? [] }
                    else { ch.to = t.stringList("to")?.map(\.0) ?? [] }
                }
                switch kind {
                case .slack, .pagerduty:
                    if !cm.has("token") { cm.owner.error("channel \"\(name)\" of kind \(kind.rawValue) needs a token") }
                case .slackWebhook, .webhook, .teams, .email:
                    if !cm.has("url") { cm.owner.error("channel \"\(name)\" of kind \(kind.rawValue) needs a url") }
                }
                if kind == .email, !cm.has("from") { cm.owner.error("channel \"\(name)\" of kind email needs a from address") }
                s.channels.append(ch)
            }
        }
        if let n = m["slack"], let sm = n.mapping("slack", allowed: ["signing_secret"]) {
            s.slackSigningSecret = sm["signing_secret"]?.secret("slack.signing_secret", resolver: resolver)
        }
        if let n = m["severity_defaults"], let sm = n.mapping("severity_defaults", allowed: ["alertmanager_label", "map", "otherwise"]) {
            if let l = sm["alertmanager_label"]?.name("severity_defaults.alertmanager_label") { s.severityDefaults.label = l }
            if let mapNode = sm["map"] {
                if case .mapping(let mm) = mapNode.node {
                    var map: [String: Severity] = [:]
                    for (k, v) in mm {
                        if let key = k.scalar?.string, let sev = YNode(node: v, file: mapNode.file, sink: mapNode.sink).severity("severity_defaults.map.\(key)") {
                            map[key.lowercased()] = sev
                        }
                    }
                    s.severityDefaults.map = map
                } else { mapNode.error("expected severity_defaults.map (a mapping from the source's word to P0…P4), got \(mapNode.kindName)") }
            }
            if let o = sm["otherwise"]?.severity("severity_defaults.otherwise") { s.severityDefaults.otherwise = o }
        }
        if let n = m["urgency"], let um = n.mapping("urgency", allowed: ["high", "low", "none"]) {
            var seen: [Severity: String] = [:]
            func set(_ key: String) -> Set<Severity> {
                guard let node = um[key], let items = node.list("urgency.\(key)") else { return [] }
                var out = Set<Severity>()
                for item in items {
                    guard let sev = item.severity("urgency.\(key)") else { continue }
                    if let other = seen[sev] { item.error("\(sev) is listed under both urgency.\(other) and urgency.\(key)") }
                    seen[sev] = key
                    out.insert(sev)
                }
                return out
            }
            s.urgency = UrgencyPolicy(high: set("high"), low: set("low"), none: set("none"))
            for sev in Severity.allCases where seen[sev] == nil { s.urgency.high.insert(sev) }
        }
        if let n = m["stakeholders"], let sm = n.mapping("stakeholders", allowed: Audience.allCases.map(\.rawValue)) {
            for audience in Audience.allCases {
                guard let an = sm[audience.rawValue] else { continue }
                if let a = loadAudience(an, audience) { s.stakeholders[audience] = a }
            }
        }
        if let n = m["targets"], let tm = n.mapping("targets", allowed: ["mttd", "mttr"]) {
            s.targets.mttd = severityDurations(tm["mttd"], "targets.mttd")
            s.targets.mttr = severityDurations(tm["mttr"], "targets.mttr")
        }
        return s
    }

    private func loadAudience(_ n: YNode, _ audience: Audience) -> StakeholderAudience? {
        let what = "stakeholders.\(audience.rawValue)"
        guard let m = n.mapping(what, allowed: ["channels", "severities", "every", "also_when_open_longer_than", "when", "on"]) else { return nil }
        var a = StakeholderAudience()
        if let c = m["channels"], let items = c.stringList("\(what).channels") {
            a.channels = items.compactMap { text, node in Self.channelRef(text, node) }
        }
        if let c = m["severities"], let items = c.list("\(what).severities") {
            a.severities = Set(items.compactMap { $0.severity("\(what).severities") })
        }
        a.every = m["every"]?.duration("\(what).every")
        a.alsoWhenOpenLongerThan = severityDurations(m["also_when_open_longer_than"], "\(what).also_when_open_longer_than")
        if let w = m["when"] { a.when = w.matcherGroup("\(what).when") ?? [] }
        if let o = m["on"], let items = o.stringList("\(what).on") {
            for (text, node) in items {
                if let e = IncidentEvent(rawValue: text) { a.on.insert(e) }
                else { node.error("unknown event \"\(text)\" in \(what).on; expected one of: \(IncidentEvent.allCases.map(\.rawValue).joined(separator: ", "))") }
            }
        }
        return a
    }

    private func severityDurations(_ n: YNode?, _ what: String) -> [Severity: TimeInterval] {
        guard let n else { return [:] }
        guard case .mapping(let mm) = n.node else { n.error("expected \(what) (a mapping from P0…P4 to a duration), got \(n.kindName)"); return [:] }
        var out: [Severity: TimeInterval] = [:]
        for (k, v) in mm {
            let keyNode = YNode(node: k, file: n.file, sink: n.sink)
            guard let sev = keyNode.severity("a key of \(what)") else { continue }
            if let d = YNode(node: v, file: n.file, sink: n.sink).duration("\(what).\(sev)") { out[sev] = d }
        }
        return out
    }

    /// `slack:#name`, `channel:<name>` or a bare channel name.
    static func channelRef(_ text: String, _ node: YNode) -> ChannelRef? {
        if text.hasPrefix("slack:") {
            var c = String(text.dropFirst(6))
            if c.hasPrefix("#") { c.removeFirst() }
            guard !c.isEmpty, !c.contains(" ") else { node.error("expected slack:#channel-name, got \"\(text)\""); return nil }
            return .slackChannel(c)
        }
        if text.hasPrefix("channel:") {
            let c = String(text.dropFirst(8))
            guard !c.isEmpty else { node.error("expected channel:<name>, got \"\(text)\""); return nil }
            return .named(c)
        }
        guard !text.isEmpty, !text.contains(":") else {
            node.error("expected a channel name, slack:#channel or channel:<name>, got \"\(text)\"")
            return nil
        }
        return .named(text)
    }

    static func parseListen(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port), !host.isEmpty else { return nil }
        return (host, port)
    }
}
