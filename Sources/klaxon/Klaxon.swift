import ArgumentParser
import Foundation

@main
struct Klaxon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "klaxon",
        abstract: "A self-hosted chat-ops paging bot: alerts in, the right person paged, acknowledged from chat.",
        version: "0.1.0",
        subcommands: [Serve.self, Lint.self, OnCallCommand.self, ScheduleCommand.self, CalendarURLCommand.self,
                      PlaybookCommand.self, Classify.self, Simulate.self, TemplateCommand.self, SendTest.self, ReportCommand.self])
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
