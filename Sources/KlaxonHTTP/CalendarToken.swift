import Crypto
import Foundation
import KlaxonCore

/// The secret in a person's calendar URL: hex HMAC-SHA256 of the person id keyed with
/// `calendar_secret`. `klaxon calendar-url` and `GET /calendar/<person>.ics` both use this.
public enum CalendarToken {
    public static func token(person: String, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(person.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return Data(mac).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `token` is the one for `person`, compared in constant time (case-insensitive hex).
    public static func verify(_ token: String, person: String, secret: String) -> Bool {
        guard !secret.isEmpty else { return false }
        return constantTimeEqual(token.lowercased(), Self.token(person: person, secret: secret))
    }

    /// `<public_url>/calendar/<person>.ics?token=<hex>`, the person id percent-encoded for a path.
    public static func url(publicURL: String, person: String, secret: String) -> String {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let path = person.addingPercentEncoding(withAllowedCharacters: allowed) ?? person
        return "\(base)/calendar/\(path).ics?token=\(token(person: person, secret: secret))"
    }
}

/// Why `klaxon calendar-url` cannot give a URL.
public struct CalendarURLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

extension CalendarToken {
    /// The calendar URL of `person` under `config`'s `server.public_url` and `calendar_secret`.
    public static func url(for person: String, in config: Configuration) throws(CalendarURLError) -> String {
        guard let secret = config.settings.calendarSecret?.value, !secret.isEmpty else {
            let message = config.settings.calendarSecret.map {
                "calendar URLs need calendar_secret in klaxon.yaml (it is written as \($0), which is not set); set it to a long random value, e.g. $(openssl rand -hex 32)"
            } ?? "calendar URLs need calendar_secret in klaxon.yaml (klaxon.yaml has no calendar_secret); add calendar_secret: ${env:KLAXON_CALENDAR_SECRET} and set KLAXON_CALENDAR_SECRET to a long random value, e.g. $(openssl rand -hex 32)"
            throw CalendarURLError(message: message)
        }
        guard config.person(person) != nil else {
            throw CalendarURLError(message: "unknown person \"\(person)\"; people are listed in Rotations/people.yaml (\(config.people.map(\.id).joined(separator: ", ")))")
        }
        return url(publicURL: config.settings.server.publicURL, person: person, secret: secret)
    }
}
