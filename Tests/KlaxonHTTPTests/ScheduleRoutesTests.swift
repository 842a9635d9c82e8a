import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonConfig
import KlaxonCore
import KlaxonEngine
import KlaxonStore
import Testing
@testable import KlaxonHTTP

/// A configuration folder with the SPEC 3.2 schedules, loaded by the real loader, behind the real router.
final class ScheduleHarness: @unchecked Sendable {
    static let calendarSecret = "cal-secret"
    let dir = NSTemporaryDirectory() + "klaxon-oncall-" + UUID().uuidString
    let clock: ManualClock
    let runtime: Runtime
    let engine: IncidentService

    static let people = """
        people:
          - {id: alice, name: Alice Ng, time_zone: Europe/Berlin, slack: U0ALICE01}
          - {id: bob, name: Bob Okafor, time_zone: America/New_York, slack: U0BOB0002}
          - {id: carol, name: Carol Tanaka, time_zone: Asia/Tokyo, slack: U0CAROL03}
          - {id: dana, name: Dana Li, time_zone: Europe/Berlin, slack: U0DANA004}
          - {id: erin, name: Erin Roy, time_zone: Europe/Berlin, slack: U0ERIN005}

        """

    static let team = """
        team: ml-platform
        time_zone: Europe/Berlin
        schedules:
          - id: primary
            layers:
              - name: weekly
                rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-05}
                members: [alice, bob, carol]
              - name: weekend-cover
                rotation: {every: 1d, handoff: "09:00", start: 2026-01-03}
                members: [dana, erin]
                restrict: ["Sat 00:00-Mon 00:00"]
            overrides:
              - {member: carol, from: 2026-04-01T09:00+02:00, to: 2026-04-02T09:00+02:00, replaces: alice}
          - id: secondary
            layers:
              - rotation: {every: 1w, handoff: "Mon 09:00", start: 2026-01-12}
                members: [bob, carol, alice]

        """

    init(now: Date = Date(timeIntervalSince1970: 1_774_751_400), calendarSecret: Bool = true) throws {   // 2026-03-29T02:30:00Z
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/Rotations", withIntermediateDirectories: true)
        try """
            server: {listen: "127.0.0.1:0", public_url: "https://klaxon.example"}
            time_zone: UTC
            api_token: ${env:KLAXON_API_TOKEN}
            \(calendarSecret ? "calendar_secret: ${env:KLAXON_CALENDAR_SECRET}" : "")

            """.write(toFile: dir + "/klaxon.yaml", atomically: true, encoding: .utf8)
        try Self.people.write(toFile: dir + "/Rotations/people.yaml", atomically: true, encoding: .utf8)
        try Self.team.write(toFile: dir + "/Rotations/ml-platform.yaml", atomically: true, encoding: .utf8)
        clock = ManualClock(now: now)
        let config = try ScheduleHarness.loader.load(configPath: dir + "/klaxon.yaml", now: now).get()
        runtime = Runtime(config: config)
        engine = IncidentService(store: try SQLiteStore(path: dir + "/k.db"), clock: clock, runtime: runtime)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    var configPath: String { dir + "/klaxon.yaml" }
    static let loader = ConfigLoader(environment: ["KLAXON_API_TOKEN": apiToken, "KLAXON_CALENDAR_SECRET": calendarSecret])
    var loader: ConfigLoader { Self.loader }

    func app() -> some ApplicationProtocol {
        Application(router: buildRouter(HTTPDependencies(engine: engine, metrics: testRegistry)))
    }
}

struct OnCallRouteTests {
    static let auth: HTTPFields = [.authorization: "Bearer \(apiToken)"]

    @Test func answersTheSpecShapeInTheTeamsOffset() async throws {
        let h = try ScheduleHarness()
        try await h.app().test(.router) { client in
            let r = try await client.execute(uri: "/v1/oncall?team=ml-platform&at=2026-03-29T02:30:00Z", method: .get, headers: Self.auth)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json; charset=utf-8")
            #expect(String(buffer: r.body) == #"{"team":"ml-platform","at":"2026-03-29T04:30:00+02:00","schedules":[{"id":"primary","oncall":["dana"],"until":"2026-03-29T09:00:00+02:00"},{"id":"secondary","oncall":["carol"],"until":"2026-03-30T09:00:00+02:00"}]}"#)
            // Without at: now (the engine's clock), the same instant here.
            let now = try await client.execute(uri: "/v1/oncall?team=ml-platform", method: .get, headers: Self.auth)
            #expect(String(buffer: now.body) == String(buffer: r.body))
            // An offset in the query (+ written as %2B) and a replacing override.
            let o = try await client.execute(uri: "/v1/oncall?team=ml-platform&at=2026-04-01T12:00:00%2B02:00", method: .get, headers: Self.auth)
            let plain = try await client.execute(uri: "/v1/oncall?team=ml-platform&at=2026-04-01T12:00:00+02:00", method: .get, headers: Self.auth)
            #expect(String(buffer: plain.body) == String(buffer: o.body))
            let schedules = json(o.body)["schedules"] as? [[String: Any]]
            #expect(schedules?.first?["oncall"] as? [String] == ["carol"])
            #expect(schedules?.first?["until"] as? String == "2026-04-02T09:00:00+02:00")
        }
    }

    @Test func refusesWithJSONErrors() async throws {
        let h = try ScheduleHarness()
        try await h.app().test(.router) { client in
            let unknown = try await client.execute(uri: "/v1/oncall?team=search", method: .get, headers: Self.auth)
            expectError(unknown, .notFound)
            #expect(json(unknown.body)["message"] as? String == "Unknown team \"search\"; teams: ml-platform.")
            let badTime = try await client.execute(uri: "/v1/oncall?team=ml-platform&at=yesterday", method: .get, headers: Self.auth)
            expectError(badTime, .badRequest)
            #expect((json(badTime.body)["message"] as? String)?.hasPrefix("Bad time for at: expected a time such as 2026-03-29T02:30:00Z") == true)
            expectError(try await client.execute(uri: "/v1/oncall?team=ml-platform&at=", method: .get, headers: Self.auth), .badRequest)
            expectError(try await client.execute(uri: "/v1/oncall", method: .get, headers: Self.auth), .badRequest)
            expectError(try await client.execute(uri: "/v1/oncall?team=ml-platform", method: .get), .unauthorized)
            expectError(try await client.execute(uri: "/v1/oncall?team=ml-platform", method: .get, headers: [.authorization: "Bearer nope"]), .unauthorized)
        }
    }

    /// Reload while serving: a broken edit is refused and the API keeps answering from the old
    /// configuration; the fixed edit is applied and the API answers from it at once.
    @Test func aReloadChangesTheAnswerOnlyWhenTheConfigurationIsFreeOfErrors() async throws {
        let h = try ScheduleHarness()
        let runtime = h.runtime
        let reloader = ConfigReloader(configPath: h.configPath, loader: h.loader, now: { Date(timeIntervalSince1970: 1_774_751_400) },
                                      apply: { runtime.replace(with: $0) }, log: { _, _ in })
        let teamPath = h.dir + "/Rotations/ml-platform.yaml"
        try await h.app().test(.router) { client in
            func secondary() async throws -> [String]? {
                let r = try await client.execute(uri: "/v1/oncall?team=ml-platform&at=2026-03-29T02:30:00Z", method: .get, headers: Self.auth)
                return (json(r.body)["schedules"] as? [[String: Any]])?.last?["oncall"] as? [String]
            }
            #expect(try await secondary() == ["carol"])
            try ScheduleHarness.team.replacingOccurrences(of: "[bob, carol, alice]", with: "[bob, zoe]").write(toFile: teamPath, atomically: true, encoding: .utf8)
            guard case .refused = reloader.reload() else { Issue.record("a broken edit was applied"); return }
            #expect(try await secondary() == ["carol"])
            try ScheduleHarness.team.replacingOccurrences(of: "[bob, carol, alice]", with: "[erin]").write(toFile: teamPath, atomically: true, encoding: .utf8)
            guard case .applied = reloader.reload() else { Issue.record("the fixed edit was refused"); return }
            #expect(try await secondary() == ["erin"])
        }
    }
}

struct CalendarRouteTests {
    @Test func theTokenIsTheHexHMACOfThePersonId() {
        // Python: hmac.new(b"cal", b"alice", hashlib.sha256).hexdigest()
        #expect(CalendarToken.token(person: "alice", secret: "cal") == "fa6fce5bcd28fca56911a2482d899c9b57b63b0cda14e65f05245e8e7370a5e1")
        #expect(CalendarToken.verify("FA6FCE5BCD28FCA56911A2482D899C9B57B63B0CDA14E65F05245E8E7370A5E1", person: "alice", secret: "cal"))
        #expect(!CalendarToken.verify("fa6fce5bcd28fca56911a2482d899c9b57b63b0cda14e65f05245e8e7370a5e1", person: "alice", secret: "other"))
        #expect(!CalendarToken.verify("", person: "alice", secret: ""))
        #expect(CalendarToken.url(publicURL: "https://klaxon.example/", person: "dana", secret: "cal-secret")
                == "https://klaxon.example/calendar/dana.ics?token=d6060ee9fd9de8c1d575db0caf6fa14d5737fed17a3e4098a26ec6dcc8f7bc2d")
    }

    @Test func calendarURLNeedsASecretAndAKnownPerson() throws {
        let h = try ScheduleHarness()
        let config = h.runtime.snapshot.config
        #expect(try CalendarToken.url(for: "dana", in: config) == "https://klaxon.example/calendar/dana.ics?token=d6060ee9fd9de8c1d575db0caf6fa14d5737fed17a3e4098a26ec6dcc8f7bc2d")
        #expect(throws: CalendarURLError.self) { try CalendarToken.url(for: "zoe", in: config) }
        let unset = try ScheduleHarness(calendarSecret: false).runtime.snapshot.config
        do { _ = try CalendarToken.url(for: "dana", in: unset); Issue.record("no secret, yet a URL") } catch {
            #expect(error.message.hasPrefix("calendar URLs need calendar_secret in klaxon.yaml (klaxon.yaml has no calendar_secret)"))
        }
    }

    @Test func aValidTokenGivesThePersonsShiftsMatchingTheScheduleJSON() async throws {
        let h = try ScheduleHarness()
        let config = h.runtime.snapshot.config
        let url = try CalendarToken.url(for: "dana", in: config)
        let path = String(url.dropFirst("https://klaxon.example".count))
        try await h.app().test(.router) { client in
            let r = try await client.execute(uri: path, method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/calendar; charset=utf-8")
            let ics = String(buffer: r.body)
            #expect(ics.hasPrefix("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") && ics.hasSuffix("END:VCALENDAR\r\n"))
            #expect(ics.components(separatedBy: "\r\n").dropLast().allSatisfy { $0.utf8.count <= 75 })
            let events = ICSReader.events(ics)

            // The same window from the schedule JSON (`klaxon schedule --format json`), dana's rows only.
            let now = h.clock.now
            let from = ScheduleRendering.rfc3339(now.addingTimeInterval(-ScheduleQuery.calendarPast), in: TimeZone(identifier: "UTC")!)
            let to = ScheduleRendering.rfc3339(now.addingTimeInterval(ScheduleQuery.calendarFuture), in: TimeZone(identifier: "UTC")!)
            let text = try ScheduleQuery.schedule(config: config, team: "ml-platform", schedule: nil, from: from, to: to, format: "json", tz: nil, now: now)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: String]]).filter { $0["member"] == "dana" }
            #expect(rows.count >= 10)
            let expected = rows.map { "\($0["schedule"]!) \(ICSReader.utc($0["start"]!)) \(ICSReader.utc($0["end"]!))" }.sorted()
            #expect(events.map { "\($0.schedule) \($0.start) \($0.end)" }.sorted() == expected)
            #expect(events.allSatisfy { $0.summary == "On call: dana (ml-platform/\($0.schedule))" })
            #expect(Set(events.map(\.uid)).count == events.count)
        }
    }

    @Test func everyRefusalIsTheSame401() async throws {
        let h = try ScheduleHarness()
        let good = CalendarToken.token(person: "dana", secret: ScheduleHarness.calendarSecret)
        let zoe = CalendarToken.token(person: "zoe", secret: ScheduleHarness.calendarSecret)
        try await h.app().test(.router) { client in
            var bodies = Set<String>()
            for uri in ["/calendar/dana.ics?token=\(good.dropLast())0", "/calendar/dana.ics", "/calendar/dana.ics?token=",
                        "/calendar/erin.ics?token=\(good)", "/calendar/zoe.ics?token=\(zoe)", "/calendar/dana?token=\(good)",
                        "/calendar/dana.ICS?token=\(good)"] {
                let r = try await client.execute(uri: uri, method: .get)
                expectError(r, .unauthorized)
                #expect(r.headers[.wwwAuthenticate] == nil)
                bodies.insert(String(buffer: r.body))
            }
            #expect(bodies.count == 1, "\(bodies)")
        }
        // calendar_secret unset: a token made with an empty secret does not open anything.
        let unset = try ScheduleHarness(calendarSecret: false)
        try await unset.app().test(.router) { client in
            let empty = CalendarToken.token(person: "dana", secret: "")
            let r = try await client.execute(uri: "/calendar/dana.ics?token=\(empty)", method: .get)
            expectError(r, .unauthorized)
            #expect(json(r.body)["message"] as? String == "This calendar link is not valid; ask for a new one with klaxon calendar-url.")
        }
    }
}

/// A small RFC 5545 reader: unfolds lines and collects each VEVENT's times (as UTC text) and summary.
enum ICSReader {
    struct Event { var start: String; var end: String; var summary: String; var uid: String; var schedule: String }

    static func events(_ text: String) -> [Event] {
        var out: [Event] = []
        var props: [String: String] = [:]
        for line in text.replacingOccurrences(of: "\r\n ", with: "").components(separatedBy: "\r\n") {
            if line == "BEGIN:VEVENT" { props = [:] }
            else if line == "END:VEVENT" {
                let summary = props["SUMMARY"] ?? ""
                let schedule = summary.split(separator: "/").last.map { String($0.dropLast()) } ?? ""
                out.append(Event(start: utc(props["DTSTART"] ?? ""), end: utc(props["DTEND"] ?? ""), summary: summary, uid: props["UID"] ?? "", schedule: schedule))
            } else if let colon = line.firstIndex(of: ":") {
                props[String(line[..<colon])] = String(line[line.index(after: colon)...])
            }
        }
        return out
    }

    /// "20260328T080000Z" or an RFC 3339 time, as "2026-03-28T08:00:00Z".
    static func utc(_ s: String) -> String {
        let iso = ISO8601DateFormatter()
        iso.timeZone = TimeZone(identifier: "UTC")
        if let d = iso.date(from: s) { return iso.string(from: d) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.date(from: s).map { iso.string(from: $0) } ?? "?\(s)"
    }
}
