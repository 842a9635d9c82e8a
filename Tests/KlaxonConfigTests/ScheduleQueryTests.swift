import Foundation
import Testing
import KlaxonCore
@testable import KlaxonConfig

/// What `klaxon oncall` and `klaxon schedule` answer (the commands print exactly these strings).
struct ScheduleQueryTests {
    static let now = ISO.date("2026-03-29T02:30:00Z")

    static func config() throws -> (ConfigFolder, Configuration) {
        let f = try SpecExample.folder()
        let (r, lines) = f.load(ConfigLoaderTests.fullEnv)
        #expect(r.errors.isEmpty, "\(lines)")
        return (f, try r.get())
    }

    @Test func oncallJSONIsTheSpecShapeInTheTeamsOffset() throws {
        let (_, c) = try Self.config()
        // Sunday of the spring-forward change in Berlin: weekend cover (dana) wins over the weekly layer.
        let r = try ScheduleQuery.oncall(config: c, team: "ml-platform", at: "2026-03-29T02:30:00Z", now: Self.now)
        #expect(r.json == #"{"team":"ml-platform","at":"2026-03-29T04:30:00+02:00","schedules":[{"id":"primary","oncall":["dana"],"until":"2026-03-29T09:00:00+02:00"},{"id":"secondary","oncall":["carol"],"until":"2026-03-30T09:00:00+02:00"}]}"#)
        // A local time is the team's; no time means now.
        let local = try ScheduleQuery.oncall(config: c, team: "ml-platform", at: "2026-03-29T04:30", now: Self.now)
        #expect(local.json == r.json)
        let byNow = try ScheduleQuery.oncall(config: c, team: "ml-platform", at: nil, now: Self.now)
        #expect(byNow.json == r.json)
    }

    @Test func oncallShowsTheReplacingOverrideAndItsEnd() throws {
        let (_, c) = try Self.config()
        // 2026-04-01 is alice's week; carol replaces her from 09:00 to 09:00 the next day.
        let r = try ScheduleQuery.oncall(config: c, team: "ml-platform", at: "2026-04-01T12:00:00+02:00", now: Self.now)
        #expect(r.schedules.first?.oncall == OnCall(members: ["carol"], until: ISO.date("2026-04-02T07:00:00Z")))
        let text = r.text(name: { c.person($0)?.name })
        #expect(text.contains("primary    carol (Carol Tanaka)  until Thu 2026-04-02 09:00 +02:00 (in 21h)"), "\(text)")
    }

    @Test func oncallRefusesUnknownTeamsAndBadTimes() throws {
        let (_, c) = try Self.config()
        #expect(throws: ScheduleQueryError(.unknownTeam, "unknown team \"search\"; teams: ml-platform")) {
            try ScheduleQuery.oncall(config: c, team: "search", at: nil, now: Self.now)
        }
        do {
            _ = try ScheduleQuery.oncall(config: c, team: "ml-platform", at: "tomorrow", now: Self.now)
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .badTime)
            #expect(error.message.hasPrefix("bad time for at: expected a time such as 2026-03-29T02:30:00Z"), "\(error.message)")
        }
    }

    @Test func scheduleJSONIsExactlySpec6AcrossTheSpringForward() throws {
        let (_, c) = try Self.config()
        // Bare dates are local midnight in Berlin; the Saturday 09:00 shift lasts 23 hours.
        let json = try ScheduleQuery.schedule(config: c, team: "ml-platform", schedule: "primary", from: "2026-03-28", to: "2026-03-30",
                                              format: "json", tz: nil, now: Self.now)
        #expect(json == """
            [
              {"schedule":"primary","member":"erin","start":"2026-03-28T00:00:00+01:00","end":"2026-03-28T09:00:00+01:00"},
              {"schedule":"primary","member":"dana","start":"2026-03-28T09:00:00+01:00","end":"2026-03-29T09:00:00+02:00"},
              {"schedule":"primary","member":"erin","start":"2026-03-29T09:00:00+02:00","end":"2026-03-30T00:00:00+02:00"}
            ]

            """)
        // Every schedule of the team, schedule by schedule, clipped to [from, to); --tz changes the offsets shown.
        let all = try ScheduleQuery.schedule(config: c, team: "ml-platform", schedule: nil, from: "2026-03-29T06:00:00Z", to: "2026-03-29T08:00:00Z",
                                             format: "json", tz: "America/New_York", now: Self.now)
        #expect(all == """
            [
              {"schedule":"primary","member":"dana","start":"2026-03-29T02:00:00-04:00","end":"2026-03-29T03:00:00-04:00"},
              {"schedule":"primary","member":"erin","start":"2026-03-29T03:00:00-04:00","end":"2026-03-29T04:00:00-04:00"},
              {"schedule":"secondary","member":"carol","start":"2026-03-29T02:00:00-04:00","end":"2026-03-29T04:00:00-04:00"}
            ]

            """)
    }

    @Test func scheduleTableICSAndSVG() throws {
        let (_, c) = try Self.config()
        func render(_ format: String, tz: String? = nil) throws -> String {
            try ScheduleQuery.schedule(config: c, team: "ml-platform", schedule: "primary", from: "2026-03-28", to: "2026-03-30",
                                       format: format, tz: tz, now: Self.now)
        }
        let table = try render("table")
        #expect(table.contains("ml-platform / primary: on call from Sat 2026-03-28 00:00 +01:00 to Mon 2026-03-30 00:00 +02:00 (Europe/Berlin)"), "\(table)")
        #expect(table.contains("Sat 2026-03-28 09:00 +01:00  Sun 2026-03-29 09:00 +02:00  dana     23h"), "\(table)")
        let ny = try render("table", tz: "America/New_York")
        #expect(ny.contains("Sat 2026-03-28 04:00 -04:00  Sun 2026-03-29 03:00 -04:00  dana     23h"), "\(ny)")
        let ics = try render("ics")
        #expect(ics.hasPrefix("BEGIN:VCALENDAR\r\n") && ics.hasSuffix("END:VCALENDAR\r\n"))
        #expect(ics.contains("DTSTART:20260328T080000Z\r\nDTEND:20260329T070000Z\r\nSUMMARY:On call: dana (ml-platform/primary)\r\n"), "\(ics)")
        let svg = try render("svg")
        #expect(svg.contains("<svg"))
        #expect(svg.contains("weekend-cover"))
    }

    @Test func scheduleICSMatchesItsJSON() throws {
        let (_, c) = try Self.config()
        let args = (from: "2026-03-01", to: "2026-05-01")
        let json = try ScheduleQuery.schedule(config: c, team: "ml-platform", schedule: nil, from: args.from, to: args.to, format: "json", tz: nil, now: Self.now)
        let ics = try ScheduleQuery.schedule(config: c, team: "ml-platform", schedule: nil, from: args.from, to: args.to, format: "ics", tz: nil, now: Self.now)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: String]])
        let fromJSON = Set(rows.map { "\($0["schedule"]!) \($0["member"]!) \(ISO.utc($0["start"]!)) \(ISO.utc($0["end"]!))" })
        let fromICS = Set(ICS.events(ics).map { "\($0.schedule) \($0.member) \(ISO.utc($0.start)) \(ISO.utc($0.end))" })
        #expect(rows.count > 20)
        #expect(fromICS == fromJSON)
    }

    @Test(arguments: [
        ("search", "primary", "2026-03-01", "2026-03-02", "json", nil, ScheduleQueryError.Kind.unknownTeam, "unknown team \"search\""),
        ("ml-platform", "tertiary", "2026-03-01", "2026-03-02", "json", nil, .unknownSchedule, "unknown schedule \"tertiary\" in team ml-platform; it has: primary, secondary"),
        ("ml-platform", nil, "2026-03-02", "2026-03-01", "json", nil, .badRange, "--to (2026-03-01T00:00:00+01:00) must be after --from (2026-03-02T00:00:00+01:00)"),
        ("ml-platform", nil, "2026-03-01", "2036-03-01", "json", nil, .badRange, "longer than 5 years"),
        ("ml-platform", nil, "March", "2026-03-01", "json", nil, .badTime, "bad --from: expected a time such as"),
        ("ml-platform", nil, "2026-03-01", "2026-03-02", "pdf", nil, .badFormat, "unknown format \"pdf\"; expected one of: table, json, ics, svg"),
        ("ml-platform", nil, "2026-03-01", "2026-03-02", "json", "CET", .badZone, "unknown time zone \"CET\""),
    ] as [(String, String?, String, String, String, String?, ScheduleQueryError.Kind, String)])
    func scheduleRefusesBadInput(_ team: String, _ schedule: String?, _ from: String, _ to: String, _ format: String, _ tz: String?,
                                 _ kind: ScheduleQueryError.Kind, _ part: String) throws {
        let (_, c) = try Self.config()
        do {
            _ = try ScheduleQuery.schedule(config: c, team: team, schedule: schedule, from: from, to: to, format: format, tz: tz, now: Self.now)
            Issue.record("accepted")
        } catch {
            #expect(error.kind == kind)
            #expect(error.message.contains(part), "\(error.message)")
        }
    }

    @Test func aPersonsCalendarHoldsTheirShiftsOfEveryTeamAndNothingElse() throws {
        let f = try SpecExample.folder()
        // A second team in which dana also takes shifts.
        try f.write("Rotations/search.yaml", """
            team: search
            time_zone: America/New_York
            schedules:
              - id: main
                layers:
                  - rotation: {every: 1d, handoff: "08:00", start: 2026-03-01}
                    members: [dana, bob]

            """)
        let (r, lines) = f.load(ConfigLoaderTests.fullEnv)
        #expect(r.errors.isEmpty, "\(lines)")
        let c = try r.get()
        let dana = try #require(c.person("dana"))
        let ics = ScheduleQuery.calendar(of: dana, in: c, now: Self.now)
        #expect(ics.contains("X-WR-CALNAME:On call: Dana Li\r\n"))
        let events = ICS.events(ics)
        #expect(Set(events.map(\.member)) == ["dana"])
        #expect(Set(events.map(\.team)) == ["ml-platform", "search"])
        let from = Self.now.addingTimeInterval(-30 * 86_400), to = Self.now.addingTimeInterval(90 * 86_400)
        #expect(events.allSatisfy { $0.start >= from && $0.end <= to })
        let expected = ScheduleQuery.shifts(of: "dana", in: c, from: from, to: to)
        #expect(events.count == expected.count)
        #expect(Set(events.map { "\($0.start) \($0.end)" }) == Set(expected.map { "\($0.start) \($0.end)" }))
    }
}

/// Reading times back without the code under test.
enum ISO {
    static func date(_ s: String) -> Date {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)!
    }
    static func utc(_ s: String) -> String { utc(date(s)) }
    static func utc(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }
}

/// A small RFC 5545 reader for the tests: unfolds lines and collects each VEVENT.
enum ICS {
    struct Event { var start: Date; var end: Date; var member: String; var team: String; var schedule: String; var uid: String }

    static func events(_ text: String) -> [Event] {
        let unfolded = text.replacingOccurrences(of: "\r\n ", with: "")
        var out: [Event] = []
        var props: [String: String] = [:]
        for line in unfolded.components(separatedBy: "\r\n") {
            if line == "BEGIN:VEVENT" { props = [:]; continue }
            if line == "END:VEVENT" {
                // SUMMARY:On call: dana (ml-platform/primary)
                let summary = props["SUMMARY"] ?? ""
                let inner = summary.dropFirst("On call: ".count)
                let member = String(inner.prefix { $0 != " " })
                let scope = inner.drop { $0 != "(" }.dropFirst().dropLast().split(separator: "/").map(String.init)
                out.append(Event(start: stamp(props["DTSTART"]!), end: stamp(props["DTEND"]!), member: member,
                                 team: scope.first ?? "", schedule: scope.last ?? "", uid: props["UID"] ?? ""))
                continue
            }
            if let colon = line.firstIndex(of: ":") { props[String(line[..<colon])] = String(line[line.index(after: colon)...]) }
        }
        return out
    }

    /// "20260328T080000Z"
    static func stamp(_ s: String) -> Date {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.date(from: s)!
    }
}
