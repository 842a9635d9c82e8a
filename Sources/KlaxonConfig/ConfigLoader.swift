import Foundation
import KlaxonCore
import Yams

/// What reading a configuration folder produced: the configuration when there were no errors,
/// and every diagnostic (errors and warnings) in file order.
public struct LoadResult: Sendable {
    public var configuration: Configuration?
    public var diagnostics: [Diagnostic]
    public var errors: [Diagnostic] { diagnostics.filter { $0.level == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.level == .warning } }

    /// The configuration, or a `ConfigError` carrying every diagnostic.
    public func get() throws -> Configuration {
        guard let c = configuration, errors.isEmpty else { throw ConfigError(diagnostics: diagnostics) }
        return c
    }
}

/// Reads `klaxon.yaml` and the `Rotations/` and `Playbooks/` folders beside it, strictly: an
/// unknown key, a wrong type, an unknown name or a bad value is an error at `file:line:column`.
public struct ConfigLoader: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Reads the folder of `configPath`. `now` is when the schedule lint looks from (gaps in the
    /// next 28 days); tests pass a fixed instant.
    public func load(configPath: String, now: Date = Date()) -> LoadResult {
        let sink = DiagnosticSink()
        let directory = (configPath as NSString).deletingLastPathComponent
        func display(_ relative: String) -> String {
            directory.isEmpty || directory == "." ? relative : (directory as NSString).appendingPathComponent(relative)
        }
        let resolver = SecretResolver(environment: environment, directory: directory.isEmpty ? "." : directory)

        // klaxon.yaml first for the default zone; cross references are checked at the end.
        var settings: Settings? = nil
        let settingsRoot = parse(path: configPath, display: configPath, sink: sink)
        if let root = settingsRoot {
            settings = SettingsLoader(resolver: resolver).load(root)
        }
        let defaultZone = settings?.timeZone ?? TimeZone(identifier: "UTC")!
        var rotations = RotationsLoader(defaultZone: defaultZone)

        let rotationsDir = display("Rotations")
        var people: [Person] = []
        let peoplePath = (rotationsDir as NSString).appendingPathComponent("people.yaml")
        if FileManager.default.fileExists(atPath: peoplePath) {
            if let root = parse(path: peoplePath, display: peoplePath, sink: sink) { people = rotations.loadPeople(root) }
        }
        var teams: [Team] = []
        var teamNodes: [String: String] = [:]
        for file in yamlFiles(in: rotationsDir) where file != "people.yaml" {
            let path = (rotationsDir as NSString).appendingPathComponent(file)
            guard let root = parse(path: path, display: path, sink: sink) else { continue }
            let stem = (file as NSString).deletingPathExtension
            let sourcesBefore = rotations.scheduleSources.count
            if let (team, _) = rotations.loadTeam(root, fileStem: stem) {
                if let other = teamNodes[team.id] {
                    sink.error(path, root.line, root.column, "team \"\(team.id)\" is also defined in \(other)")
                    rotations.scheduleSources.removeSubrange(sourcesBefore...)
                    continue
                }
                teamNodes[team.id] = path
                teams.append(team)
            }
        }

        let playbooksDir = display("Playbooks")
        var playbooks: [Playbook] = []
        var playbookRefs: [Reference] = []
        var playbookIds: [String: String] = [:]
        for file in yamlFiles(in: playbooksDir) {
            let path = (playbooksDir as NSString).appendingPathComponent(file)
            guard let root = parse(path: path, display: path, sink: sink) else { continue }
            guard let pb = PlaybookLoader().load(root, file: path) else { continue }
            if let other = playbookIds[pb.id] {
                sink.error(path, root.line, root.column, "playbook id \"\(pb.id)\" is also used by \(other)")
                continue
            }
            playbookIds[pb.id] = path
            playbooks.append(pb)
            playbookRefs += playbookReferences(root, pb)
        }

        // Playbooks that may match the same alert: the first by file name wins, and lint says so.
        for (i, later) in playbooks.enumerated() {
            for earlier in playbooks[..<i] {
                for (gi, gj) in later.overlaps(with: earlier) {
                    let (line, column) = playbookMatchPosition(path: later.file, group: gi)
                    sink.warning(later.file, line, column,
                                 "match group \(gi + 1) of playbook \(later.id) may match the same alerts as group \(gj + 1) of \(earlier.id) (\(earlier.file)); \(earlier.id) wins because it comes first by file name")
                }
            }
        }

        // Cross references, now that every file is read.
        let personIds = Set(people.map(\.id))
        let teamIds = Set(teams.map(\.id))
        let channelNames = Set(settings?.channels.map(\.name) ?? [])
        let hasSlackApp = settings?.slackChannel != nil
        var refs = rotations.references + playbookRefs
        if let settings {
            if let root = settingsRoot { refs += settingsReferences(root) }
        }
        for r in refs {
            switch r.kind {
            case .person where !personIds.contains(r.name):
                r.node.error("unknown person \"\(r.name)\" in \(r.context); people are listed in Rotations/people.yaml")
            case .team where !teamIds.contains(r.name):
                r.node.error("unknown team \"\(r.name)\" in \(r.context); teams are the Rotations/<team>.yaml files")
            case .channel where !channelNames.contains(r.name):
                r.node.error("unknown channel \"\(r.name)\" in \(r.context); channels are listed under channels: in klaxon.yaml")
            case .slackApp where !hasSlackApp:
                r.node.error("\(r.name) in \(r.context) needs a channel of kind slack in klaxon.yaml")
            case .schedule(let team):
                if let t = teams.first(where: { $0.id == team }), t.schedule(r.name) == nil {
                    r.node.error("unknown schedule \"\(r.name)\" in \(r.context) of team \(team); it has: \(t.schedules.map(\.id).joined(separator: ", "))")
                }
            case .policy(let team):
                if let t = teams.first(where: { $0.id == team }), t.policy(r.name) == nil {
                    r.node.error("unknown escalation policy \"\(r.name)\" in \(r.context) of team \(team); it has: \(t.policies.map(\.id).joined(separator: ", "))")
                }
            default: break
            }
        }

        // The schedules themselves: gaps, overlapping overrides, replaces, layers always empty.
        ScheduleChecks.report(rotations.scheduleSources, knownPeople: personIds, now: now)

        guard let settings, !sink.hasErrors else { return LoadResult(configuration: nil, diagnostics: sink.items) }
        let config = Configuration(settings: settings, people: people, teams: teams, playbooks: playbooks,
                                   directory: directory.isEmpty ? "." : directory)
        return LoadResult(configuration: config, diagnostics: sink.items)
    }

    private func playbookReferences(_ root: YNode, _ pb: Playbook) -> [Reference] {
        guard case .mapping(let m) = root.node else { return [] }
        var out: [Reference] = []
        for (k, v) in m {
            let node = YNode(node: v, file: root.file, sink: root.sink)
            switch k.scalar?.string {
            case "team": if let t = pb.team { out.append(Reference(kind: .team, name: t, node: node, context: "playbook \(pb.id)")) }
            case "escalation_policy":
                if let p = pb.escalationPolicy, let t = pb.team {
                    out.append(Reference(kind: .policy(team: t), name: p, node: node, context: "playbook \(pb.id)"))
                }
            default: break
            }
        }
        return out
    }

    /// References from klaxon.yaml (integration teams, stakeholder channels), found again by
    /// walking its nodes so errors point at the right place.
    private func settingsReferences(_ root: YNode) -> [Reference] {
        guard case .mapping(let m) = root.node else { return [] }
        let configPath = root.file, sink = root.sink
        var out: [Reference] = []
        if let integrations = m["integrations"], case .sequence(let items) = integrations {
            for item in items {
                if let team = item["team"], let name = team.scalar?.string {
                    out.append(Reference(kind: .team, name: name, node: YNode(node: team, file: configPath, sink: sink), context: "integration"))
                }
            }
        }
        if let st = m["stakeholders"], case .mapping(let sm) = st {
            for (_, audience) in sm {
                guard let chans = audience["channels"], case .sequence(let items) = chans else { continue }
                for item in items {
                    guard let text = item.scalar?.string else { continue }
                    let y = YNode(node: item, file: configPath, sink: sink)
                    let throwaway = YNode(node: item, file: configPath, sink: DiagnosticSink())
                    switch SettingsLoader.channelRef(text, throwaway) {
                    case .named(let n)?: out.append(Reference(kind: .channel, name: n, node: y, context: "stakeholders"))
                    case .slackChannel?: out.append(Reference(kind: .slackApp, name: text, node: y, context: "stakeholders"))
                    case nil: break
                    }
                }
            }
        }
        return out
    }

    /// Where match group `group` of a playbook file starts.
    private func playbookMatchPosition(path: String, group: Int) -> (Int, Int) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let node = try? Yams.compose(yaml: text),
              case .mapping(let m) = node, let match = m["match"] else { return (1, 1) }
        if case .sequence(let items) = match, group < items.count, let mark = items[group].mark { return (mark.line, mark.column) }
        return (match.mark?.line ?? 1, match.mark?.column ?? 1)
    }

    private func yamlFiles(in dir: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }.sorted()
    }

    /// A place libyaml reports, moved onto the text: at the end of input it names the line
    /// after the last one, which no editor can open; that is the end of the last line instead.
    static func place(line: Int, column: Int, in text: String) -> (line: Int, column: Int) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        guard line > lines.count, let last = lines.last else { return (max(line, 1), max(column, 1)) }
        return (lines.count, last.unicodeScalars.count + 1)
    }

    private func parse(path: String, display: String, sink: DiagnosticSink) -> YNode? {
        guard let data = FileManager.default.contents(atPath: path) else {
            sink.error(display, 1, 1, "cannot read \(path)")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            sink.error(display, 1, 1, "\(path) is not valid UTF-8")
            return nil
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                sink.error(display, 1, 1, "\(path) is empty")
                return nil
            }
            return YNode(node: node, file: display, sink: sink)
        } catch let e as YamlError {
            switch e {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                let (line, column) = Self.place(line: mark.line, column: mark.column, in: text)
                sink.error(display, line, column, "YAML syntax error: \(problem)")
            case .duplicatedKeysInMapping(let dups, let ctx):
                sink.error(display, ctx.mark.line, ctx.mark.column, "duplicate key \(dups.joined(separator: ", "))")
            default:
                sink.error(display, 1, 1, "YAML error: \(e)")
            }
            return nil
        } catch {
            sink.error(display, 1, 1, "YAML error: \(error)")
            return nil
        }
    }
}
