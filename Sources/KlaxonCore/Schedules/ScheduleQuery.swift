import Foundation

/// Why a schedule question cannot be answered; `kind` decides the HTTP status (unknown team or
/// schedule: 404; bad time, zone, range or format: 400).
public struct ScheduleQueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case unknownTeam, unknownSchedule, unknownPerson, badTime, badZone, badRange, badFormat }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }
    public var description: String { message }
}

/// Who each schedule of a team has on call at one instant, and until when (`klaxon oncall`,
/// `GET /v1/oncall`). Times are shown in the team's zone with its offset at that instant.
public struct OnCallReport: Sendable {
    public struct Entry: Sendable, Equatable {
        public var schedule: String
        public var oncall: OnCall
    }
    public var team: String
    public var at: Date
    public var timeZone: TimeZone
    public var schedules: [Entry]

    public init(team: Team, at: Date) {
        self.team = team.id
        self.at = at
        timeZone = team.timeZone
        schedules = team.schedules.map { Entry(schedule: $0.id, oncall: $0.oncall(at: at)) }
    }

    /// SPEC 6: `{"team","at","schedules":[{"id","oncall":[...],"until"}]}`; `until` is null when the
    /// cover does not end within `Schedule.untilHorizon`.
    public var json: String {
        let rows = schedules.map { e in
            let members = e.oncall.members.map(ScheduleRendering.jsonString).joined(separator: ",")
            let until = e.oncall.until.map { "\"\(ScheduleRendering.rfc3339($0, in: timeZone))\"" } ?? "null"
            return "{\"id\":\(ScheduleRendering.jsonString(e.schedule)),\"oncall\":[\(members)],\"until\":\(until)}"
        }
        return "{\"team\":\(ScheduleRendering.jsonString(team)),\"at\":\"\(ScheduleRendering.rfc3339(at, in: timeZone))\",\"schedules\":[\(rows.joined(separator: ","))]}"
    }

    /// A few lines for a person: each schedule, who, and until when (with how long from `at`).
    public func text(name: (String) -> String? = { _ in nil }) -> String {
        var out = "\(team) on call at \(ScheduleRendering.localTime(at, in: timeZone)) (\(timeZone.identifier))\n"
        if schedules.isEmpty { return out + "  (this team has no schedules)\n" }
        let who = schedules.map { e -> String in
            guard let m = e.oncall.members.first else { return "nobody (a gap)" }
            return name(m).map { $0 == m ? m : "\(m) (\($0))" } ?? m
        }
        let w0 = schedules.map(\.schedule.count).max()!, w1 = who.map(\.count).max()!
        for (e, person) in zip(schedules, who) {
            let until = e.oncall.until.map {
                "until \(ScheduleRendering.localTime($0, in: timeZone)) (in \(ScheduleRendering.duration($0.timeIntervalSince(at))))"
            } ?? "with no change in the next \(Int(Schedule.untilHorizon / 86_400)) days"
            out += "  " + e.schedule.padding(toLength: w0, withPad: " ", startingAt: 0) + "  "
                + person.padding(toLength: w1, withPad: " ", startingAt: 0) + "  " + until + "\n"
        }
        return out
    }
}

/// The answers behind `klaxon oncall`, `klaxon schedule`, `GET /v1/oncall` and the per-person
/// calendars, so that the command line and the API say exactly the same thing.
public enum ScheduleQuery {
    /// How far back and ahead a person's calendar feed reaches.
    public static let calendarPast: TimeInterval = 30 * 86_400
    public static let calendarFuture: TimeInterval = 90 * 86_400
    /// The longest range `schedule` renders.
    public static let maximumRange: TimeInterval = 5 * 366 * 86_400

    public static func team(_ id: String, in config: Configuration) throws(ScheduleQueryError) -> Team {
        guard let t = config.team(id) else {
            let known = config.teams.map(\.id).sorted()
            throw ScheduleQueryError(.unknownTeam, "unknown team \"\(id)\"; " + (known.isEmpty ? "no team is configured (Rotations/<team>.yaml)" : "teams: \(known.joined(separator: ", "))"))
        }
        return t
    }

    /// A TIME or D argument, local ones read in `zone`; `what` names it in the error.
    public static func time(_ text: String, _ what: String, zone: TimeZone) throws(ScheduleQueryError) -> Date {
        do { return try TimeArgument.parse(text, zone: zone) } catch {
            throw ScheduleQueryError(.badTime, "bad \(what): \(error.message)")
        }
    }

    /// An IANA zone name ("Europe/Berlin"); abbreviations and offsets are refused.
    public static func zone(_ id: String) throws(ScheduleQueryError) -> TimeZone {
        if id == "UTC" || id == "GMT", let z = TimeZone(identifier: id) { return z }
        guard TimeZone.knownTimeZoneIdentifiers.contains(id), let z = TimeZone(identifier: id) else {
            throw ScheduleQueryError(.badZone, "unknown time zone \"\(id)\"; use an IANA name such as Europe/Berlin or America/New_York")
        }
        return z
    }

    /// Who is on call in each schedule of `team` at `at` (default `now`).
    public static func oncall(config: Configuration, team id: String, at: String?, now: Date) throws(ScheduleQueryError) -> OnCallReport {
        let t = try team(id, in: config)
        var instant = now
        if let at { instant = try time(at, "time for at", zone: t.timeZone) }
        return OnCallReport(team: t, at: instant)
    }

    public enum Format: String, Sendable, CaseIterable { case table, json, ics, svg }

    /// The final on-call of one schedule (or all of the team's) over [from, to), rendered.
    public static func schedule(config: Configuration, team id: String, schedule scheduleId: String?, from: String, to: String,
                                format: String, tz: String?, now: Date) throws(ScheduleQueryError) -> String {
        let t = try team(id, in: config)
        guard let f = Format(rawValue: format) else {
            throw ScheduleQueryError(.badFormat, "unknown format \"\(format)\"; expected one of: \(Format.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var schedules = t.schedules
        if let scheduleId {
            guard let s = t.schedule(scheduleId) else {
                throw ScheduleQueryError(.unknownSchedule, "unknown schedule \"\(scheduleId)\" in team \(t.id); it has: \(t.schedules.map(\.id).joined(separator: ", "))")
            }
            schedules = [s]
        }
        var readerZone = t.timeZone
        if let tz { readerZone = try zone(tz) }
        // Bare dates and local times are the team's (SPEC 6), whatever zone the reader wants.
        let start = try time(from, "--from", zone: t.timeZone)
        let end = try time(to, "--to", zone: t.timeZone)
        guard start < end else {
            throw ScheduleQueryError(.badRange, "--to (\(ScheduleRendering.rfc3339(end, in: t.timeZone))) must be after --from (\(ScheduleRendering.rfc3339(start, in: t.timeZone)))")
        }
        guard end.timeIntervalSince(start) <= maximumRange else {
            throw ScheduleQueryError(.badRange, "the range from --from to --to is longer than 5 years; ask for less")
        }
        let rows = schedules.map { (id: $0.id, intervals: $0.intervals(from: start, to: end)) }
        switch f {
        case .json: return ScheduleRendering.json(schedules: rows, timeZone: readerZone) + "\n"
        case .table: return ScheduleRendering.table(schedules: rows, team: t.id, from: start, to: end, timeZone: readerZone)
        case .svg: return ScheduleRendering.svg(team: t.id, schedules: schedules, from: start, to: end, timeZone: readerZone)
        case .ics:
            let shifts = rows.flatMap { r in r.intervals.map { CalendarShift(team: t.id, scheduleId: r.id, member: $0.member, start: $0.start, end: $0.end) } }
            let name = scheduleId.map { "On call: \(t.id)/\($0)" } ?? "On call: \(t.id)"
            return ScheduleRendering.ics(shifts: shifts, now: now, calendarName: name)
        }
    }

    /// Every shift of `person` in every schedule of every team over [from, to).
    public static func shifts(of person: String, in config: Configuration, from: Date, to: Date) -> [CalendarShift] {
        var out: [CalendarShift] = []
        for t in config.teams {
            for s in t.schedules {
                for i in s.intervals(from: from, to: to) where i.member == person {
                    out.append(CalendarShift(team: t.id, scheduleId: s.id, member: person, start: i.start, end: i.end))
                }
            }
        }
        return out
    }

    /// The RFC 5545 feed of one person's shifts from `calendarPast` before `now` to `calendarFuture` after.
    public static func calendar(of person: Person, in config: Configuration, now: Date) -> String {
        let shifts = shifts(of: person.id, in: config, from: now.addingTimeInterval(-calendarPast), to: now.addingTimeInterval(calendarFuture))
        return ScheduleRendering.ics(shifts: shifts, now: now, calendarName: "On call: \(person.name)")
    }
}
