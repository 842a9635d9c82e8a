import Foundation
import KlaxonCore

/// Reads alerts from any payload Klaxon ingests (Alertmanager, Grafana, PagerDuty Events v2,
/// generic), or a captured request `{"method","path","headers","body"}` around one; for
/// `klaxon classify` and other tools.
public enum AnyAlertPayload {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// A generic alert body (`POST /v1/alerts`), as `klaxon simulate` reads them.
    public static func generic(_ object: [String: Any]) throws(Failure) -> AlertBatch {
        guard case .object(let json)? = JSONValue(any: object) else { throw Failure(description: "The alert is not a JSON object.") }
        do { return try GenericAlert.parse(json) } catch let e as APIError { throw Failure(description: e.message) } catch {
            throw Failure(description: "\(error)")
        }
    }

    public static func alerts(from data: Data) throws(Failure) -> (format: String, alerts: [Alert]) {
        let object: JSONObject
        do { object = try parseJSONObject(Array(data), what: "The file") } catch let e as APIError { throw Failure(description: e.message) } catch {
            throw Failure(description: "\(error)")
        }
        var body = object
        if case .object(let inner)? = object["body"] { body = inner }
        do {
            if body["event_action"] != nil {
                let e = try PagerDutyEvent.parse(body.any)
                guard var a = e.alert else { throw Failure(description: "a PagerDuty \(e.action.rawValue) event carries no alert to classify") }
                a.fingerprint = e.dedupKey ?? "pagerduty"
                return ("pagerduty", [a])
            }
            var version: String? = nil
            if case .string(let v)? = body["version"] { version = v }
            switch version {
            case "4": return ("alertmanager", try AlertGroupPayload.alertmanager(body).alerts)
            case "1": return ("grafana", try AlertGroupPayload.grafana(body).alerts)
            default: return ("generic", try GenericAlert.parse(body).alerts)
            }
        } catch let e as Failure {
            throw e
        } catch let e as APIError {
            throw Failure(description: e.message)
        } catch let e as PagerDutyEvent.Invalid {
            throw Failure(description: e.errors.joined(separator: "; "))
        } catch {
            throw Failure(description: "\(error)")
        }
    }
}
