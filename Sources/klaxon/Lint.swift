import ArgumentParser
import Foundation
import KlaxonConfig
import KlaxonCore
import KlaxonDelivery

struct Lint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Checks every configuration file; errors as file:line:column: message, exit 1 on error.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let result = ConfigLoader().load(configPath: options.config)
        var diagnostics = result.diagnostics
        if let c = result.configuration {
            do { _ = try TemplateSet(directory: (c.directory as NSString).appendingPathComponent("Templates")) } catch let e as TemplateSet.LoadError {
                diagnostics.append(Diagnostic(file: e.file, line: 1, column: 1, level: .error, message: e.message))
            }
        }
        for d in diagnostics { print(d.description) }
        let errors = diagnostics.filter { $0.level == .error }.count
        let warnings = diagnostics.count - errors
        if errors > 0 {
            printError("\(errors) error(s), \(warnings) warning(s)")
            throw ExitCode(1)
        }
        if let c = result.configuration {
            print("ok: \(c.people.count) people, \(c.teams.count) team(s), \(c.playbooks.count) playbook(s), \(c.settings.integrations.count) integration(s); \(warnings) warning(s)")
        }
    }
}
