import Crypto
import Foundation

/// Slack's v0 request signing: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the
/// signing secret, compared in constant time; timestamps more than 5 minutes from now refused.
public struct SlackSignature: Sendable {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case notConfigured, missingHeaders, badTimestamp, stale, mismatch
        public var description: String {
            switch self {
            case .notConfigured: "Slack requests are not accepted: slack.signing_secret is not set."
            case .missingHeaders: "The request is not signed: X-Slack-Request-Timestamp and X-Slack-Signature are required."
            case .badTimestamp: "X-Slack-Request-Timestamp is not a Unix time."
            case .stale: "The request timestamp is more than 5 minutes from now; it may be a replay."
            case .mismatch: "The Slack signature does not match the request."
            }
        }
    }

    let secret: String?
    public static let tolerance: TimeInterval = 300

    public init(secret: String?) { self.secret = secret }

    public static func sign(secret: String, timestamp: String, body: [UInt8]) -> String {
        var mac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
        mac.update(data: Array("v0:\(timestamp):".utf8))
        mac.update(data: body)
        return "v0=" + Data(mac.finalize()).map { String(format: "%02x", $0) }.joined()
    }

    public func verify(timestamp: String?, signature: String?, body: [UInt8], now: Date) throws(Failure) {
        guard let secret, !secret.isEmpty else { throw .notConfigured }
        guard let timestamp, let signature else { throw .missingHeaders }
        guard let ts = Int(timestamp) else { throw .badTimestamp }
        guard abs(now.timeIntervalSince1970 - TimeInterval(ts)) <= Self.tolerance else { throw .stale }
        let expected = Self.sign(secret: secret, timestamp: timestamp, body: body)
        guard constantTimeEqual(expected, signature) else { throw .mismatch }
    }
}
