import Foundation
import KlaxonCore

/// Alertmanager's webhook as Alertmanager 0.25 sends it, read straight from the body's bytes
/// into an `AlertBatch`, without the JSON tree that `FastJSON` builds and `AlertGroupPayload`
/// then walks (on the `make bench` load that tree and walk cost about a quarter of an event
/// loop's time per request).
///
/// It takes only the plain shape and gives nil for anything else, so the general path answers
/// (with its error, or with what it keeps). The plain shape:
/// - one object with only the members Alertmanager 0.25 sends (`receiver`, `status`, `alerts`,
///   `groupLabels`, `commonLabels`, `commonAnnotations`, `externalURL`, `version`, `groupKey`,
///   `truncatedAlerts`), none of them null or given twice, `version` "4", a `groupKey`, at
///   least one alert, `truncatedAlerts` absent or 0;
/// - alerts with only `status`, `labels`, `annotations`, `startsAt`, `endsAt`,
///   `generatorURL` and `fingerprint`, none null or twice, times that are RFC 3339;
/// - label and annotation objects of strings only (a key given twice: the last counts, as in
///   `Fields.stringMap`);
/// - strings without control characters or `\u` escapes; the other escapes are decoded.
///
/// Whatever it takes, the general path takes too and reads as the same batch (a test compares
/// both on the fixtures and on thousands of mutants of them).
enum AlertmanagerDirect {
    static func parse(_ body: UnsafeRawBufferPointer) -> AlertBatch? {
        guard let base = body.baseAddress, isValidUTF8(body) else { return nil }
        var r = Reader(b: UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: body.count))
        return r.payload()
    }

    private struct Reader {
        let b: UnsafeBufferPointer<UInt8>
        var i = 0

        mutating func space() {
            // One comparison for the usual case, a byte above the space (compact JSON).
            while i < b.count {
                let c = b[i]
                guard c <= 0x20, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
                i += 1
            }
        }

        /// Skips space, then takes `c`.
        mutating func take(_ c: UInt8) -> Bool {
            space()
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }

        /// After a member: true to go on (a comma), false at `close`; nil for anything else.
        mutating func next(_ close: UInt8) -> Bool? {
            space()
            guard i < b.count else { return nil }
            if b[i] == UInt8(ascii: ",") { i += 1; return true }
            if b[i] == close { i += 1; return false }
            return nil
        }

        /// A string's bytes between its quotes, checked as `FastJSON` checks them, but with no `\u`
        /// escape; `escaped` says whether it holds other escapes. nil for anything else.
        mutating func rawString() -> (bytes: UnsafeBufferPointer<UInt8>, escaped: Bool)? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            var escaped = false
            let base = b.baseAddress!
            while i < b.count {
                // Eight bytes at once when none is a quote, a backslash or a control character
                // (byte by byte, this scan was 3.5% of Klaxon's samples under `make bench`).
                if i + 8 <= b.count {
                    let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
                    let quote = w ^ (ones &* 0x22), backslash = w ^ (ones &* 0x5C)
                    let found = ((w &- ones &* 0x20) & ~w | (quote &- ones) & ~quote | (backslash &- ones) & ~backslash) & high
                    if found == 0 {
                        i += 8
                        continue
                    }
                    // Straight to the first byte that may end the run (the lowest flag of each
                    // test is exact; flags above it may be borrows). Byte by byte from the
                    // word's start, each byte re-tried the eight-byte test above: for a short
                    // string that was most of a parse.
                    i += found.littleEndian.trailingZeroBitCount >> 3
                }
                let c = b[i]
                i += 1
                if c == UInt8(ascii: "\"") { return (UnsafeBufferPointer(rebasing: b[start..<(i - 1)]), escaped) }
                guard c >= 0x20 else { return nil }
                if c == UInt8(ascii: "\\") {
                    guard i < b.count, FastJSON.escaped(b[i]) != nil else { return nil }
                    escaped = true
                    i += 1
                }
            }
            return nil
        }

        /// The bytes of a string without escapes.
        mutating func plainBytes() -> UnsafeBufferPointer<UInt8>? {
            guard let s = rawString(), !s.escaped else { return nil }
            return s.bytes
        }

        /// A string, its escapes decoded.
        mutating func string() -> String? {
            guard let s = rawString() else { return nil }
            guard s.escaped else { return String(decoding: s.bytes, as: UTF8.self) }
            // Decoded straight into the string's storage (through a [UInt8] first, the group
            // key's escaped quotes cost two allocations and a byte-by-byte append).
            let raw = s.bytes
            return String(unsafeUninitializedCapacity: raw.count) { out in
                var n = 0, k = 0
                while k < raw.count {
                    // `rawString` checked every escape: a backslash is followed by one `escaped` knows.
                    if raw[k] == UInt8(ascii: "\\"), k + 1 < raw.count, let e = FastJSON.escaped(raw[k + 1]) {
                        out[n] = e
                        k += 2
                    } else {
                        out[n] = raw[k]
                        k += 1
                    }
                    n += 1
                }
                return n
            }
        }

        /// Skips an object that `stringMap` would read.
        mutating func skipStringMap() -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            if take(UInt8(ascii: "}")) { return true }
            while true {
                guard key() != nil, rawString() != nil, let more = next(UInt8(ascii: "}")) else { return false }
                if !more { return true }
            }
        }

        /// A member's key (no escapes) and the colon after it.
        mutating func key() -> UnsafeBufferPointer<UInt8>? {
            guard let k = plainBytes(), take(UInt8(ascii: ":")) else { return nil }
            return k
        }

        /// An object of strings (empty object included). The members named in `noted` also go
        /// into `readings` (a key given twice: the last counts, as in the table), so that
        /// `AlertGroupPayload.alert` need not look them up again, hashing each name.
        mutating func stringMap(noting noted: [(StaticString, AlertGroupPayload.Readings.Member)],
                                into readings: inout AlertGroupPayload.Readings) -> [String: String]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            if take(UInt8(ascii: "}")) { return [:] }
            // Room for a usual label set from the start, not grown (and rehashed) pair by pair.
            var out = [String: String](minimumCapacity: 4)
            while true {
                guard let k = key(), let v = string() else { return nil }
                for (name, member) in noted where Self.equals(k, name) { readings.note(member, v) }
                out[String(decoding: k, as: UTF8.self)] = v
                guard let more = next(UInt8(ascii: "}")) else { return nil }
                if !more { return out }
            }
        }

        /// The top-level members, by their index in `Self.payloadKeys`.
        static let payloadKeys: [StaticString] = ["receiver", "status", "alerts", "groupLabels", "commonLabels", "commonAnnotations",
                                                   "externalURL", "version", "groupKey", "truncatedAlerts"]
        static let alertKeys: [StaticString] = ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"]

        static func index(of k: UnsafeBufferPointer<UInt8>, in keys: [StaticString]) -> Int? {
            for (n, key) in keys.enumerated() where key.utf8CodeUnitCount == k.count && memcmp(key.utf8Start, k.baseAddress!, k.count) == 0 {
                return n
            }
            return nil
        }

        mutating func payload() -> AlertBatch? {
            guard take(UInt8(ascii: "{")), !take(UInt8(ascii: "}")) else { return nil }
            var seen = 0
            var groupFiring = false, externalURL: String?, groupKey: String?
            // The alerts may come before externalURL: it is set on them at the end.
            var alerts: [Alert] = []
            while true {
                guard let k = key(), let n = Self.index(of: k, in: Self.payloadKeys), seen & (1 << n) == 0 else { return nil }
                seen |= 1 << n
                switch n {
                case 0: guard rawString() != nil else { return nil }                        // receiver
                case 1:
                    // Compared on the bytes (no escape can spell either word).
                    guard let s = plainBytes(), Self.equals(s, "firing") || Self.equals(s, "resolved") else { return nil }
                    groupFiring = Self.equals(s, "firing")
                case 2: guard let a = self.alerts() else { return nil }; alerts = a
                case 3, 4, 5: guard skipStringMap() else { return nil }                     // group/common labels, annotations
                case 6: guard let s = string() else { return nil }; externalURL = s
                case 7: guard let s = plainBytes(), Self.equals(s, "4") else { return nil }       // version
                case 8: guard let s = string(), !s.isEmpty else { return nil }; groupKey = s
                default:                                                                    // truncatedAlerts
                    space()
                    guard i < b.count, b[i] == UInt8(ascii: "0") else { return nil }
                    i += 1
                    if i < b.count, (0x30...0x39).contains(b[i]) || b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") { return nil }
                }
                guard let more = next(UInt8(ascii: "}")) else { return nil }
                if !more { break }
            }
            space()
            guard i == b.count, seen & (1 << 7) != 0, let groupKey, !alerts.isEmpty else { return nil }    // version given
            if let externalURL {
                for k in alerts.indices { alerts[k].source = externalURL }
            }
            return AlertBatch(groupKey: groupKey, alerts: alerts, title: alerts.first?.summary, groupFiring: groupFiring,
                              truncatedAlerts: 0)
        }

        /// The alerts, without their source (`externalURL`, set by `payload`).
        mutating func alerts() -> [Alert]? {
            guard take(UInt8(ascii: "[")), !take(UInt8(ascii: "]")) else { return nil }
            var out: [Alert] = []
            while true {
                guard let a = alert() else { return nil }
                out.append(a)
                guard let more = next(UInt8(ascii: "]")) else { return nil }
                if !more { return out }
            }
        }

        mutating func time() -> Date?? {
            guard let s = plainBytes() else { return nil }
            // Go's zero time, which Alertmanager sends as the end of a firing alert: no time.
            if Self.equals(s, "0001-01-01T00:00:00Z") { return .some(nil) }
            guard let d = parseRFC3339(bytes: s) else { return nil }
            return .some(Fields.sourceTime(d))
        }

        static func equals(_ b: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
            bytesEqual(UnsafeRawBufferPointer(b), literal)
        }

        mutating func alert() -> Alert? {
            guard take(UInt8(ascii: "{")), !take(UInt8(ascii: "}")) else { return nil }
            var seen = 0
            var status: AlertStatus?, labels: [String: String]?, annotations: [String: String] = [:]
            var startsAt: Date?, endsAt: Date?, generatorURL: String?, fingerprint: String?
            var readings = AlertGroupPayload.Readings()
            while true {
                guard let k = key(), let n = Self.index(of: k, in: Self.alertKeys), seen & (1 << n) == 0 else { return nil }
                seen |= 1 << n
                switch n {
                case 0:
                    guard let s = plainBytes() else { return nil }
                    if Self.equals(s, "firing") { status = .firing } else if Self.equals(s, "resolved") { status = .resolved } else { return nil }
                case 1: guard let m = stringMap(noting: AlertGroupPayload.Readings.labelMembers, into: &readings), !m.isEmpty else { return nil }; labels = m
                case 2: guard let m = stringMap(noting: AlertGroupPayload.Readings.annotationMembers, into: &readings) else { return nil }; annotations = m
                case 3: guard let t = time() else { return nil }; startsAt = t
                case 4: guard let t = time() else { return nil }; endsAt = t
                case 5: guard let s = string() else { return nil }; generatorURL = s
                default: guard let s = string() else { return nil }; fingerprint = s
                }
                guard let more = next(UInt8(ascii: "}")) else { return nil }
                if !more { break }
            }
            guard let status, let labels else { return nil }
            var links: [AlertLink] = []
            if let generatorURL, !generatorURL.isEmpty { links.append(AlertLink(href: generatorURL, text: "source")) }
            return AlertGroupPayload.alert(status: status, labels: labels, annotations: annotations, readings: readings, links: links,
                                           givenFingerprint: fingerprint, startsAt: startsAt, endsAt: endsAt,
                                           title: nil, externalURL: nil)
        }
    }
}
