import Foundation
import KlaxonCore

/// A name used somewhere that must exist elsewhere; checked once every file is read.
struct Reference {
    enum Kind { case person, team, channel, slackApp, schedule(team: String), policy(team: String) }
    var kind: Kind
    var name: String
    var node: YNode
    var context: String
}

/// Where a schedule and its parts are written, so that lint findings about it point at the right
/// `file:line:column`. `layers` and `overrides` run parallel to the schedule's.
struct ScheduleSource {
    struct LayerSource { var node: YNode; var restrict: YNode?; var windows: [YNode] }
    struct OverrideSource { var node: YNode; var replaces: YNode? }
    var team: String
    var schedule: Schedule
    var node: YNode
    var layers: [LayerSource]
    var overrides: [OverrideSource]
    /// False when some layer or override could not be read (its own error says why).
    var complete: Bool
}

/// Reads `Rotations/people.yaml` and the team files.
struct RotationsLoader {
    let defaultZone: TimeZone
    var references: [Reference] = []
    /// Every schedule read, with its nodes, for the schedule lint.
    var scheduleSources: [ScheduleSource] = []

    init(defaultZone: TimeZone) { self.defaultZone = defaultZone }

    // MARK: people.yaml

    mutating func loadPeople(_ root: YNode) -> [Person] {
        guard let m = root.mapping("people.yaml", allowed: ["people"], required: ["people"]),
              let items = m["people"]?.list("people") else { return [] }
        var out: [Person] = []
        var seen = Set<String>()
        var slackIds: [String: String] = [:]
        for item in items {
            guard let pm = item.mapping("a person", allowed: ["id", "name", "time_zone", "working_hours", "slack", "email", "notify", "roles"], required: ["id"]),
                  let id = pm["id"]?.name("person id") else { continue }
            if !seen.insert(id).inserted { pm["id"]!.error("duplicate person id \"\(id)\"") }
            let tz = pm["time_zone"].flatMap { $0.timeZone("time_zone of \(id)") } ?? defaultZone
            var hours = WeeklyWindows.defaultWorkingHours
            if let wh = pm["working_hours"], let text = wh.string("working_hours") {
                do { hours = try WeeklyWindows.parseWorkingHours(text) } catch let e as TimeParseError {
                    wh.error(atOffset: e.offset, "bad working_hours: \(e.message)")
                } catch {}
            }
            var p = Person(id: id, name: pm["name"]?.string("name") ?? id, timeZone: tz, workingHours: hours)
            if let s = pm["slack"], let text = s.string("slack") {
                if text.range(of: "^[UW][A-Z0-9]{2,}$", options: .regularExpression) == nil {
                    s.error("expected a Slack user id such as U0ALICE01 for \(id), got \"\(text)\"")
                } else if let other = slackIds[text] {
                    s.error("Slack user id \(text) is given to both \(other) and \(id)")
                } else { slackIds[text] = id; p.slack = text }
            }
            if let e = pm["email"], let text = e.string("email") {
                if text.contains("@") { p.email = text } else { e.error("expected an email address for \(id), got \"\(text)\"") }
            }
            if let n = pm["notify"], let items = n.stringList("notify") {
                var methods: [ContactMethod] = []
                for (text, node) in items {
                    guard let m = ContactMethod(rawValue: text) else {
                        node.error("unknown contact method \"\(text)\"; expected one of: \(ContactMethod.allCases.map(\.rawValue).joined(separator: ", "))")
                        continue
                    }
                    if m == .slack, p.slack == nil { node.error("\(id) is notified by slack but has no slack user id") }
                    if m == .email, p.email == nil { node.error("\(id) is notified by email but has no email address") }
                    methods.append(m)
                }
                p.notify = methods
            } else if p.slack == nil {
                p.notify = p.email != nil ? [.email] : []
                if p.email == nil { pm.owner.warning("\(id) has neither a slack user id nor an email address and cannot be paged") }
            }
            if let r = pm["roles"], let items = r.stringList("roles") {
                p.roles = items.compactMap { text, node in
                    if let role = Role(rawValue: text) { return role }
                    node.error("unknown role \"\(text)\"; expected one of: \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
                    return nil
                }
            }
            out.append(p)
        }
        return out
    }

    // MARK: team files

    mutating func loadTeam(_ root: YNode, fileStem: String) -> (Team, [String: YNode])? {
        guard let m = root.mapping("a team file", allowed: ["team", "time_zone", "schedules", "escalation_policies"], required: ["team"]),
              let id = m["team"]?.name("team") else { return nil }
        if id != fileStem { m["team"]!.warning("team \"\(id)\" is in a file named \(fileStem).yaml; name the file \(id).yaml") }
        let zone = m["time_zone"].flatMap { $0.timeZone("time_zone of team \(id)") } ?? defaultZone
        var schedules: [Schedule] = []
        var scheduleNodes: [String: YNode] = [:]
        if let sn = m["schedules"], let items = sn.list("schedules") {
            for item in items {
                if let (s, node) = loadSchedule(item, team: id, zone: zone) {
                    if scheduleNodes[s.id] != nil { node.error("duplicate schedule id \"\(s.id)\" in team \(id)") }
                    scheduleNodes[s.id] = node
                    schedules.append(s)
                }
            }
        }
        var policies: [EscalationPolicy] = []
        if let pn = m["escalation_policies"], let items = pn.list("escalation_policies") {
            var seen = Set<String>()
            for item in items {
                guard let p = loadPolicy(item, team: id) else { continue }
                if !seen.insert(p.id).inserted { item.error("duplicate escalation policy id \"\(p.id)\" in team \(id)") }
                policies.append(p)
            }
        }
        return (Team(id: id, timeZone: zone, schedules: schedules, policies: policies), scheduleNodes)
    }

    private mutating func loadSchedule(_ n: YNode, team: String, zone: TimeZone) -> (Schedule, YNode)? {
        guard let m = n.mapping("a schedule", allowed: ["id", "layers", "overrides"], required: ["id", "layers"]),
              let id = m["id"]?.name("schedule id") else { return nil }
        var layers: [Layer] = []
        var layerSources: [ScheduleSource.LayerSource] = []
        var overrideSources: [ScheduleSource.OverrideSource] = []
        var complete = true
        if let ln = m["layers"], let items = ln.list("layers") {
            if items.isEmpty { ln.error("schedule \(id) needs at least one layer") }
            for (i, item) in items.enumerated() {
                if let (l, source) = loadLayer(item, index: i, zone: zone) { layers.append(l); layerSources.append(source) } else { complete = false }
            }
        } else { complete = false }
        var overrides: [Override] = []
        if let on = m["overrides"], let items = on.list("overrides") {
            for item in items {
                guard let om = item.mapping("an override", allowed: ["member", "from", "to", "replaces"], required: ["member", "from", "to"]),
                      let memberNode = om["member"], let member = memberNode.name("override member"),
                      let fromNode = om["from"], let toNode = om["to"],
                      let from = instant(fromNode, zone: zone), let to = instant(toNode, zone: zone) else { complete = false; continue }
                references.append(Reference(kind: .person, name: member, node: memberNode, context: "override in schedule \(id)"))
                var replaces: String? = nil
                if let r = om["replaces"], let name = r.name("replaces") {
                    references.append(Reference(kind: .person, name: name, node: r, context: "override in schedule \(id)"))
                    replaces = name
                }
                guard to > from else { toNode.error("override ends (to) before or when it starts (from)"); complete = false; continue }
                overrides.append(Override(member: member, from: from, to: to, replaces: replaces))
                overrideSources.append(.init(node: item, replaces: om["replaces"]))
            }
        }
        let schedule = Schedule(id: id, timeZone: zone, layers: layers, overrides: overrides)
        scheduleSources.append(ScheduleSource(team: team, schedule: schedule, node: m.owner, layers: layerSources,
                                              overrides: overrideSources, complete: complete))
        return (schedule, m.owner)
    }

    private mutating func loadLayer(_ n: YNode, index: Int, zone: TimeZone) -> (Layer, ScheduleSource.LayerSource)? {
        guard let m = n.mapping("a layer", allowed: ["name", "time_zone", "rotation", "members", "restrict"], required: ["rotation", "members"]) else { return nil }
        let name = m["name"]?.name("layer name") ?? "layer \(index + 1)"
        let tz = m["time_zone"].flatMap { $0.timeZone("time_zone of layer \(name)") } ?? zone
        var members: [String] = []
        if let mn = m["members"], let items = mn.stringList("members") {
            if items.isEmpty { mn.error("layer \(name) needs at least one member") }
            for (text, node) in items {
                references.append(Reference(kind: .person, name: text, node: node, context: "layer \(name)"))
                members.append(text)
            }
        }
        guard let rn = m["rotation"], let rm = rn.mapping("rotation", allowed: ["every", "handoff", "start"], required: ["every", "start"]) else { return nil }
        var period: RotationPeriod? = nil
        if let en = rm["every"], let text = en.string("rotation.every") {
            do { period = try RotationPeriod.parse(text) } catch let e as TimeParseError { en.error(atOffset: e.offset, "bad rotation.every: \(e.message)") } catch {}
        }
        var handoff: (Weekday?, WallTime) = (nil, WallTime(hour: 0, minute: 0))
        if let hn = rm["handoff"], let text = hn.string("rotation.handoff") {
            do { handoff = try Rotation.parseHandoff(text) } catch let e as TimeParseError { hn.error(atOffset: e.offset, "bad rotation.handoff: \(e.message)") } catch {}
        }
        var start: LocalDate? = nil
        if let sn = rm["start"], let text = sn.string("rotation.start") {
            do { start = try LocalDate.parse(text) } catch let e as TimeParseError { sn.error(atOffset: e.offset, "bad rotation.start: \(e.message)") } catch {}
        }
        if case .weeks = period, handoff.0 == nil, rm.has("handoff") {
            rm["handoff"]!.error("a weekly rotation's handoff needs a weekday, e.g. \"Mon 09:00\"")
        }
        if let p = period, handoff.0 != nil, !{ if case .weeks = p { return true } else { return false } }() {
            rm["handoff"]?.error("only weekly rotations take a weekday in handoff; write just HH:MM")
        }
        var restrictions: [RestrictionWindow] = []
        var windowNodes: [YNode] = []
        var restrictionsRead = true
        if let r = m["restrict"] {
            if let items = r.stringList("restrict") {
                for (text, node) in items {
                    do { restrictions.append(try RestrictionWindow.parse(text)); windowNodes.append(node) } catch let e as TimeParseError {
                        node.error(atOffset: e.offset, "bad restriction window: \(e.message)")
                        restrictionsRead = false
                    } catch { restrictionsRead = false }
                }
            } else { restrictionsRead = false }
        }
        guard let period, let start, restrictionsRead else { return nil }
        let rotation = Rotation(every: period, handoff: handoff.1, handoffWeekday: handoff.0, start: start)
        return (Layer(name: name, timeZone: tz, rotation: rotation, members: members, restrictions: restrictions),
                .init(node: n, restrict: m["restrict"], windows: windowNodes))
    }

    private mutating func loadPolicy(_ n: YNode, team: String) -> EscalationPolicy? {
        guard let m = n.mapping("an escalation policy", allowed: ["id", "repeat", "steps"], required: ["id", "steps"]),
              let id = m["id"]?.name("escalation policy id") else { return nil }
        let repeatCount = m["repeat"]?.int("repeat", min: 0) ?? 0
        var steps: [EscalationStep] = []
        if let sn = m["steps"], let items = sn.list("steps") {
            if items.isEmpty { sn.error("escalation policy \(id) needs at least one step") }
            for item in items {
                guard let stm = item.mapping("an escalation step", allowed: ["notify", "escalate_after"], required: ["notify"]) else { continue }
                var targets: [EscalationTarget] = []
                if let nn = stm["notify"], let list = nn.stringList("notify") {
                    if list.isEmpty { nn.error("an escalation step needs at least one target") }
                    for (text, node) in list {
                        if let t = target(text, node, team: team) { targets.append(t) }
                    }
                }
                let after = stm["escalate_after"]?.duration("escalate_after") ?? 900
                if after <= 0 { stm["escalate_after"]?.error("escalate_after must be longer than 0s") }
                steps.append(EscalationStep(targets: targets, escalateAfter: after))
            }
        }
        return EscalationPolicy(id: id, repeatCount: repeatCount, steps: steps)
    }

    private mutating func target(_ text: String, _ node: YNode, team: String) -> EscalationTarget? {
        if text.hasPrefix("schedule:") {
            let s = String(text.dropFirst(9))
            references.append(Reference(kind: .schedule(team: team), name: s, node: node, context: "escalation step"))
            return .schedule(s)
        }
        if text.hasPrefix("person:") {
            let p = String(text.dropFirst(7))
            references.append(Reference(kind: .person, name: p, node: node, context: "escalation step"))
            return .person(p)
        }
        if text.hasPrefix("slack:") || text.hasPrefix("channel:") {
            guard let ref = SettingsLoader.channelRef(text, node) else { return nil }
            switch ref {
            case .named(let n): references.append(Reference(kind: .channel, name: n, node: node, context: "escalation step"))
            case .slackChannel: references.append(Reference(kind: .slackApp, name: text, node: node, context: "escalation step"))
            }
            return .channel(ref)
        }
        node.error("unknown escalation target \"\(text)\"; expected schedule:<id>, person:<id>, slack:#channel or channel:<name>")
        return nil
    }

    /// An override time: local to the team's zone, or with an offset / `Z`.
    private func instant(_ n: YNode, zone: TimeZone) -> Date? {
        guard let text = n.string("override time") else { return nil }
        let pattern = #"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$"#
        guard let re = try? NSRegularExpression(pattern: pattern),
              let match = re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else {
            n.error("expected a time such as 2026-12-24T18:00 (local to the team) or 2026-04-01T09:00+02:00, got \"\(text)\"")
            return nil
        }
        func group(_ i: Int) -> String? {
            guard let r = Range(match.range(at: i), in: text) else { return nil }
            return String(text[r])
        }
        let y = Int(group(1)!)!, mo = Int(group(2)!)!, d = Int(group(3)!)!, h = Int(group(4)!)!, mi = Int(group(5)!)!
        let sec = Int(group(6) ?? "0")!
        guard (1...12).contains(mo), (1...31).contains(d), (0...23).contains(h), (0...59).contains(mi), (0...59).contains(sec),
              LocalDate.isValid(year: y, month: mo, day: d) else {
            n.error("\"\(text)\" is not a valid date and time")
            return nil
        }
        if let off = group(7) {
            var offset = 0
            if off != "Z" {
                let digits = off.dropFirst().replacingOccurrences(of: ":", with: "")
                let oh = Int(digits.prefix(2))!, om = Int(digits.suffix(2))!
                guard oh <= 23, om <= 59 else { n.error("bad UTC offset \(off) in \"\(text)\""); return nil }
                offset = (oh * 3600 + om * 60) * (off.hasPrefix("-") ? -1 : 1)
            }
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            guard let base = utc.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: sec)) else { return nil }
            return base.addingTimeInterval(TimeInterval(-offset))
        }
        let local = LocalDateTime(date: LocalDate(year: y, month: mo, day: d), time: WallTime(hour: h, minute: mi))
        return zone.instant(of: local).addingTimeInterval(TimeInterval(sec))
    }
}
