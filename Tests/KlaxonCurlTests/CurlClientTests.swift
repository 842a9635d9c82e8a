import Foundation
import Hummingbird
import KlaxonTestSupport
import Testing
@testable import KlaxonCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Hummingbird re-exports HTTPTypes' HTTPRequest/HTTPResponse; name ours explicitly.
typealias CurlRequest = KlaxonCurl.HTTPRequest

private func name(_ text: String) -> HTTPFields.Element.Name { .init(text)! }

@Suite struct HTTPTests {
    @Test func postWithJSONBodyAndHeadersArrivesIntact() async throws {
        try await withServer({ router in
            router.post("/echo") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                var headers = HTTPFields()
                headers[name("X-Seen-Method")] = request.method.rawValue
                headers[name("X-Seen-Content-Type")] = request.headers[.contentType] ?? "-"
                headers[name("X-Seen-Token")] = request.headers[name("X-Klaxon-Token")] ?? "-"
                headers[name("X-Seen-User-Agent")] = request.headers[.userAgent] ?? "-"
                headers[name("X-Seen-Expect")] = request.headers[.expect] ?? "-"
                headers[name("X-Seen-Accept-Encoding")] = request.headers[.acceptEncoding] ?? "-"
                headers[.contentType] = "application/json"
                return Response(status: .created, headers: headers, body: .init(byteBuffer: body))
            }
        }) { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let json = #"{"alert":"disk full","severity":"critical","tags":["db","prod"],"note":"ünïcödé"}"#
            let response = try await client.perform(CurlRequest(
                method: "POST",
                url: "http://127.0.0.1:\(port)/echo",
                headers: [(name: "Content-Type", value: "application/json"), (name: "X-Klaxon-Token", value: "s3cr3t")],
                body: Array(json.utf8)
            ))
            #expect(response.status == 201)
            #expect(response.body == Array(json.utf8))
            #expect(response.header("x-seen-method") == "POST")
            #expect(response.header("X-SEEN-CONTENT-TYPE") == "application/json")
            #expect(response.header("X-Seen-Token") == "s3cr3t")
            #expect(response.header("X-Seen-User-Agent") == "Klaxon/0.1")
            #expect(response.header("X-Seen-Expect") == "-")
            #expect(response.header("X-Seen-Accept-Encoding")?.contains("gzip") == true)
            #expect(response.header("content-type") == "application/json")
            #expect(response.header("X-Not-There") == nil)
        }
    }

    @Test(arguments: ["PUT", "PATCH", "DELETE"])
    func otherMethodsCarryTheirBody(method: String) async throws {
        try await withServer({ router in
            let handler: @Sendable (Request, TestContext) async throws -> Response = { request, _ in
                let body = try await request.body.collect(upTo: 1 << 20)
                var headers = HTTPFields()
                headers[name("X-Seen-Method")] = request.method.rawValue
                headers[name("X-Seen-Content-Type")] = request.headers[.contentType] ?? "-"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
            }
            router.put("/m", use: handler)
            router.patch("/m", use: handler)
            router.delete("/m", use: handler)
        }) { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let response = try await client.perform(CurlRequest(
                method: method, url: "http://127.0.0.1:\(port)/m", body: Array("payload".utf8)))
            #expect(response.status == 200)
            #expect(response.header("X-Seen-Method") == method)
            #expect(response.body == Array("payload".utf8))
            // No made-up application/x-www-form-urlencoded when the caller sets no Content-Type.
            #expect(response.header("X-Seen-Content-Type") == "-")
        }
    }

    @Test func statusCodesAndResponseHeadersAreReturned() async throws {
        try await withServer({ router in
            router.get("/status/:code") { _, context -> Response in
                let code = try context.parameters.require("code", as: Int.self)
                var headers = HTTPFields()
                if code == 429 { headers[.retryAfter] = "7" }
                headers[name("X-Code")] = "\(code)"
                return Response(status: .init(code: code), headers: headers,
                                body: .init(byteBuffer: ByteBuffer(string: "status \(code)")))
            }
        }) { port in
            let client = CurlClient()
            defer { client.shutdown() }
            for code in [200, 429, 500] {
                let response = try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/status/\(code)"))
                #expect(response.status == code)
                #expect(response.header("x-code") == "\(code)")
                #expect(String(decoding: response.body, as: UTF8.self) == "status \(code)")
                #expect(response.header("retry-after") == (code == 429 ? "7" : nil))
                #expect(response.header("Retry-After") == (code == 429 ? "7" : nil))
            }
        }
    }

    @Test func redirectsAreNotFollowed() async throws {
        try await withServer({ router in
            router.get("/moved") { _, _ -> Response in
                Response(status: .found, headers: [.location: "/elsewhere"])
            }
        }) { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let response = try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/moved"))
            #expect(response.status == 302)
            #expect(response.header("location") == "/elsewhere")
        }
    }

    @Test func gzipResponsesAreDecoded() async throws {
        // gzip of "hello, compressed klaxon " x 4
        let gzipped: [UInt8] = [
            31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 203, 72, 205, 201, 201, 215, 81, 72, 206, 207, 45, 40, 74, 45,
            46, 78, 77, 81, 200, 206, 73, 172, 200, 207, 83, 200, 160, 158, 4, 0, 177, 237, 139, 172, 100, 0, 0, 0,
        ]
        try await withServer({ router in
            router.get("/gz") { _, _ -> Response in
                Response(status: .ok, headers: [.contentEncoding: "gzip"],
                         body: .init(byteBuffer: ByteBuffer(bytes: gzipped)))
            }
        }) { port in
            let client = CurlClient()
            defer { client.shutdown() }
            let response = try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/gz"))
            #expect(String(decoding: response.body, as: UTF8.self) == String(repeating: "hello, compressed klaxon ", count: 4))
        }
    }

    @Test func hundredConcurrentRequestsShareTheOneLoopThread() async throws {
        let count = 100
        let barrier = Barrier(count: count)
        try await withServer({ router in
            router.get("/together/:n") { _, context -> Response in
                // Every handler waits here until all 100 requests are in flight at once.
                await barrier.arriveAndWait()
                let n = context.parameters.get("n") ?? "?"
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: n)))
            }
        }) { port in
            defer { barrier.release() }
            let client = CurlClient()
            defer { client.shutdown() }
            let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for i in 0..<count {
                    group.addTask {
                        let response = try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/together/\(i)"))
                        #expect(response.status == 200)
                        return (i, String(decoding: response.body, as: UTF8.self))
                    }
                }
                var bodies: [Int: String] = [:]
                for try await (i, body) in group { bodies[i] = body }
                return bodies
            }
            #expect(bodies.count == count)
            #expect(bodies.allSatisfy { $0.value == "\($0.key)" })
            let stats = client.engine.stats.withLock { $0 }
            #expect(stats.loopThreadsStarted == 1)
            #expect(stats.completed == count)
            #expect(stats.callbackThreads.count == 1)
        }
    }

    @Test func keepsConnectionsAlive() async throws {
        try await withServer({ router in
            router.get("/peer") { _, context -> Response in
                let peer = context.peerPort.map(String.init) ?? "?"
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: peer)))
            }
        }) { port in
            let client = CurlClient()
            defer { client.shutdown() }
            var peers: Set<String> = []
            for _ in 0..<3 {
                let response = try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/peer"))
                peers.insert(String(decoding: response.body, as: UTF8.self))
            }
            #expect(peers.count == 1, "one client-side port means one reused connection: \(peers)")
        }
    }

    @Test func slowServerTimesOut() async throws {
        let gate = Gate()
        try await withServer({ router in
            router.get("/slow") { _, _ -> Response in
                await gate.wait()
                return Response(status: .ok)
            }
        }) { port in
            defer { gate.open() }
            let client = CurlClient()
            defer { client.shutdown() }
            let started = ContinuousClock.now
            let error = await #expect(throws: CurlError.self) {
                _ = try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/slow", timeout: .milliseconds(200)))
            }
            let elapsed = ContinuousClock.now - started
            #expect(error?.isTimeout == true)
            #expect(error?.isConnectFailure == false)
            #expect(error?.code == 28)
            #expect(error.map { $0.message.contains("200") || $0.message.lowercased().contains("timed out") } == true,
                    "\(String(describing: error))")
            #expect(elapsed >= .milliseconds(190) && elapsed < .seconds(3))
        }
    }

    @Test func connectionRefusedIsAConnectFailure() async throws {
        let (fd, port) = try loopbackSocket(listening: false)
        defer { close(fd) }
        let client = CurlClient()
        defer { client.shutdown() }
        let error = await #expect(throws: CurlError.self) {
            _ = try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/", timeout: .seconds(5)))
        }
        #expect(error?.isConnectFailure == true)
        #expect(error?.isTimeout == false)
        #expect(error?.code == 7)
        #expect(error?.description.contains("curl error 7") == true)
    }

    @Test func cancellingAnInFlightRequestAbortsIt() async throws {
        let gate = Gate()
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        try await withServer({ router in
            router.get("/hang") { _, _ -> Response in
                arrived.yield()
                await gate.wait()
                return Response(status: .ok)
            }
            router.get("/ok") { _, _ in HTTPResponse.Status.ok }
        }) { port in
            defer { gate.open() }
            let client = CurlClient()
            defer { client.shutdown() }
            let task = Task {
                try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/hang", timeout: .seconds(30)))
            }
            for await _ in arrivals { break }  // the request is at the server
            let started = ContinuousClock.now
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(ContinuousClock.now - started < .seconds(2))
            // The client is still fine afterwards.
            let response = try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/ok"))
            #expect(response.status == 200)
            #expect(client.engine.stats.withLock { $0.loopThreadsStarted } == 1)
        }
    }

    @Test func alreadyCancelledTaskNeverStarts() async throws {
        let (fd, port) = try loopbackSocket(listening: true)  // accepts nothing: would hang if sent
        defer { close(fd) }
        let client = CurlClient()
        defer { client.shutdown() }
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/", timeout: .seconds(30)))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func shutdownFailsPendingRequests() async throws {
        let gate = Gate()
        let pending = 3
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        try await withServer({ router in
            router.get("/hang") { _, _ -> Response in
                arrived.yield()
                await gate.wait()
                return Response(status: .ok)
            }
        }) { port in
            defer { gate.open() }
            let client = CurlClient()
            let tasks = (0..<pending).map { _ in
                Task { try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/hang", timeout: .seconds(30))) }
            }
            var seen = 0
            for await _ in arrivals {
                seen += 1
                if seen == pending { break }
            }
            client.shutdown()
            client.shutdown()  // idempotent
            for task in tasks {
                await #expect(throws: CancellationError.self) { try await task.value }
            }
            await #expect(throws: CancellationError.self) {
                try await client.perform(CurlRequest(url: "http://127.0.0.1:\(port)/hang"))
            }
        }
    }

    @Test func invalidURLAndHeadersAreCurlErrors() async throws {
        let client = CurlClient()
        defer { client.shutdown() }
        await #expect(throws: CurlError.self) {
            _ = try await client.perform(CurlRequest(url: "file:///etc/passwd"))
        }
        await #expect(throws: CurlError.self) {
            _ = try await client.perform(CurlRequest(url: "http://127.0.0.1:1/", headers: [(name: "X", value: "a\r\nInjected: 1")]))
        }
    }
}

@Suite struct SMTPTests {
    @Test func sendsMessageWithSenderAndRecipients() async throws {
        let server = try FakeSMTPServer()
        defer { server.stop() }
        let client = CurlClient()
        // Written with bare LF line ends: they must arrive as CRLF lines. The ".hidden" line checks
        // dot-stuffing survives the trip.
        let message = """
            From: Klaxon <alerts@klaxon.test>
            To: On-call <oncall@example.test>
            Subject: [CRITICAL] disk full on db-1
            Content-Type: text/plain; charset=utf-8

            Disk /var is 99% full.
            .hidden line starting with a dot
            Ack: https://klaxon.test/a/42
            """
        try await client.send(MailMessage(
            url: "smtp://127.0.0.1:\(server.port)",
            from: "alerts@klaxon.test",
            to: ["oncall@example.test", "<backup@example.test>"],
            username: "klaxon",
            password: "hunter2",
            data: Array(message.utf8),
            timeout: .seconds(5)
        ))
        client.shutdown()  // closes the cached connection: the server sees QUIT
        server.waitForSessionEnd()

        let sessions = server.seen
        #expect(sessions.count == 1)
        let session = try #require(sessions.first)
        #expect(session.ehlo != nil)
        #expect(session.auth?.user == "klaxon")
        #expect(session.auth?.password == "hunter2")
        #expect(session.mailFrom == "<alerts@klaxon.test>")
        #expect(session.recipients == ["<oncall@example.test>", "<backup@example.test>"])
        #expect(session.dataLines == message.components(separatedBy: "\n"))
        #expect(session.sawQuit)
    }

    /// Alert text ends up in mail bodies. A lone "." line, however it is written (bare CR, bare
    /// LF or CRLF), must not end the message early or let the rest be read as SMTP commands (SMTP
    /// smuggling): every line end goes out as CRLF and libcurl dot-stuffs the lines.
    @Test func dotLinesWrittenAnyWayCannotEndTheMessageEarly() async throws {
        let server = try FakeSMTPServer()
        defer { server.stop() }
        let client = CurlClient()
        let message = "Subject: x\r\n\r\nA\r.\r\nB\n.\nC\r\n.\r\nMAIL FROM:<evil@x.test>\r\nRCPT TO:<victim@x.test>\r\nD\r\rE"
        try await client.send(MailMessage(url: "smtp://127.0.0.1:\(server.port)", from: "alerts@klaxon.test", to: ["oncall@example.test"],
                                          data: Array(message.utf8), timeout: .seconds(5)))
        client.shutdown()
        server.waitForSessionEnd()
        let session = try #require(server.seen.first)
        #expect(server.seen.count == 1)
        #expect(session.mailFrom == "<alerts@klaxon.test>")
        #expect(session.recipients == ["<oncall@example.test>"])
        #expect(session.dataLines == ["Subject: x", "", "A", ".", "B", ".", "C", ".", "MAIL FROM:<evil@x.test>", "RCPT TO:<victim@x.test>", "D", "", "E"])
    }

    @Test func rejectedRecipientIsACurlError() async throws {
        let server = try FakeSMTPServer(rejectRecipients: true)
        defer { server.stop() }
        let client = CurlClient()
        defer { client.shutdown() }
        let error = await #expect(throws: CurlError.self) {
            try await client.send(MailMessage(
                url: "smtp://127.0.0.1:\(server.port)",
                from: "alerts@klaxon.test",
                to: ["nobody@example.test"],
                data: Array("Subject: x\r\n\r\nbody\r\n".utf8),
                timeout: .seconds(5)
            ))
        }
        #expect(error?.message.contains("550") == true, "\(String(describing: error))")
        #expect(error?.isConnectFailure == false)
        #expect(server.seen.first?.dataLines.isEmpty == true)
    }

    @Test func smtpUpgradesWithSTARTTLSWhenOffered() async throws {
        let server = try FakeSMTPServer(offerStartTLS: true)
        defer { server.stop() }
        let client = CurlClient()
        defer { client.shutdown() }
        // The fake server cannot finish the handshake, so the send fails, but only after libcurl
        // asked for STARTTLS and began TLS instead of sending the mail in the clear.
        await #expect(throws: CurlError.self) {
            try await client.send(MailMessage(
                url: "smtp://127.0.0.1:\(server.port)", from: "a@b.test", to: ["c@d.test"],
                username: "u", password: "p", data: Array("x".utf8), timeout: .seconds(5)))
        }
        let session = try #require(server.seen.first)
        #expect(session.firstByteAfterStartTLS == 0x16)
        #expect(session.auth == nil)
        #expect(session.mailFrom == nil)
    }

    @Test func unreachableSMTPServerIsAConnectFailure() async throws {
        let (fd, port) = try loopbackSocket(listening: false)
        defer { close(fd) }
        let client = CurlClient()
        defer { client.shutdown() }
        let error = await #expect(throws: CurlError.self) {
            try await client.send(MailMessage(
                url: "smtp://127.0.0.1:\(port)", from: "a@b.test", to: ["c@d.test"], data: Array("x".utf8)))
        }
        #expect(error?.isConnectFailure == true)
    }

    @Test func lineEndsAreNormalisedToCRLF() {
        #expect(CurlClient.crlfLineEnds(Array("a\nb\r\nc\n".utf8)) == Array("a\r\nb\r\nc\r\n".utf8))
        #expect(CurlClient.crlfLineEnds(Array("a\rb\r\r\nc\r".utf8)) == Array("a\r\nb\r\n\r\nc\r\n".utf8))
        #expect(CurlClient.crlfLineEnds(Array("\n\r".utf8)) == Array("\r\n\r\n".utf8))
        #expect(CurlClient.bracketed("x@y") == "<x@y>")
        #expect(CurlClient.bracketed("<x@y>") == "<x@y>")
    }
}
