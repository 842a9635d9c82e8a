import Hummingbird

/// Request context that also carries the client's port, so tests can tell connections apart.
public struct TestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let peerPort: Int?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peerPort = source.channel.remoteAddress?.port
    }
}

/// Runs a real Hummingbird server on 127.0.0.1 with an OS-chosen port for the duration of `body`.
public func withServer<T: Sendable>(
    _ routes: (Router<TestContext>) -> Void,
    _ body: @Sendable (Int) async throws -> T
) async throws -> T {
    let router = Router(context: TestContext.self)
    routes(router)
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in portContinuation.yield(channel.localAddress?.port ?? 0) }
    )
    // Stopping by cancellation makes the server log "Waiting on child channel: CancellationError()".
    app.logger.logLevel = .critical
    return try await withThrowingTaskGroup(of: Void.self) { [app] group in
        group.addTask {
            defer { portContinuation.finish() }
            try await app.run()
        }
        guard let port = await ports.first(where: { _ in true }), port > 0 else {
            group.cancelAll()
            throw ServerDidNotStart()
        }
        defer { group.cancelAll() }
        return try await body(port)
    }
}

public struct ServerDidNotStart: Error {}
