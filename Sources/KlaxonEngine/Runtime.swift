import Foundation
import KlaxonCore

/// The configuration the engine runs on, swappable at run time (reload on SIGHUP or file change).
public final class Runtime: Sendable {
    /// A reference, not a value: every alert's ingest takes the running snapshot, and copying a
    /// struct this size cost one atomic retain and release per reference it holds (dozens),
    /// on lines that every thread touches. Immutable; a reload makes a new one.
    public final class Snapshot: Sendable {
        public let config: Configuration
        /// Channels whose secrets are all set; the others are skipped.
        public let enabledChannels: Set<String>
        public let classifier: Classifier

        public init(config: Configuration, enableAllChannels: Bool = false) {
            self.config = config
            self.enabledChannels = Set(config.settings.channels.filter { enableAllChannels || $0.missingSecrets.isEmpty }.map(\.name))
            self.classifier = Classifier(playbooks: config.playbooks, defaults: config.settings.severityDefaults)
        }

        /// The channel that carries a person's contact method, if configured and enabled.
        public func channel(for method: ContactMethod) -> Channel? {
            let kind: ChannelKind = method == .slack ? .slack : .email
            return config.settings.channels.first { $0.kind == kind && enabledChannels.contains($0.name) }
        }

        public func resolve(_ ref: ChannelRef) -> (channel: Channel, recipient: Recipient)? {
            switch ref {
            case .slackChannel(let name):
                guard let c = config.settings.channels.first(where: { $0.kind == .slack && enabledChannels.contains($0.name) }) else { return nil }
                return (c, .slackChannel(name))
            case .named(let name):
                guard let c = config.settings.channel(named: name), enabledChannels.contains(name) else { return nil }
                return (c, .channel(name))
            }
        }
    }

    private let state: Locked<Snapshot>

    public init(config: Configuration, enableAllChannels: Bool = false) {
        state = Locked(Snapshot(config: config, enableAllChannels: enableAllChannels))
    }

    public var snapshot: Snapshot { state.current }

    public func replace(with config: Configuration) { state.withLock { $0 = Snapshot(config: config) } }
}

/// An error a person or a client can act on: a code and one clear sentence.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable { case notFound = "not_found", conflict, invalid = "bad_request" }
    public var code: Code
    public var message: String
    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
    public var description: String { message }
}
