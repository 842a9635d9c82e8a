import Foundation
import KlaxonCore

/// Reads `Playbooks/<id>.yaml`.
struct PlaybookLoader {
    static let keys = ["id", "title", "description", "category", "team", "escalation_policy", "engage", "detection", "match",
                       "severity", "triage", "diagnose", "decision_tree", "remediation", "rollback", "actions",
                       "communications", "review"]

    func load(_ root: YNode, file: String) -> Playbook? {
        guard let m = root.mapping("a playbook", allowed: Self.keys, required: ["id", "title", "match"]),
              let id = m["id"]?.name("playbook id"), let title = m["title"]?.name("playbook title") else { return nil }
        var pb = Playbook(id: id, title: title, file: file)
        pb.description = m["description"]?.string("description") ?? ""
        if let c = m["category"], let text = c.string("category") {
            if let cat = IncidentCategory(rawValue: text) { pb.category = cat }
            else { c.error("unknown category \"\(text)\"; expected one of: \(IncidentCategory.allCases.map(\.rawValue).joined(separator: ", "))") }
        }
        pb.team = m["team"]?.name("team")
        pb.escalationPolicy = m["escalation_policy"]?.name("escalation_policy")
        if let e = m["engage"] {
            let items: [(String, YNode)] = if case .scalar = e.node { e.string("engage").map { [($0, e)] } ?? [] } else { e.stringList("engage") ?? [] }
            for (text, node) in items {
                if ["data-science", "infrastructure", "security"].contains(text) { pb.engage.append(text) }
                else { node.error("unknown engage \"\(text)\"; expected data-science, infrastructure or security") }
            }
        }
        pb.detection = strings(m["detection"], "detection")
        if let mn = m["match"], let groups = mn.list("match") {
            if groups.isEmpty { mn.error("match needs at least one group of matchers") }
            for g in groups { if let group = g.matcherGroup("a match group") { pb.match.append(group) } }
        }
        if let sn = m["severity"], let sm = sn.mapping("severity", allowed: ["rules", "default"]) {
            if let rn = sm["rules"], let rules = rn.list("severity.rules") {
                for r in rules {
                    guard let rm = r.mapping("a severity rule", allowed: ["when", "level"], required: ["when", "level"]),
                          let when = rm["when"]?.matcherGroup("when"), let level = rm["level"]?.severity("level") else { continue }
                    pb.severityRules.append(.init(when: when, level: level))
                }
            }
            pb.defaultSeverity = sm["default"]?.severity("severity.default")
        }
        pb.triage = strings(m["triage"], "triage")
        if let dn = m["diagnose"], let items = dn.list("diagnose") {
            for item in items {
                if case .scalar = item.node { if let s = item.string("a diagnose step") { pb.diagnose.append(.init(step: s, command: nil)) }; continue }
                guard let dm = item.mapping("a diagnose step", allowed: ["step", "command"], required: ["step"]),
                      let step = dm["step"]?.string("step") else { continue }
                pb.diagnose.append(.init(step: step, command: dm["command"]?.string("command")))
            }
        }
        if let tn = m["decision_tree"], let items = tn.list("decision_tree") {
            for item in items {
                guard let dm = item.mapping("a decision", allowed: ["if", "then"], required: ["if", "then"]),
                      let c = dm["if"]?.string("if"), let t = dm["then"]?.string("then") else { continue }
                pb.decisionTree.append(.init(condition: c, then: t))
            }
        }
        pb.remediation = strings(m["remediation"], "remediation")
        if let rn = m["rollback"], let rm = rn.mapping("rollback", allowed: ["known_good"]), let kg = rm["known_good"] {
            if case .mapping(let mm) = kg.node {
                for (k, v) in mm {
                    if let key = k.scalar?.string, let val = YNode(node: v, file: kg.file, sink: kg.sink).string("rollback.known_good.\(key)") {
                        pb.knownGood[key] = val
                    }
                }
            } else { kg.error("expected rollback.known_good (a mapping such as {model: ..., version: ...}), got \(kg.kindName)") }
        }
        if let an = m["actions"], let items = an.list("actions") {
            for item in items {
                guard let am = item.mapping("an action", allowed: ["name", "channel", "requires_approval"], required: ["name", "channel"]),
                      let name = am["name"]?.name("action name"), let ch = am["channel"]?.name("action channel") else { continue }
                pb.actions.append(.init(name: name, channel: ch, requiresApproval: am["requires_approval"]?.bool("requires_approval") ?? true))
            }
        }
        if let cn = m["communications"], let cm = cn.mapping("communications", allowed: Audience.allCases.map(\.rawValue)) {
            for a in Audience.allCases { if let t = cm[a.rawValue]?.name("communications.\(a.rawValue)") { pb.communications[a] = t } }
        }
        if let rn = m["review"], let rm = rn.mapping("review", allowed: ["required_for", "due_within"]) {
            let req = Set(rm["required_for"]?.list("review.required_for")?.compactMap { $0.severity("review.required_for") } ?? [])
            pb.review = .init(requiredFor: req, dueWithin: rm["due_within"]?.duration("review.due_within"))
        }
        return pb
    }

    private func strings(_ n: YNode?, _ what: String) -> [String] {
        guard let n else { return [] }
        if case .scalar = n.node { return n.string(what).map { [$0] } ?? [] }
        return n.stringList(what)?.map(\.0) ?? []
    }
}
