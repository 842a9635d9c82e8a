import Foundation
import Hummingbird
import KlaxonCore
import KlaxonEngine

/// `GET /v1/oncall` (Bearer `api_token`) and the per-person calendar feeds (`GET /calendar/<person>.ics`).
struct ScheduleRoutes {
    let engine: IncidentService
    let api: IncidentRoutes

    /// `{"team","at","schedules":[{"id","oncall":[...],"until"}]}`; unknown team 404, bad time 400.
    func oncall(_ request: Request) async throws -> Response {
        try api.authorize(request)
        let q = request.uri.queryParameters
        guard let team = q.get("team"), !team.isEmpty else {
            throw APIError.badRequest("Query parameter team is required, e.g. /v1/oncall?team=ml-platform.")
        }
        var at = q.get("at")
        // An unencoded "+02:00" arrives as " 02:00" (form decoding): read it as the offset it was.
        if let t = at, t.count > 16, let space = t.lastIndex(of: " "), t.distance(from: t.startIndex, to: space) > 10 {
            at = t.replacingCharacters(in: space...space, with: "+")
        }
        if let at, at.isEmpty { throw APIError.badRequest("Query parameter at is empty; give a time such as \(TimeArgument.examples), or leave it out for now.") }
        do {
            let report = try ScheduleQuery.oncall(config: engine.runtime.snapshot.config, team: team, at: at, now: engine.clock.now)
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: report.json)))
        } catch {
            throw Self.apiError(error)
        }
    }

    static func apiError(_ e: ScheduleQueryError) -> APIError {
        let sentence = e.message.prefix(1).uppercased() + e.message.dropFirst() + (e.message.hasSuffix(".") ? "" : ".")
        switch e.kind {
        case .unknownTeam, .unknownSchedule, .unknownPerson: return APIError.notFound(sentence)
        case .badTime, .badZone, .badRange, .badFormat: return APIError.badRequest(sentence)
        }
    }

    /// One answer for every refusal, so that nothing tells a wrong token from an unknown person
    /// or a missing `calendar_secret`.
    static let refused = APIError(.unauthorized, "unauthorized", "This calendar link is not valid; ask for a new one with klaxon calendar-url.")

    /// `<person>.ics?token=<hex HMAC-SHA256 of the person id with calendar_secret>`.
    func calendar(_ request: Request, file: String) async throws -> Response {
        let config = engine.runtime.snapshot.config
        let secret = config.settings.calendarSecret?.value ?? ""
        let token = request.uri.queryParameters.get("token") ?? ""
        let name = file.removingPercentEncoding ?? file
        let personId = name.hasSuffix(".ics") ? String(name.dropLast(4)) : ""
        // Always compute and compare, so the time taken does not say which check failed.
        let valid = CalendarToken.verify(token, person: personId, secret: secret.isEmpty ? "\u{0}unset" : secret)
        guard valid, !secret.isEmpty, !personId.isEmpty, let person = config.person(personId) else { throw Self.refused }
        let ics = ScheduleQuery.calendar(of: person, in: config, now: engine.clock.now)
        return Response(status: .ok, headers: [.contentType: "text/calendar; charset=utf-8", .cacheControl: "private, max-age=300"],
                        body: .init(byteBuffer: ByteBuffer(string: ics)))
    }
}
