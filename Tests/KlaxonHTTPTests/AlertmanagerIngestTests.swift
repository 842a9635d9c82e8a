import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonCore
import KlaxonEngine
import Testing
@testable import KlaxonHTTP

struct AlertmanagerIngestTests {
    func post(_ client: some TestClientProtocol, _ f: Fixture) async throws -> TestResponse {
        try await client.execute(uri: f.path, method: .post, headers: f.httpHeaders, body: ByteBuffer(bytes: f.body))
    }

    @Test func twoAlertsInOneGroupOpenOneIncident() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            let r = try await post(client, try Fixture("alertmanager/firing-accuracy-drop-2-alerts.json"))
            #expect(r.status == .accepted)
            #expect(json(r.body)["incidents"] as? [String] == ["INC-1"])
        }
        let d = try await h.engine.detail(1)
        #expect(d.alerts.map(\.alert.fingerprint).sorted() == ["1b3845ba7f237ea3", "f9aebd216ec76f19"])
        #expect(d.incident.severity == .p1) // severity=critical maps to P1 by severity_defaults
        #expect(d.incident.title == "fraud-detector accuracy dropped 62% vs baseline")
        #expect(d.incident.key.hasSuffix("{}:{alertname=\"ModelAccuracyDrop\", service=\"fraud-scorer\"}"))
        #expect(d.alerts.first?.alert.links.contains(AlertLink(href: "https://runbooks.example/model-accuracy", text: "runbook")) == true)
    }

    @Test func firingThenResolvedResolvesTheIncident() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            let r1 = try await post(client, try Fixture("alertmanager/firing-feature-pipeline.json"))
            #expect(json(r1.body)["incidents"] as? [String] == ["INC-1"])
            let r2 = try await post(client, try Fixture("alertmanager/resolved-feature-pipeline.json"))
            #expect(r2.status == .accepted)
            #expect(json(r2.body)["incidents"] as? [String] == ["INC-1"])
            let r3 = try await post(client, try Fixture("alertmanager/firing-gpu-memory.json"))
            #expect(json(r3.body)["incidents"] as? [String] == ["INC-2"])
        }
        let inc = try await h.engine.detail(1).incident
        #expect(inc.status == .resolved)
        #expect(inc.severity == .p3) // warning
        #expect(try await h.engine.detail(2).incident.severity == .p1)
    }

    @Test func theSameWebhookTwiceChangesNothing() async throws {
        let h = try HTTPHarness()
        let f = try Fixture("alertmanager/firing-accuracy-drop-2-alerts.json")
        try await h.app().test(.router) { client in
            _ = try await post(client, f)
            let before = try await h.counts()
            let r = try await post(client, f)
            #expect(r.status == .accepted)
            #expect(json(r.body)["incidents"] as? [String] == ["INC-1"])
            #expect(try await h.counts() == before)
        }
    }

    @Test func newerAndUnknownFieldsAreAcceptedAndKept() async throws {
        let h = try HTTPHarness()
        var o = try JSONSerialization.jsonObject(with: Data(try Fixture("alertmanager/firing-gpu-memory.json").body)) as! [String: Any]
        o["notification_reason"] = "new"
        o["routeLabels"] = ["team": "x"]
        o["somethingElse"] = [1, 2.5, true, NSNull(), "s"] as [Any]
        var alerts = o["alerts"] as! [[String: Any]]
        alerts[0]["newAlertField"] = ["deep": ["n": 7]]
        o["alerts"] = alerts
        let first = try JSONSerialization.data(withJSONObject: o)
        // The same alert again in a later notification: the delivery fields differ, the alert does not.
        o["notification_reason"] = "repeat"
        let repeated = try JSONSerialization.data(withJSONObject: o)
        let receiver = o["receiver"] as! String
        try await h.app().test(.router) { client in
            let r = try await client.execute(uri: "/v1/alerts/alertmanager", method: .post,
                                             headers: [.authorization: "Bearer am-test-token", .contentType: "application/json"],
                                             body: ByteBuffer(bytes: first))
            #expect(r.status == .accepted)
            let before = try await h.counts()
            let again = try await client.execute(uri: "/v1/alerts/alertmanager", method: .post,
                                                 headers: [.authorization: "Bearer am-test-token", .contentType: "application/json"],
                                                 body: ByteBuffer(bytes: repeated))
            #expect(again.status == .accepted)
            #expect(try await h.counts() == before)
        }
        // Read back from the SQLite file.
        let alert = try #require(try await h.engine.detail(1).alerts.first).alert
        #expect(alert.sourceFields == ["newAlertField": .object(["deep": .object(["n": .number(7)])])])
        let n = try #require(alert.notificationFields)
        #expect(n["notification_reason"] == .string("new"))
        #expect(n["routeLabels"] == .object(["team": .string("x")]))
        #expect(n["somethingElse"] == .array([.number(1), .number(2.5), .bool(true), .null, .string("s")]))
        #expect(!receiver.isEmpty)
        // Modelled (or derived) members are not copied again; truncatedAlerts 0 says nothing.
        for key in ["alerts", "version", "groupKey", "status", "externalURL", "groupLabels", "commonLabels", "commonAnnotations", "truncatedAlerts", "receiver"] {
            #expect(n[key] == nil, "\(key)")
        }
        // And the API shows them as JSON.
        try await h.app().test(.router) { client in
            let r = try await client.execute(uri: "/v1/incidents/INC-1", method: .get, headers: [.authorization: "Bearer \(apiToken)"])
            let body = String(buffer: r.body)
            #expect(body.contains("\"notification_reason\":\"new\""))
            #expect(body.contains("\"newAlertField\""))
        }
    }

    /// An Alertmanager notification with one alert: `status` is the group's, `alert` the listed alert's.
    func notification(group status: String, truncated: Any = 0, alerts: [(fingerprint: String, status: String, severity: String)]) throws -> ByteBuffer {
        let o: [String: Any] = [
            "version": "4", "groupKey": "{}:{alertname=\"Trunc\"}", "status": status, "receiver": "klaxon", "truncatedAlerts": truncated,
            "groupLabels": ["alertname": "Trunc"], "commonLabels": [:], "commonAnnotations": [:], "externalURL": "http://am:9093",
            "alerts": alerts.map { a in
                ["status": a.status, "fingerprint": a.fingerprint, "labels": ["alertname": "Trunc", "instance": a.fingerprint, "severity": a.severity],
                 "annotations": ["summary": "alert \(a.fingerprint)"], "startsAt": "2026-11-23T07:00:00Z", "endsAt": "0001-01-01T00:00:00Z"] as [String: Any]
            },
        ]
        return ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: o))
    }

    func postNotification(_ client: some TestClientProtocol, _ body: ByteBuffer) async throws -> TestResponse {
        try await client.execute(uri: "/v1/alerts/alertmanager", method: .post,
                                 headers: [.authorization: "Bearer am-test-token", .contentType: "application/json"], body: body)
    }

    @Test func truncatedNotificationsResolveOnlyWhatKlaxonKnowsResolved() async throws {
        // max_alerts: 1 and two alerts firing. Alertmanager computes `status` from the alerts it
        // lists, so a notification listing only a resolved `a` says "resolved" while `b` fires.
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            _ = try await postNotification(client, try notification(group: "firing", truncated: 1, alerts: [("a", "firing", "warning")]))
            _ = try await postNotification(client, try notification(group: "firing", truncated: 1, alerts: [("b", "firing", "warning")]))
            let r = try await postNotification(client, try notification(group: "resolved", truncated: 1, alerts: [("a", "resolved", "warning")]))
            #expect(r.status == .accepted)
            // b is known to fire: not resolved.
            #expect(try await h.engine.detail(1).incident.status == .triggered)
            let kept = try await h.engine.detail(1).alerts.first { $0.alert.fingerprint == "a" }?.alert.notificationFields?["truncatedAlerts"]
            #expect(kept == .number(1))
            // b resolves, listed in a notification that still leaves one out: every alert Klaxon
            // knows is resolved, and the timeline says the notification was truncated.
            _ = try await postNotification(client, try notification(group: "resolved", truncated: 1, alerts: [("b", "resolved", "warning")]))
        }
        let d = try await h.engine.detail(1)
        #expect(d.incident.status == .resolved)
        #expect(d.timeline.contains { $0.kind == "incident.resolved" && $0.message.contains("left out 1 alert of the group: max_alerts") })
    }

    @Test func aSenderWhoseStatusSaysTheGroupStillFiresKeepsItOpen() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            _ = try await postNotification(client, try notification(group: "firing", alerts: [("a", "firing", "warning")]))
            _ = try await postNotification(client, try notification(group: "firing", truncated: 1, alerts: [("a", "resolved", "warning")]))
            #expect(try await h.engine.detail(1).incident.status == .triggered)
            // The same alert again, now with the group resolved: that resolves it.
            _ = try await postNotification(client, try notification(group: "resolved", alerts: [("a", "resolved", "warning")]))
        }
        let d = try await h.engine.detail(1)
        #expect(d.incident.status == .resolved)
        #expect(d.timeline.contains { $0.kind == "incident.resolved" && $0.message.hasSuffix("every alert resolved") })
    }

    @Test func largeNotificationFieldsAreNotCopiedIntoEveryAlert() async throws {
        // Grafana's `message` is the text of all the alerts; an unknown member may be large too.
        let h = try HTTPHarness()
        let alerts: [[String: Any]] = (0..<50).map { i in
            ["status": "firing", "labels": ["alertname": "Big", "instance": "i\(i)"], "annotations": ["summary": "alert \(i)"], "fingerprint": "fp\(i)"]
        }
        let o: [String: Any] = ["version": "1", "groupKey": "big", "status": "firing", "orgId": 1, "state": "alerting",
                                "title": "[FIRING:50] Big", "message": String(repeating: "m", count: 40_000),
                                "huge": String(repeating: "h", count: 5_000), "small": ["k": "v"], "alerts": alerts]
        let body = try JSONSerialization.data(withJSONObject: o)
        try await h.app().test(.router) { client in
            let r = try await client.execute(uri: "/v1/alerts/grafana", method: .post,
                                             headers: [.authorization: "Bearer grafana-test-token", .contentType: "application/json"],
                                             body: ByteBuffer(bytes: body))
            #expect(r.status == .accepted)
        }
        let stored = try await h.engine.detail(1).alerts
        #expect(stored.count == 50)
        for a in stored {
            let n = try #require(a.alert.notificationFields)
            #expect(n["message"] == nil)
            #expect(n["small"] == .object(["k": .string("v")]))
            #expect(n["orgId"] == .number(1))
            #expect(n["state"] == .string("alerting"))
            #expect(n["huge"] == .string("(not kept: more than 1024 bytes of JSON)"))
        }
    }

    @Test func truncatedAlertsMustBeACount() async throws {
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            for bad in ["1" as Any, -1, 1.5, [1]] {
                let before = try await h.counts()
                let r = try await postNotification(client, try notification(group: "firing", truncated: bad, alerts: [("a", "firing", "warning")]))
                expectError(r, .badRequest)
                #expect(String(buffer: r.body).contains("truncatedAlerts"))
                #expect(try await h.counts() == before)
            }
        }
    }

    @Test func severityDoesNotDependOnArrivalOrder() async throws {
        // b is critical (P1) but arrives resolved: it raises nothing, in one notification or two.
        let h = try HTTPHarness()
        try await h.app().test(.router) { client in
            _ = try await postNotification(client, try notification(group: "firing", alerts: [("a", "firing", "warning")]))
            _ = try await postNotification(client, try notification(group: "firing", alerts: [("a", "firing", "warning"), ("b", "resolved", "critical")]))
        }
        let twoSteps = try await h.engine.detail(1)
        #expect(twoSteps.incident.severity == .p3)
        #expect(!twoSteps.timeline.contains { $0.kind == "incident.severity_changed" })
        #expect(twoSteps.alerts.count == 2)

        let h2 = try HTTPHarness()
        try await h2.app().test(.router) { client in
            _ = try await postNotification(client, try notification(group: "firing", alerts: [("a", "firing", "warning"), ("b", "resolved", "critical")]))
        }
        #expect(try await h2.engine.detail(1).incident.severity == .p3)

        // A critical alert that fires does raise it.
        try await h.app().test(.router) { client in
            _ = try await postNotification(client, try notification(group: "firing", alerts: [("b", "firing", "critical")]))
        }
        #expect(try await h.engine.detail(1).incident.severity == .p1)
    }
}
