import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import KlaxonCore

struct ScheduleRenderingTests {
    /// A quote or < with a combining mark after it is one Swift Character; it is still escaped.
    @Test func xmlEscapesScalarByScalar() {
        #expect(ScheduleRendering.xml("a\"\u{301} onload=x <\u{338}svg> & 'b'") == "a&quot;\u{301} onload=x &lt;\u{338}svg&gt; &amp; &apos;b&apos;")
        #expect(!ScheduleRendering.xml("\"\u{301}<\u{200D}").unicodeScalars.contains { $0 == "\"" || $0 == "<" })
    }

    let primary = RT.specPrimary()
    let from = RT.utc("2026-03-27T00:00Z"), to = RT.utc("2026-03-31T00:00Z")

    @Test func jsonIsExactlyTheSpecShape() {
        let json = ScheduleRendering.json(intervals: primary.intervals(from: from, to: to), scheduleId: "primary", timeZone: primary.timeZone)
        #expect(json == """
        [
          {"schedule":"primary","member":"carol","start":"2026-03-27T01:00:00+01:00","end":"2026-03-28T00:00:00+01:00"},
          {"schedule":"primary","member":"erin","start":"2026-03-28T00:00:00+01:00","end":"2026-03-28T09:00:00+01:00"},
          {"schedule":"primary","member":"dana","start":"2026-03-28T09:00:00+01:00","end":"2026-03-29T09:00:00+02:00"},
          {"schedule":"primary","member":"erin","start":"2026-03-29T09:00:00+02:00","end":"2026-03-30T00:00:00+02:00"},
          {"schedule":"primary","member":"carol","start":"2026-03-30T00:00:00+02:00","end":"2026-03-30T09:00:00+02:00"},
          {"schedule":"primary","member":"alice","start":"2026-03-30T09:00:00+02:00","end":"2026-03-31T02:00:00+02:00"}
        ]
        """)
        #expect(ScheduleRendering.json(intervals: [], scheduleId: "primary", timeZone: primary.timeZone) == "[]")
        let odd = ScheduleRendering.json(intervals: [OnCallInterval(member: "a\"b\\c\n", start: from, end: to)], scheduleId: "s", timeZone: RT.zone("UTC"))
        let parsed = try? JSONSerialization.jsonObject(with: Data(odd.utf8)) as? [[String: String]]
        #expect(parsed?.first?["member"] == "a\"b\\c\n")
        #expect(parsed?.first?["start"] == "2026-03-27T00:00:00Z")
    }

    @Test(arguments: [
        ("Asia/Kolkata", "2026-03-08T07:30Z", "2026-03-08T13:00:00+05:30"),
        ("America/St_Johns", "2026-03-08T07:30Z", "2026-03-08T05:00:00-02:30"),
        ("America/St_Johns", "2026-03-08T05:00Z", "2026-03-08T01:30:00-03:30"),
        ("Pacific/Chatham", "2026-01-01T00:00Z", "2026-01-01T13:45:00+13:45"),
        ("Europe/Berlin", "2026-03-29T07:00Z", "2026-03-29T09:00:00+02:00"),
        ("UTC", "2026-03-29T07:00:59Z", "2026-03-29T07:00:59Z"),
    ])
    func rfc3339WithTheOffsetAtThatInstant(zone: String, instant: String, expected: String) {
        #expect(ScheduleRendering.rfc3339(RT.utc(instant), in: RT.zone(zone)) == expected)
    }

    @Test func table() {
        let s = Schedule(id: "primary", timeZone: RT.zone("Europe/Berlin"), layers: [
            RT.layer("Europe/Berlin", every: .weeks(1), handoff: "Sat 00:00", start: "2026-03-01", members: ["w"], restrict: ["Sat 00:00-Mon 00:00"]),
        ])
        let a = RT.utc("2026-03-27T00:00Z"), b = RT.utc("2026-03-31T00:00Z")
        let text = ScheduleRendering.table(intervals: s.intervals(from: a, to: b), team: "ml-platform", scheduleId: "primary", from: a, to: b, timeZone: s.timeZone)
        #expect(text == """
        ml-platform / primary: on call from Fri 2026-03-27 01:00 +01:00 to Tue 2026-03-31 02:00 +02:00 (Europe/Berlin)
          FROM                         TO                           ON CALL   LENGTH
          Fri 2026-03-27 01:00 +01:00  Sat 2026-03-28 00:00 +01:00  (nobody)  23h
          Sat 2026-03-28 00:00 +01:00  Mon 2026-03-30 00:00 +02:00  w         1d 23h
          Mon 2026-03-30 00:00 +02:00  Tue 2026-03-31 02:00 +02:00  (nobody)  1d 2h

        """)
    }

    // MARK: ICS

    @Test func icsParsesBackToTheJSONIntervals() throws {
        var s = primary
        s.id = "primary ünïcødé; with, a \\ very long name that forces folding 🚨"
        s.overrides.append(Override(member: "o'brien, jr.", from: RT.utc("2026-03-28T10:00Z"), to: RT.utc("2026-03-28T11:30Z")))
        let team = "ml-platform"
        let intervals = s.intervals(from: from, to: to)
        let now = RT.utc("2026-03-20T12:34:56Z")
        let ics = ScheduleRendering.ics(intervals: intervals, team: team, scheduleId: s.id, now: now)

        // Lines: CRLF only, at most 75 octets, continuation lines start with a space.
        #expect(ics.hasSuffix("\r\n"))
        #expect(!ics.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!ics.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        let physical = ics.components(separatedBy: "\r\n").dropLast()
        #expect(physical.allSatisfy { $0.utf8.count <= 75 })
        #expect(physical.contains { $0.hasPrefix(" ") })

        let cal = try MiniICS.parse(ics)
        #expect(cal.properties["VERSION"] == "2.0")
        #expect(cal.properties["PRODID"] != nil)
        #expect(cal.events.count == intervals.count)
        #expect(Set(cal.events.compactMap { $0["UID"] }).count == intervals.count)
        #expect(cal.events.allSatisfy { $0["DTSTAMP"] == "20260320T123456Z" })
        #expect(cal.events.first?["DTSTART"] == "20260327T000000Z")

        // Compare with the JSON rendering, parsed independently.
        let json = ScheduleRendering.json(intervals: intervals, scheduleId: s.id, timeZone: s.timeZone)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: String]])
        let iso = ISO8601DateFormatter()
        let fromJSON = rows.map { r in "\(r["member"]!)|\(iso.date(from: r["start"]!)!)|\(iso.date(from: r["end"]!)!)|\(r["schedule"]!)" }
        let fromICS = try cal.events.map { e -> String in
            let summary = try #require(e["SUMMARY"])
            let prefix = "On call: ", suffix = " (\(team)/\(s.id))"
            #expect(summary.hasPrefix(prefix) && summary.hasSuffix(suffix))
            let member = String(summary.dropFirst(prefix.count).dropLast(suffix.count))
            return "\(member)|\(try MiniICS.utc(e["DTSTART"]!))|\(try MiniICS.utc(e["DTEND"]!))|\(s.id)"
        }
        #expect(fromICS == fromJSON)
        #expect(fromJSON.contains { $0.hasPrefix("o'brien, jr.|") })
    }

    @Test func icsForAPersonAcrossTeams() throws {
        let shifts = [
            CalendarShift(team: "b-team", scheduleId: "primary", member: "alice", start: RT.utc("2026-03-02T08:00Z"), end: RT.utc("2026-03-09T08:00Z")),
            CalendarShift(team: "a-team", scheduleId: "secondary", member: "alice", start: RT.utc("2026-03-01T08:00Z"), end: RT.utc("2026-03-02T08:00Z")),
        ]
        let cal = try MiniICS.parse(ScheduleRendering.ics(shifts: shifts, now: RT.utc("2026-03-01T00:00Z"), calendarName: "On call: alice"))
        #expect(cal.properties["X-WR-CALNAME"] == "On call: alice")
        #expect(cal.events.map { $0["SUMMARY"]! } == ["On call: alice (a-team/secondary)", "On call: alice (b-team/primary)"])
    }

    // MARK: SVG

    @Test func svgShowsLanesGapsClockChangesAndALegend() throws {
        var s = primary
        s.overrides.append(Override(member: "frank", from: RT.utc("2026-03-28T10:00Z"), to: RT.utc("2026-03-28T11:30Z")))
        let gappy = Schedule(id: "secondary", timeZone: s.timeZone, layers: [
            RT.layer("Europe/Berlin", name: "weekdays", every: .days(1), handoff: "09:00", start: "2026-03-01", members: ["bob", "carol"],
                     restrict: ["09:00-18:00"]),
        ])
        let svg = ScheduleRendering.svg(team: "ml-platform", schedules: [s, gappy], from: RT.utc("2026-03-23T00:00Z"), to: RT.utc("2026-04-06T00:00Z"))
        #expect(svg.hasPrefix("<?xml"))
        #expect(svg.contains(">weekly</text>") && svg.contains(">weekend-cover</text>") && svg.contains(">weekdays</text>"))
        #expect(svg.components(separatedBy: ">on call</text>").count == 3)
        #expect(svg.contains("fill=\"url(#gap)\""))                      // gaps, in red
        #expect(svg.contains("clocks 02:00 → 03:00"))                   // the spring change, marked
        #expect(svg.contains("stroke-dasharray=\"5 3\""))
        #expect(svg.contains(">Mon 30 Mar</text>"))                     // date ticks in the team's zone
        for person in ["alice", "bob", "carol", "dana", "erin", "frank"] { #expect(svg.contains(">\(person)</text>")) }
        let colors = ScheduleRendering.colors(for: ["alice", "bob", "carol", "dana", "erin", "frank"])
        #expect(Set(colors.values).count == 6)
        #expect(!colors.values.contains(ScheduleRendering.gapColor))
        #expect(ScheduleRendering.colors(for: ["carol", "alice"])["alice"] == ScheduleRendering.colors(for: ["alice", "carol"])["alice"])
        #if canImport(FoundationXML)
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "SVG is well-formed XML: \(String(describing: parser.parserError))")
        #endif
    }
}

/// A small RFC 5545 reader for the tests: unfolds lines, splits properties, unescapes TEXT.
enum MiniICS {
    struct Calendar { var properties: [String: String] = [:]; var events: [[String: String]] = [] }
    struct Bad: Error { var why: String }

    static func parse(_ text: String) throws -> Calendar {
        let unfolded = text.replacingOccurrences(of: "\r\n ", with: "").replacingOccurrences(of: "\r\n\t", with: "")
        var cal = Calendar()
        var event: [String: String]? = nil
        var depth: [String] = []
        for line in unfolded.components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw Bad(why: "no colon in \(line)") }
            let name = String(line[..<colon]).split(separator: ";").first.map(String.init) ?? ""
            let value = unescape(String(line[line.index(after: colon)...]))
            switch name {
            case "BEGIN":
                depth.append(value)
                if value == "VEVENT" { event = [:] }
            case "END":
                guard depth.popLast() == value else { throw Bad(why: "END:\(value) does not match") }
                if value == "VEVENT", let e = event { cal.events.append(e); event = nil }
            default:
                if event != nil { event![name] = value } else { cal.properties[name] = value }
            }
        }
        guard depth.isEmpty else { throw Bad(why: "unclosed \(depth)") }
        return cal
    }

    static func unescape(_ s: String) -> String {
        var out = ""
        var escaped = false
        for ch in s {
            if escaped {
                out.append(ch == "n" || ch == "N" ? "\n" : ch)
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.append(ch)
            }
        }
        return out
    }

    static func utc(_ s: String) throws -> Date {
        guard s.count == 16, s.hasSuffix("Z") else { throw Bad(why: "not a UTC date-time: \(s)") }
        let c = Array(s)
        func n(_ a: Int, _ b: Int) -> Int { Int(String(c[a..<b]))! }
        return RT.utc("\(n(0, 4))-\(n(4, 6))-\(n(6, 8))T\(n(9, 11)):\(n(11, 13)):\(n(13, 15))Z")
    }
}
