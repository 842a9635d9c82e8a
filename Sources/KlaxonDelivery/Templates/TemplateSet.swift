import Foundation
import KlaxonCore
import KlaxonEngine
import Mustache

/// The message templates: the defaults carried in the binary, each replaced by a file of the
/// same name in `Templates/` when there is one.
public struct TemplateSet: Sendable {
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var message: String
        public var description: String { "\(file):1:1: \(message)" }
    }

    private let templates: [String: MustacheTemplate]
    /// Where each template came from (`built-in` or a file path).
    public let sources: [String: String]

    private static let registered: Void = {
        MustacheContentTypes.register(SlackJSONContentType(), named: "KLAXON_SLACK_JSON")
        MustacheContentTypes.register(JSONContentType(), named: "KLAXON_JSON")
        MustacheContentTypes.register(PlainContentType(), named: "KLAXON_TEXT")
    }()

    /// The content type a template name implies: `.slack` → Block Kit JSON, `.teams`/`.webhook`/
    /// `.pagerduty` → JSON, others plain text.
    static func contentType(for name: String) -> String {
        let kind = name.split(separator: ".").last.map(String.init) ?? ""
        switch kind {
        case "slack", "slack_webhook": return "KLAXON_SLACK_JSON"
        case "teams", "webhook", "pagerduty": return "KLAXON_JSON"
        default: return "KLAXON_TEXT"
        }
    }

    static func compile(_ text: String, name: String) throws -> MustacheTemplate {
        _ = registered
        return try MustacheTemplate(string: "{{% CONTENT_TYPE: \(contentType(for: name))}}" + text)
    }

    /// Defaults overlaid with `directory/*.mustache`. A template that does not parse is an error
    /// naming its file.
    public init(directory: String?) throws {
        var templates: [String: MustacheTemplate] = [:]
        var sources: [String: String] = [:]
        for (name, text) in DefaultTemplates.all {
            templates[name] = try Self.compile(text, name: name)
            sources[name] = "built-in"
        }
        if let directory, let files = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            for file in files.sorted() where file.hasSuffix(".mustache") {
                let path = (directory as NSString).appendingPathComponent(file)
                let name = String(file.dropLast(".mustache".count))
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw LoadError(file: path, message: "cannot read template")
                }
                do { templates[name] = try Self.compile(text, name: name) } catch {
                    throw LoadError(file: path, message: "template does not parse: \(error)")
                }
                sources[name] = path
            }
        }
        self.templates = templates
        self.sources = sources
    }

    public var names: [String] { templates.keys.sorted() }

    /// The template for a stakeholder message: the playbook's own kind when a template of that
    /// name exists for the channel kind, else the audience's default.
    public func stakeholderTemplate(_ detail: String?, channelKind: String) -> String {
        guard let d = StakeholderDetail.decode(detail) else { return "technical-update.\(channelKind)" }
        let own = "\(d.template).\(channelKind)"
        return templates[own] != nil ? own : "\(StakeholderDetail.defaultTemplate(d.audience)).\(channelKind)"
    }

    /// Renders template `name` with `context`; nil when there is no such template.
    public func render(_ name: String, _ context: [String: Any]) -> String? {
        templates[name]?.render(context)
    }
}

/// The templates the notifiers render with, replaceable while serving (configuration reload).
public final class TemplateLibrary: Sendable {
    private let state: Locked<TemplateSet>
    public init(_ set: TemplateSet) { state = Locked(set) }
    public var current: TemplateSet { state.current }
    public func replace(with set: TemplateSet) { state.withLock { $0 = set } }
}
