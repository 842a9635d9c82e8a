import Foundation
import Hummingbird
import HummingbirdTesting
import KlaxonEngine
import Testing
@testable import KlaxonHTTP
@testable import KlaxonStore

/// A store whose sync failed answers every ingest with 503 `not_ready` (the sender retries) and
/// is not ready, over the server `klaxon serve` runs (the fast path and the group committer).
@Suite(.timeLimit(.minutes(1))) struct StoreUnavailableTests {
    @Test func afterAFailedSyncIngestAndReadinessAnswer503() async throws {
        let h = try HTTPHarness()
        let f = try Fixture("alertmanager/firing-gpu-memory.json")
        try await h.server().test(.live) { client in
            let ok = try await client.execute(uri: f.path, method: .post, headers: f.httpHeaders, body: ByteBuffer(bytes: f.body))
            #expect(ok.status == .accepted)

            h.store.failSyncs.withLock { $0 = EIO }
            for attempt in 1...2 {
                if attempt == 2 { h.store.failSyncs.withLock { $0 = nil } }  // syncs would work again: still refused
                let refused = try await client.execute(uri: f.path, method: .post, headers: f.httpHeaders, body: ByteBuffer(bytes: f.body))
                #expect(refused.status == .serviceUnavailable, "attempt \(attempt)")
                let body = try JSONSerialization.jsonObject(with: Data(buffer: refused.body)) as? [String: String]
                #expect(body?["error"] == "not_ready")
                #expect(body?["message"]?.contains("fdatasync") == true, "\(body ?? [:])")
            }
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(String(buffer: ready.body).contains("not_ready"))
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
    }
}
