import Foundation
import Hummingbird
import KlaxonCore
import KlaxonEngine

/// The REST API for people and tools (Bearer `api_token`).
struct IncidentRoutes {
    let engine: IncidentService

    func authorize(_ request: Request) throws {
        guard let expected = engine.runtime.snapshot.config.settings.apiToken?.value, !expected.isEmpty else {
            throw APIError.unauthorized("The API is disabled: api_token is not set in klaxon.yaml.")
        }
        guard let token = request.bearerToken else { throw APIError.unauthorized("Authorization: Bearer <api_token> is required.") }
        guard constantTimeEqual(token, expected) else { throw APIError.unauthorized("The API token is not valid.") }
    }

    static func summary(_ i: IncidentRecord) -> [String: Any] {
        var o: [String: Any] = [
            "id": i.id, "title": i.title, "severity": i.severity.rawValue, "category": i.category.rawValue,
            "status": i.status.rawValue, "team": i.team, "opened_at": ISOTime.utc(i.openedAt),
            "integration": i.integration,
        ]
        o["playbook"] = i.playbook ?? NSNull()
        o["acknowledged_at"] = i.acknowledgedAt.map { ISOTime.utc($0) } ?? NSNull()
        o["acknowledged_by"] = i.acknowledgedBy ?? NSNull()
        o["resolved_at"] = i.resolvedAt.map { ISOTime.utc($0) } ?? NSNull()
        o["resolved_by"] = i.resolvedBy ?? NSNull()
        o["assignee"] = i.assignee ?? NSNull()
        o["severity_set_by"] = i.severitySetBy ?? NSNull()
        if let e = i.escalation {
            o["escalation"] = ["phase": e.phase.rawValue, "urgency": e.urgency.rawValue,
                               "next_due": e.nextDue.map { ISOTime.utc($0) } ?? NSNull()] as [String: Any]
        }
        return o
    }

    func list(_ request: Request) async throws -> Response {
        try authorize(request)
        let status = request.uri.queryParameters.get("status")
        let openOnly: Bool
        switch status {
        case nil, "all": openOnly = false
        case "open": openOnly = true
        default: throw APIError.badRequest("Query parameter status must be open or all.")
        }
        let incidents = try await engine.incidents(openOnly: openOnly)
        return try .json(["incidents": incidents.map(Self.summary)])
    }

    func number(_ id: String) throws -> Int {
        guard let n = IncidentRecord.number(from: id) else { throw APIError.notFound("\(id) is not an incident id; use INC-7.") }
        return n
    }

    func get(_ request: Request, id: String) async throws -> Response {
        try authorize(request)
        let d = try await engine.detail(try number(id))
        var o = Self.summary(d.incident)
        o["alerts"] = d.alerts.map { s -> [String: Any] in
            let a = s.alert
            var out: [String: Any] = ["fingerprint": a.fingerprint, "status": a.status.rawValue, "summary": a.summary, "labels": a.labels,
                                      "annotations": a.annotations, "values": a.values, "severity": s.severity.rawValue,
                                      "starts_at": a.startsAt.map { ISOTime.utc($0) } ?? NSNull(),
                                      "links": a.links.map { ["href": $0.href, "text": $0.text] }]
            // What the source sent that Klaxon does not model, as sent.
            if let f = a.sourceFields { out["source_fields"] = f.mapValues(Self.json) }
            if let f = a.notificationFields { out["notification_fields"] = f.mapValues(Self.json) }
            return out
        }
        o["timeline"] = d.timeline.map { e -> [String: Any] in
            ["at": ISOTime.utc(e.at), "kind": e.kind, "actor": e.actor ?? NSNull(), "message": e.message]
        }
        return try .json(o)
    }

    static func json(_ v: SourceValue) -> Any {
        switch v {
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): b
        case .null: NSNull()
        case .array(let a): a.map(json)
        case .object(let o): o.mapValues(json)
        }
    }

    func act(_ request: Request, id: String, action: String) async throws -> Response {
        try authorize(request)
        var request = request
        let n = try number(id)
        let o = try await request.jsonObject()
        let f = Fields(o)
        guard let by = try f.string("by", required: true), !by.isEmpty else { throw APIError.badRequest("Field by must name a person.") }
        guard engine.runtime.snapshot.config.person(by) != nil else {
            throw APIError.badRequest("Field by names \"\(by)\", who is not in Rotations/people.yaml.")
        }
        let note = try f.string("note", maxLength: 4000)
        let inc: IncidentRecord
        switch action {
        case "ack", "acknowledge": inc = try await engine.acknowledge(n, by: by, note: note)
        case "resolve": inc = try await engine.resolve(n, by: by, note: note)
        case "escalate": inc = try await engine.escalate(n, by: by, note: note)
        default: throw APIError.notFound("Unknown action \(action); use ack, resolve or escalate.")
        }
        return try .json(Self.summary(inc))
    }
}
