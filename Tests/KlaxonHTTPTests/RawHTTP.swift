import Foundation
import NIOCore
import NIOPosix

/// One HTTP/1.1 response as it came off the wire.
struct RawResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
}

/// A raw TCP connection to a live server: exactly the bytes given go out (pipelined requests,
/// HTTP/1.0, half-close…), and responses are parsed back in the order they arrive.
final class RawConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var pending: [UInt8] = []
    /// The server closed the connection.
    private(set) var closed = false

    private init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects to `localhost:port`, runs `body`, closes. A connection still open after 20 s is
    /// closed, so a missing response fails the test instead of hanging it.
    static func with<T>(port: Int, _ body: (RawConnection) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "localhost", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel,
                                                                configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        let underlying = channel.channel
        let deadline = underlying.eventLoop.scheduleTask(in: .seconds(20)) { underlying.close(promise: nil) }
        defer { deadline.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(RawConnection(inbound, outbound))
        }
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Half-closes: the server reads end of input after what was sent.
    func finishSending() {
        outbound.finish()
    }

    private func fill() async throws -> Bool {
        guard !closed else { return false }
        guard let chunk = try await inbound.next() else {
            closed = true
            return false
        }
        pending.append(contentsOf: chunk.readableBytesView)
        return true
    }

    /// The next response (a `100 Continue` counts as one).
    func response() async throws -> RawResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int? = nil
        while true {
            if pending.count >= 4 {
                headEnd = (0...(pending.count - 4)).first { pending[$0..<$0 + 4].elementsEqual(separator) }
                if headEnd != nil { break }
            }
            guard try await fill() else { throw RawHTTPError.closedBeforeResponse(String(decoding: pending, as: UTF8.self)) }
        }
        let head = String(decoding: pending[..<headEnd!], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]) else {
            throw RawHTTPError.malformed(head)
        }
        let headers = lines.map { line -> (name: String, value: String) in
            let parts = line.split(separator: ":", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "")
        }
        pending.removeFirst(headEnd! + 4)
        var response = RawResponse(status: status, headers: headers, body: [])
        let length = response.header("Content-Length").flatMap { Int($0) } ?? 0
        while pending.count < length {
            guard try await fill() else { throw RawHTTPError.closedBeforeResponse(head) }
        }
        response.body = Array(pending.prefix(length))
        pending.removeFirst(length)
        return response
    }

    /// Reads until the server closes the connection; returns what came meanwhile.
    func untilClosed() async throws -> [UInt8] {
        while try await fill() {}
        defer { pending = [] }
        return pending
    }
}

enum RawHTTPError: Error {
    case closedBeforeResponse(String)
    case malformed(String)
}

/// A request as bytes: `Content-Length` from the body unless `headers` set framing themselves.
func rawRequest(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = [], version: String = "HTTP/1.1") -> [UInt8] {
    var text = "\(method) \(path) \(version)\r\nHost: localhost\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    let framed = headers.contains { ["content-length", "transfer-encoding"].contains($0.0.lowercased()) }
    if !framed, !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
    text += "\r\n"
    return Array(text.utf8) + body
}
