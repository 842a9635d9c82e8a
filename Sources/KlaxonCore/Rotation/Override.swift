import Foundation

/// `member` is on call in [from, to); with `replaces`, only while that member would be on call from
/// the layers. Times are instants (the config resolves local times with `TimeZone.instant(of:)`);
/// schedule math works in whole seconds, so fractions of a second are dropped.
public struct Override: Sendable, Hashable {
    public var member: String
    public var from: Date
    public var to: Date
    public var replaces: String?

    public init(member: String, from: Date, to: Date, replaces: String? = nil) {
        self.member = member; self.from = from; self.to = to; self.replaces = replaces
    }
}
