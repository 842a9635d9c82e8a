import Foundation
import KlaxonCore
import KlaxonEngine

/// Builds what every template sees: `incident`, `alerts`, `playbook`, `oncall`, `timeline`,
/// `update` and `now` in the reader's zone.
public enum TemplateContext {
    public static func make(_ m: OutboundMessage, people: (String) -> Person? = { _ in nil }) -> [String: Any] {
        let inc = m.incident
        let fmt = DateFormatter()
        fmt.locale = Locale(identifier: "en_US_POSIX")
        fmt.timeZone = m.readerZone
        fmt.dateFormat = "EEE d MMM yyyy HH:mm zzz"
        let iso = ISO8601DateFormatter()
        func local(_ d: Date?) -> String { d.map { fmt.string(from: $0) } ?? "" }
        let end = inc.resolvedAt ?? m.now
        var statusLine = ""
        switch inc.status {
        case .triggered: statusLine = "Triggered"
        case .acknowledged: statusLine = "Acknowledged by \(inc.acknowledgedBy ?? "someone") at \(local(inc.acknowledgedAt))"
        case .resolved: statusLine = "Resolved by \(inc.resolvedBy ?? "someone") at \(local(inc.resolvedAt))"
        }
        let title = inc.title
        let short = title.count > 120 ? String(title.prefix(117)) + "..." : title
        let incident: [String: Any] = [
            "id": inc.id, "number": inc.number, "title": title, "title_short": short,
            "severity": inc.severity.rawValue, "severity_label": inc.severity.label, "category": inc.category.rawValue,
            "status": inc.status.rawValue, "is_triggered": inc.status == .triggered,
            "is_acknowledged": inc.status == .acknowledged, "is_resolved": inc.status == .resolved,
            "status_line": statusLine, "team": inc.team,
            "opened_at": iso.string(from: inc.openedAt), "opened_at_local": local(inc.openedAt),
            "acknowledged_at": inc.acknowledgedAt.map { iso.string(from: $0) } ?? "",
            "acknowledged_by": inc.acknowledgedBy ?? "",
            "resolved_at": inc.resolvedAt.map { iso.string(from: $0) } ?? "",
            "resolved_by": inc.resolvedBy ?? "",
            "resolved_at_local": local(inc.resolvedAt),
            "url": "\(m.publicURL)/v1/incidents/\(inc.id)",
            "duration": DurationText.format(end.timeIntervalSince(inc.openedAt)),
            "playbook": inc.playbook ?? "",
        ]
        let alerts: [[String: Any]] = m.alerts.map { a in
            var links = a.links.map { ["href": $0.href, "text": $0.text] }
            if links.isEmpty, let g = a.annotations["runbook_url"] { links.append(["href": g, "text": "runbook"]) }
            return [
                "summary": a.summary, "status": a.status.rawValue, "fingerprint": a.fingerprint,
                "source": a.source ?? "", "labels": a.labels, "annotations": a.annotations,
                "label_list": a.labels.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] },
                "links": links,
            ]
        }
        var context: [String: Any] = [
            "incident": incident,
            "alerts": alerts,
            "now": local(m.now),
            "update": StakeholderDetail.decode(m.message.detail)?.text ?? "",
            "event": (StakeholderDetail.decode(m.message.detail)?.event ?? "update").replacingOccurrences(of: "_", with: " "),
            "audience": StakeholderDetail.decode(m.message.detail)?.audience.rawValue ?? "",
            "customer_facing": m.alerts.contains { $0.labels["customer_facing"] == "true" },
            "target_mttr": m.targetMTTR.map { DurationText.format($0) } ?? "",
            "timeline": m.timeline.map { e -> [String: Any] in
                ["at": iso.string(from: e.at), "at_local": local(e.at), "kind": e.kind, "actor": e.actor ?? "", "message": e.message]
            },
        ]
        let paged = m.paged
        context["oncall"] = paged.enumerated().map { i, id -> [String: Any] in
            ["id": id, "name": people(id)?.name ?? (m.person?.id == id ? m.person!.name : id), "last": i == paged.count - 1]
        }
        if let pb = m.playbook {
            let labels = m.alerts.first?.labels ?? [:]
            func fill(_ s: String) -> String { Playbook.fill(s, labels: labels) }
            context["playbook"] = [
                "id": pb.id, "title": pb.title, "description": pb.description,
                "first_triage": pb.triage.prefix(3).enumerated().map { ["number": $0.offset + 1, "text": fill($0.element)] },
                "triage": pb.triage.enumerated().map { ["number": $0.offset + 1, "text": fill($0.element)] },
                "diagnose": pb.diagnose.map { ["step": fill($0.step), "command": fill($0.command ?? "")] },
                "decision_tree": pb.decisionTree.map { ["if": $0.condition, "then": fill($0.then)] },
                "remediation": pb.remediation.map(fill),
                "known_good": pb.knownGood.mapValues(fill),
                "engage": pb.engage,
            ] as [String: Any]
        }
        return context
    }
}
