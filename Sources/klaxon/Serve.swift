import ArgumentParser
import CJemalloc
import Foundation
import Hummingbird
import KlaxonConfig
import KlaxonCore
import KlaxonCurl
import KlaxonDelivery
import KlaxonEngine
import KlaxonHTTP
import KlaxonStore
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Runs the service.")

    @OptionGroup var options: ConfigOption

    @Option(help: "Listen on host:port instead of server.listen (port 0 picks a free port).")
    var listen: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Flag(help: .hidden)
    var virtualClock = false

    /// Test-only: where the virtual clock starts (RFC 3339), e.g. to restart "an hour later".
    @Option(help: .hidden)
    var virtualClockStart: String?

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "klaxon")
        logger.info("allocator: jemalloc \(String(cString: klaxon_jemalloc_version()))")
        let result = ConfigLoader().load(configPath: options.config)
        guard let config = result.configuration, result.errors.isEmpty else {
            for d in result.diagnostics { printError(d.description) }
            printError("klaxon: the configuration has errors; run klaxon lint")
            throw ExitCode(1)
        }
        var clockStart: Date? = nil
        if let text = virtualClockStart {
            guard let d = SimulationInput.time(text) else {
                printError("klaxon: --virtual-clock-start must be an RFC 3339 time")
                throw ExitCode(1)
            }
            clockStart = d
        }
        let app = try await Composition.build(config: config, logger: logger, listen: listen, virtualClock: virtualClock, virtualClockStart: clockStart,
                                              configPath: options.config)
        for w in result.warnings where !w.message.contains("is unset") { logger.warning("\(w.description)") }
        try await app.runService()
    }
}

/// The one place that knows every piece: config -> store -> engine -> delivery -> HTTP.
enum Composition {
    static let registry = PrometheusCollectorRegistry()

    static func build(config: Configuration, logger: Logger, listen: String?, virtualClock: Bool, virtualClockStart: Date? = nil,
                      configPath: String? = nil) async throws -> some ApplicationProtocol {
        var factory = PrometheusMetricsFactory(registry: registry)
        for label in [GroupCommitter.commitMetric, GroupCommitter.syncMetric] { factory.durationHistogramBuckets[label] = GroupCommitter.durationBuckets }
        for label in [GroupCommitter.batchMetric, GroupCommitter.syncBatchMetric] { factory.valueHistogramBuckets[label] = GroupCommitter.sizeBuckets }
        MetricsSystem.bootstrap(factory)

        // Channels whose secrets are missing are said once and skipped.
        for channel in config.settings.channels where !channel.missingSecrets.isEmpty {
            logger.warning("channel \(channel.name) (\(channel.kind.rawValue)) skipped: \(channel.missingSecrets.joined(separator: ", ")) not set")
        }
        for i in config.settings.integrations where !i.token.isSet {
            logger.warning("integration \(i.name) refuses every request: its token (\(i.token)) is not set")
        }
        if config.settings.slackSigningSecret?.isSet != true {
            logger.warning("Slack commands and buttons are refused: slack.signing_secret is not set")
        }

        let store: any IncidentStore
        switch config.settings.storage {
        case .sqlite(let path):
            let full = path.hasPrefix("/") ? path : (config.directory as NSString).appendingPathComponent(path)
            // For measurements and tests (README, Performance): KLAXON_INBOX, how many records
            // wait in the ingest log before they are filed into per-incident chunks (4,096);
            // KLAXON_CHUNK, how many one transaction files at most (512); KLAXON_MOVED, how many
            // filed alerts the writer tracks before it clears its map and reads back on use (262,144).
            func knob(_ name: String, _ standard: Int, least: Int) throws -> Int {
                guard let raw = ProcessInfo.processInfo.environment[name] else { return standard }
                guard let n = Int(raw), n >= least, n <= 1 << 30 else {
                    printError("klaxon: \(name) must be a whole number from \(least) to \(1 << 30), got \"\(raw)\"")
                    throw ExitCode(2)
                }
                logger.info("store: \(name)=\(n)")
                return n
            }
            store = try SQLiteStore(path: full, inboxLimit: try knob("KLAXON_INBOX", 4096, least: 0),
                                    mergeChunk: try knob("KLAXON_CHUNK", 512, least: 1),
                                    movedLimit: try knob("KLAXON_MOVED", 262_144, least: 0))
            logger.info("store: SQLite at \(full)")
        case .postgres:
            printError("klaxon: the PostgreSQL store is not available in this build yet; use storage: sqlite:./klaxon.db")
            throw ExitCode(1)
        }

        let manualClock = virtualClock ? ManualClock(now: virtualClockStart ?? Date()) : nil
        let clock: any KlaxonClock = manualClock ?? SystemClock()
        let runtime = Runtime(config: config)
        let engine = IncidentService(store: store, clock: clock, runtime: runtime, logger: logger)

        let templates = TemplateLibrary(try TemplateSet(directory: (config.directory as NSString).appendingPathComponent("Templates")))
        let curl = CurlClient(userAgent: "Klaxon/0.1")
        let people: @Sendable (String) -> Person? = { id in runtime.snapshot.config.person(id) }
        var notifiers: [String: any Notifier] = [:]
        let enabled = runtime.snapshot.enabledChannels
        for channel in config.settings.channels where enabled.contains(channel.name) {
            switch channel.kind {
            case .slack: notifiers[channel.name] = SlackNotifier(channel: channel, client: curl, templates: templates, people: people)
            case .email: notifiers[channel.name] = EmailNotifier(channel: channel, client: curl, templates: templates, people: people)
            default: logger.warning("channel \(channel.name): kind \(channel.kind.rawValue) is not supported yet; skipped")
            }
        }
        let timers = TimerService(engine: engine)
        let delivery = DeliveryService(engine: engine, notifiers: notifiers)
        var services: [any Service] = [timers, delivery]
        if let configPath {
            services.append(ConfigReloadService(reloader: reloader(configPath: configPath, runtime: runtime, templates: templates, logger: logger)))
        }

        var host = config.settings.server.host
        var port = config.settings.server.port
        if let listen {
            let parts = listen.split(separator: ":")
            guard parts.count == 2, let p = Int(parts[1]) else {
                printError("klaxon: --listen must be host:port")
                throw ExitCode(1)
            }
            host = String(parts[0]); port = p
        }
        let control = manualClock.map { clock in
            TestClockControl { seconds in
                // Step through every due time on the way, as real time would.
                let target = clock.now.addingTimeInterval(seconds)
                _ = try await delivery.deliverDue()
                while let next = try await engine.store.nextTimerDue(), next <= target {
                    clock.advance(to: next)
                    _ = try await timers.fireDue()
                    try await delivery.settle()
                }
                clock.advance(to: target)
                try await delivery.settle()
                return clock.now
            }
        }
        let deps = HTTPDependencies(engine: engine, metrics: registry, logger: logger, testClock: control) { url, body in
            let r = try await curl.perform(KlaxonCurl.HTTPRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")], body: body))
            guard (200..<300).contains(r.status) else { throw SlackResponseError(status: r.status) }
        }
        let boundHost = host
        return buildApplication(deps, host: host, port: port, services: services) { port in
            // Tests and humans read this line to learn the port.
            FileHandle.standardOutput.write(Data("klaxon listening on \(boundHost):\(port)\n".utf8))
        }
    }

    /// Reloads the folder of `configPath` into `runtime` when it is free of errors (templates
    /// included); what only a restart can change is said so.
    static func reloader(configPath: String, runtime: Runtime, templates: TemplateLibrary, logger: Logger) -> ConfigReloader {
        ConfigReloader(
            configPath: configPath,
            validate: { config in
                do { _ = try TemplateSet(directory: (config.directory as NSString).appendingPathComponent("Templates")); return [] }
                catch let e as TemplateSet.LoadError { return [Diagnostic(file: e.file, line: 1, column: 1, level: .error, message: e.message)] }
                catch { return [Diagnostic(file: config.directory + "/Templates", line: 1, column: 1, level: .error, message: "\(error)")] }
            },
            apply: { config in
                let old = runtime.snapshot.config.settings
                runtime.replace(with: config)
                if let set = try? TemplateSet(directory: (config.directory as NSString).appendingPathComponent("Templates")) {
                    templates.replace(with: set)
                }
                let new = config.settings
                var restart: [String] = []
                if old.server != new.server { restart.append("server") }
                if old.storage != new.storage { restart.append("storage") }
                if old.channels != new.channels { restart.append("channels") }
                if !restart.isEmpty {
                    logger.warning("changes to \(restart.joined(separator: ", ")) in klaxon.yaml take effect at the next restart")
                }
            },
            log: { level, message in
                switch level {
                case .info: logger.info("\(message)")
                case .warning: logger.warning("\(message)")
                case .error: logger.error("\(message)")
                }
            })
    }
}

/// A Slack `response_url` refused an ephemeral answer.
struct SlackResponseError: Error, CustomStringConvertible {
    var status: Int
    var description: String { "the response_url answered \(status)" }
}
