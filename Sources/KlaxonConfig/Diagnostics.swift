import Foundation

/// One finding about a configuration file, pointing at `file:line:column`.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Level: String, Sendable, Hashable { case error, warning }
    public var file: String
    public var line: Int
    public var column: Int
    public var level: Level
    public var message: String

    public init(file: String, line: Int, column: Int, level: Level, message: String) {
        self.file = file; self.line = line; self.column = column; self.level = level; self.message = message
    }

    /// `file:line:column: message` for errors, `file:line:column: warning: message` for warnings.
    public var description: String {
        level == .error ? "\(file):\(line):\(column): \(message)" : "\(file):\(line):\(column): warning: \(message)"
    }
}

/// Collects diagnostics while a configuration folder is read.
final class DiagnosticSink {
    private(set) var items: [Diagnostic] = []

    func error(_ file: String, _ line: Int, _ column: Int, _ message: String) {
        items.append(Diagnostic(file: file, line: line, column: column, level: .error, message: message))
    }

    func warning(_ file: String, _ line: Int, _ column: Int, _ message: String) {
        items.append(Diagnostic(file: file, line: line, column: column, level: .warning, message: message))
    }

    var hasErrors: Bool { items.contains { $0.level == .error } }
}

/// Thrown by `ConfigLoader.load` when any file has an error; carries every diagnostic found.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public var errors: [Diagnostic] { diagnostics.filter { $0.level == .error } }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
