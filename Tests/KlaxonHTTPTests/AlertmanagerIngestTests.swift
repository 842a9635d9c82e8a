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

    @Test func newerFieldsAreAccepted() async throws {
        let h = try HTTPHarness()
        var o = try JSONSerialization.jsonObject(with: Data(try Fixture("alertmanager/firing-gpu-memory.json").body)) as! [String: Any]
        o["notification_reason"] = "new"
        o["routeLabels"] = ["team": "x"]
        o["somethingElse"] = [1, 2, 3]
        let body = try JSONSerialization.data(withJSONObject: o)
        try await h.app().test(.router) { client in
            let r = try await client.execute(uri: "/v1/alerts/alertmanager", method: .post,
                                             headers: [.authorization: "Bearer am-test-token", .contentType: "application/json"],
                                             body: ByteBuffer(bytes: body))
            #expect(r.status == .accepted)
        }
    }
}
