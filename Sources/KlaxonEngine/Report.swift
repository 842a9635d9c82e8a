import Foundation
import KlaxonCore

/// `klaxon report`: how fast incidents were detected, acknowledged and resolved, and how often
/// they escalated, per severity and per team, against the `targets` of klaxon.yaml.
///
/// - MTTD (mean time to detect): from the earliest `startsAt` of an incident's alerts to the
///   incident opening, over the incidents whose alerts carry a start time.
/// - MTTA: from opening to the first acknowledgement, over the incidents acknowledged.
/// - MTTR: from opening to resolution, over the incidents resolved.
/// - Escalated: the incidents whose escalation went past its first page (a later step or a
///   repeat paged, on time or by someone's `escalate`).
public struct IncidentReport: Sendable {
    public struct Figures: Sendable, Equatable {
        public var incidents = 0
        public var detected = 0, acknowledged = 0, resolved = 0, escalated = 0
        public var mttd: TimeInterval?
        public var mtta: TimeInterval?
        public var mttr: TimeInterval?
        /// Escalated incidents over all incidents (nil without incidents).
        public var escalationRate: Double? { incidents == 0 ? nil : Double(escalated) / Double(incidents) }
    }

    public struct Row: Sendable, Equatable {
        /// `P0`…`P4`, a team id, or `all`.
        public var name: String
        public var figures: Figures
        public var mttdTarget: TimeInterval?
        public var mttrTarget: TimeInterval?
        /// Whether the mean is within the target (nil: no target, or nothing measured).
        public var mttdMet: Bool? { both(figures.mttd, mttdTarget).map { $0.0 <= $0.1 } }
        public var mttrMet: Bool? { both(figures.mttr, mttrTarget).map { $0.0 <= $0.1 } }
    }

    public var from: String
    public var to: String
    public var bySeverity: [Row]
    public var byTeam: [Row]
    public var all: Row

    /// What the report counts of one incident.
    struct Measured {
        var severity: Severity
        var team: String
        var detect: TimeInterval?
        var acknowledge: TimeInterval?
        var resolve: TimeInterval?
        var escalated: Bool

        init(_ d: IncidentDetail) {
            let i = d.incident
            severity = i.severity
            team = i.team
            let starts = d.alerts.compactMap(\.alert.startsAt).filter { $0 <= i.openedAt }
            detect = starts.min().map { i.openedAt.timeIntervalSince($0) }
            acknowledge = i.acknowledgedAt.map { $0.timeIntervalSince(i.openedAt) }
            resolve = i.resolvedAt.map { $0.timeIntervalSince(i.openedAt) }
            escalated = d.timeline.filter { $0.kind.hasPrefix("escalation.step") }.count > 1
        }
    }

    /// The report over `details` (the incidents opened in the range), `from` and `to` as asked.
    public static func make(details: [IncidentDetail], targets: Targets, from: String, to: String) -> IncidentReport {
        let measured = details.map(Measured.init)
        func figures(_ ms: [Measured]) -> Figures {
            func mean(_ xs: [TimeInterval]) -> TimeInterval? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }
            var f = Figures()
            f.incidents = ms.count
            let d = ms.compactMap(\.detect), a = ms.compactMap(\.acknowledge), r = ms.compactMap(\.resolve)
            f.detected = d.count; f.acknowledged = a.count; f.resolved = r.count
            f.escalated = ms.filter(\.escalated).count
            f.mttd = mean(d); f.mtta = mean(a); f.mttr = mean(r)
            return f
        }
        let severities = Severity.allCases.filter { s in measured.contains { $0.severity == s } || targets.mttd[s] != nil || targets.mttr[s] != nil }
        let bySeverity = severities.map { s in
            Row(name: s.rawValue, figures: figures(measured.filter { $0.severity == s }), mttdTarget: targets.mttd[s], mttrTarget: targets.mttr[s])
        }
        let byTeam = Set(measured.map(\.team)).sorted().map { t in Row(name: t, figures: figures(measured.filter { $0.team == t })) }
        return IncidentReport(from: from, to: to, bySeverity: bySeverity, byTeam: byTeam, all: Row(name: "all", figures: figures(measured)))
    }

    // MARK: - Output

    static func duration(_ t: TimeInterval?) -> String { t.map { DurationText.format($0) } ?? "-" }
    static func percent(_ r: Double?) -> String { r.map { "\(Int(($0 * 100).rounded()))%" } ?? "-" }
    static func target(_ t: TimeInterval?, met: Bool?) -> String {
        guard let t else { return "-" }
        return DurationText.format(t) + (met.map { $0 ? " met" : " MISSED" } ?? "")
    }

    /// A readable table: by severity (with the targets), by team, and all together.
    public var table: String {
        var out = "Incidents opened from \(from) to \(to)\n"
        func section(_ title: String, _ rows: [Row], targets: Bool) {
            var lines = [[title, "incidents", "MTTD", targets ? "target" : nil, "MTTA", "MTTR", targets ? "target" : nil, "escalated"].compactMap { $0 }]
            for r in rows {
                let f = r.figures
                lines.append([r.name, "\(f.incidents)", Self.duration(f.mttd), targets ? Self.target(r.mttdTarget, met: r.mttdMet) : nil,
                              Self.duration(f.mtta), Self.duration(f.mttr), targets ? Self.target(r.mttrTarget, met: r.mttrMet) : nil,
                              Self.percent(f.escalationRate)].compactMap { $0 })
            }
            let widths = (0..<lines[0].count).map { c in lines.map { $0[c].count }.max() ?? 0 }
            out += "\n"
            for l in lines {
                var line = l.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                while line.hasSuffix(" ") { line.removeLast() }
                out += line + "\n"
            }
        }
        section("severity", bySeverity, targets: true)
        section("team", byTeam + [all], targets: false)
        out += "\nMTTD: alert start to incident opened. MTTA: opened to acknowledged. MTTR: opened to resolved (means).\n"
        out += "Escalated: the escalation paged past its first step.\n"
        return out
    }

    /// `{"from","to","by_severity":[…],"by_team":[…],"all":{…}}`, durations in seconds.
    public var json: String {
        func row(_ r: Row, key: String) -> [String: Any] {
            let f = r.figures
            var o: [String: Any] = [key: r.name, "incidents": f.incidents, "detected": f.detected, "acknowledged": f.acknowledged,
                                    "resolved": f.resolved, "escalated": f.escalated,
                                    "mttd_seconds": f.mttd ?? NSNull(), "mtta_seconds": f.mtta ?? NSNull(), "mttr_seconds": f.mttr ?? NSNull(),
                                    "escalation_rate": f.escalationRate ?? NSNull()]
            if key == "severity" {
                o["mttd_target_seconds"] = r.mttdTarget ?? NSNull(); o["mttd_met"] = r.mttdMet ?? NSNull()
                o["mttr_target_seconds"] = r.mttrTarget ?? NSNull(); o["mttr_met"] = r.mttrMet ?? NSNull()
            }
            return o
        }
        var all = row(all, key: "name")
        all.removeValue(forKey: "name")
        let o: [String: Any] = ["from": from, "to": to, "by_severity": bySeverity.map { row($0, key: "severity") },
                                "by_team": byTeam.map { row($0, key: "team") }, "all": all]
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// A standalone HTML page with the same tables, for executives' mail and wikis.
    public var html: String {
        let esc = ScheduleRendering.xml
        func table(_ title: String, _ rows: [Row], targets: Bool) -> String {
            var h = "<h2>\(esc(title))</h2>\n<table>\n<tr><th></th><th>incidents</th><th>MTTD</th>"
            h += targets ? "<th>target</th>" : ""
            h += "<th>MTTA</th><th>MTTR</th>" + (targets ? "<th>target</th>" : "") + "<th>escalated</th></tr>\n"
            for r in rows {
                let f = r.figures
                func cell(_ s: String, missed: Bool? = nil) -> String { missed == false ? "<td class=\"missed\">\(esc(s))</td>" : "<td>\(esc(s))</td>" }
                h += "<tr><th>\(esc(r.name))</th>" + cell("\(f.incidents)") + cell(Self.duration(f.mttd))
                h += targets ? cell(Self.target(r.mttdTarget, met: r.mttdMet), missed: r.mttdMet) : ""
                h += cell(Self.duration(f.mtta)) + cell(Self.duration(f.mttr))
                h += targets ? cell(Self.target(r.mttrTarget, met: r.mttrMet), missed: r.mttrMet) : ""
                h += cell(Self.percent(f.escalationRate)) + "</tr>\n"
            }
            return h + "</table>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Klaxon incident report</title>
            <style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{padding:4px 10px;text-align:right;border-bottom:1px solid #ddd}.missed{color:#b00020;font-weight:bold}</style>
            </head><body>
            <h1>Incidents opened from \(esc(from)) to \(esc(to))</h1>

            """ + table("By severity", bySeverity, targets: true) + table("By team", byTeam, targets: false)
            + table("All", [all], targets: false)
            + "<p>MTTD: alert start to incident opened. MTTA: opened to acknowledged. MTTR: opened to resolved (means). Escalated: the escalation paged past its first step.</p>\n</body></html>\n"
    }
}

private func both(_ a: TimeInterval?, _ b: TimeInterval?) -> (TimeInterval, TimeInterval)? {
    guard let a, let b else { return nil }
    return (a, b)
}
