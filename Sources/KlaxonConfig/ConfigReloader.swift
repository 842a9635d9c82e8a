import Foundation
import KlaxonCore

/// Reloads a configuration folder while Klaxon serves (on SIGHUP and when a file changes): the
/// folder is read again in full, and the new configuration is applied only when it has no error at
/// all; otherwise every error is logged and the configuration in use stays as it was.
///
/// Time and I/O stay outside: the caller decides when to call `reload`, `now` feeds the schedule
/// lint, and `apply` and `log` are how the result leaves (the server swaps its `Runtime`).
public final class ConfigReloader: @unchecked Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The new configuration is in use; these warnings came with it.
        case applied(warnings: [Diagnostic])
        /// The configuration in use was kept because of these errors.
        case refused(errors: [Diagnostic])
    }

    public enum LogLevel: Sendable { case info, warning, error }

    public let configPath: String
    private let loader: ConfigLoader
    private let now: @Sendable () -> Date
    private let validate: @Sendable (Configuration) -> [Diagnostic]
    private let apply: @Sendable (Configuration) -> Void
    private let log: @Sendable (LogLevel, String) -> Void
    private let lock = NSLock()

    /// - Parameters:
    ///   - validate: checks beyond the loader's (the server passes the template check); any error
    ///     it returns refuses the reload.
    public init(configPath: String, loader: ConfigLoader = ConfigLoader(), now: @escaping @Sendable () -> Date = { Date() },
                validate: @escaping @Sendable (Configuration) -> [Diagnostic] = { _ in [] },
                apply: @escaping @Sendable (Configuration) -> Void,
                log: @escaping @Sendable (LogLevel, String) -> Void) {
        self.configPath = configPath; self.loader = loader; self.now = now
        self.validate = validate; self.apply = apply; self.log = log
    }

    /// Reads the folder again and applies it if it is free of errors. Reloads never overlap.
    @discardableResult
    public func reload(reason: String = "reload requested") -> Outcome {
        lock.lock()
        defer { lock.unlock() }
        let result = loader.load(configPath: configPath, now: now())
        var diagnostics = result.diagnostics
        if let config = result.configuration, result.errors.isEmpty {
            diagnostics += validate(config)
        }
        let errors = diagnostics.filter { $0.level == .error }
        guard errors.isEmpty, let config = result.configuration else {
            for e in errors { log(.error, e.description) }
            log(.error, "configuration not reloaded (\(reason)): \(errors.count) error(s); the configuration in use is kept")
            return .refused(errors: errors)
        }
        apply(config)
        let warnings = diagnostics.filter { $0.level == .warning }
        log(.info, "configuration reloaded (\(reason)): \(config.people.count) people, \(config.teams.count) team(s), \(config.playbooks.count) playbook(s); \(warnings.count) warning(s)")
        return .applied(warnings: warnings)
    }
}

/// Notices changes to the files of a configuration folder by their modification times and sizes:
/// `klaxon.yaml` and everything under `Rotations/`, `Playbooks/` and `Templates/` beside it (files
/// added or removed count). One `changed()` call is a directory listing and a `stat` per file, cheap
/// enough to poll every two seconds.
public final class ConfigWatcher: @unchecked Sendable {
    public struct Stamp: Sendable, Equatable {
        var modified: Date
        var size: Int
    }

    public let configPath: String
    private let lock = NSLock()
    private var last: [String: Stamp]

    public init(configPath: String) {
        self.configPath = configPath
        last = [:]
        last = fingerprint()
    }

    /// The files watched, each with its stamp.
    public func fingerprint() -> [String: Stamp] {
        let fm = FileManager.default
        var out: [String: Stamp] = [:]
        func add(_ path: String) {
            guard let a = try? fm.attributesOfItem(atPath: path) else { return }
            out[path] = Stamp(modified: a[.modificationDate] as? Date ?? .distantPast, size: (a[.size] as? NSNumber)?.intValue ?? -1)
        }
        add(configPath)
        let dir = (configPath as NSString).deletingLastPathComponent
        for sub in ["Rotations", "Playbooks", "Templates"] {
            let folder = ((dir.isEmpty ? "." : dir) as NSString).appendingPathComponent(sub)
            guard let names = try? fm.contentsOfDirectory(atPath: folder) else { continue }
            for name in names where !name.hasPrefix(".") {
                add((folder as NSString).appendingPathComponent(name))
            }
        }
        return out
    }

    /// Whether any watched file changed, appeared or went away since the last call (or since init).
    public func changed() -> Bool {
        let now = fingerprint()
        lock.lock()
        defer { lock.unlock() }
        guard now != last else { return false }
        last = now
        return true
    }
}
