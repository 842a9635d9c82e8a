import Foundation
import Testing
@testable import KlaxonCore

/// TIME and D arguments (SPEC 6): RFC 3339, local times and bare dates in the team's zone.
struct TimeArgumentTests {
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let newYork = TimeZone(identifier: "America/New_York")!

    static func parse(_ s: String, _ zone: TimeZone = berlin) throws -> String {
        ISOTime.utc(try TimeArgument.parse(s, zone: zone))
    }

    @Test(arguments: [
        ("2026-03-29T02:30:00Z", "2026-03-29T02:30:00Z"),
        ("2026-03-29T02:30Z", "2026-03-29T02:30:00Z"),
        ("2026-03-29t02:30:00z", "2026-03-29T02:30:00Z"),
        ("2026-03-29T04:30:00+02:00", "2026-03-29T02:30:00Z"),
        ("2026-03-29T04:30:00+0200", "2026-03-29T02:30:00Z"),
        ("2026-03-28T23:00:00-03:30", "2026-03-29T02:30:00Z"),
        ("2026-03-29 02:30:00Z", "2026-03-29T02:30:00Z"),
        // Local times and dates are the zone's (Berlin: CET until 2026-03-29 01:00Z, then CEST).
        ("2026-03-29", "2026-03-28T23:00:00Z"),
        ("2026-03-30", "2026-03-29T22:00:00Z"),
        ("2026-03-29T04:30", "2026-03-29T02:30:00Z"),
        ("2026-03-29T04:30:15", "2026-03-29T02:30:15Z"),
        // RFC 5545: 02:30 does not exist on the spring-forward day (offset before the gap, +01:00)…
        ("2026-03-29T02:30", "2026-03-29T01:30:00Z"),
        // …and 02:30 on the fall-back day means the first one (+02:00).
        ("2026-10-25T02:30", "2026-10-25T00:30:00Z"),
    ])
    func reads(_ text: String, _ utc: String) throws {
        #expect(try Self.parse(text) == utc)
    }

    @Test func keepsFractionsOfSeconds() throws {
        let d = try TimeArgument.parse("2026-03-29T02:30:00.250Z", zone: Self.berlin)
        #expect(d.timeIntervalSince1970 == 1_774_751_400.25)
    }

    @Test func aBareDateIsLocalMidnightOfThatZone() throws {
        #expect(try Self.parse("2026-11-01", Self.newYork) == "2026-11-01T04:00:00Z")
        #expect(try Self.parse("2026-11-02", Self.newYork) == "2026-11-02T05:00:00Z")
    }

    @Test(arguments: [
        ("yesterday", "expected a date as YYYY-MM-DD"),
        ("2026-02-30", "2026-02-30 does not exist"),
        ("2026-03-29T25:00Z", "hours go from 00 to 23"),
        ("2026-03-29T02:30:00+25:00", "expected a UTC offset such as +02:00 or Z"),
        ("2026-03-29T02:30:00 CET", "expected a UTC offset"),
        ("2026-03-29T02:30:00Zjunk", "unexpected \"junk\""),
        ("2026-03-29T", "expected HH:MM"),
        ("2026-03-29X", "expected T and a time"),
        ("", "expected a date as YYYY-MM-DD, got nothing"),
    ])
    func refusesWithAClearMessage(_ text: String, _ part: String) {
        do {
            _ = try TimeArgument.parse(text, zone: Self.berlin)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.message.hasPrefix("expected a time such as 2026-03-29T02:30:00Z"), "\(error.message)")
            #expect(error.message.contains(part), "\(error.message)")
        }
    }
}
