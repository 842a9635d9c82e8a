import ArgumentParser
import CJemalloc
import Foundation
import KlaxonEngine

@main
struct Klaxon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "klaxon",
        abstract: "A self-hosted chat-ops paging bot: alerts in, the right person paged, acknowledged from chat.",
        version: "0.1.0",
        subcommands: [Serve.self, Lint.self, OnCallCommand.self, ScheduleCommand.self, CalendarURLCommand.self,
                      PlaybookCommand.self, Classify.self, Simulate.self, TemplateCommand.self, SendTest.self, ReportCommand.self])

    /// ArgumentParser's own `main`, after capping malloc's arenas (see `limitMallocArenas`).
    static func main() async {
        limitMallocArenas()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// The allocator this process runs on, for the log: jemalloc, linked in (see `CJemalloc`).
var allocatorDescription: String {
    klaxon_jemalloc_version().map { "jemalloc " + String(cString: $0) } ?? "the C library's malloc"
}

/// `--config PATH`, shared by every command.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path to klaxon.yaml; Rotations/, Templates/ and Playbooks/ are read from beside it.")
    var config: String = "klaxon.yaml"
}

/// Writes a line to standard error.
func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
