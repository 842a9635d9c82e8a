// The ceiling for `make bench`: an HTTP/1.1 server that does nothing. It reads each request (body
// included), throws it away and answers 202 with a short JSON body, on SwiftNIO's event loops,
// one per core, the way Klaxon's ingest fast path answers. No parsing, no storage, no disk.
//
//   klaxon-bench-null --listen 127.0.0.1:PORT
//
// Under the same wrk load as Klaxon and Alertmanager it shows how many requests per second this
// machine can answer at all once wrk has taken its share of the CPU, and what is left per alert
// for the real work at a given rate (bench/bench.sh prints that budget).
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

final class NullHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var keepAlive = true
    private static let body = #"{"status":"accepted"}"#

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(Self.body.utf8.count))
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .accepted, headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: Self.body.utf8.count)
            buffer.writeString(Self.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            if keepAlive {
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}

/// `--raw`: no HTTP codec; the request is framed on the bytes (head up to CRLF CRLF, then
/// Content-Length bytes of body) and a prebuilt 202 is written: what NIO itself costs.
final class RawNullHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var pending = ByteBuffer()
    private var reply: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        if pending.readableBytes == 0 { pending = chunk } else { pending.writeBuffer(&chunk) }
        if reply == nil {
            let text = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n{\"status\":\"accepted\"}"
            reply = context.channel.allocator.buffer(string: text)
        }
        var answered = false
        while true {
            let n = pending.withUnsafeReadableBytes { raw -> Int in
                guard raw.count >= 4 else { return 0 }
                var i = 0
                while i + 3 < raw.count {
                    if raw[i] == 13 && raw[i + 1] == 10 && raw[i + 2] == 13 && raw[i + 3] == 10 { break }
                    i += 1
                }
                if i + 3 >= raw.count { return 0 }
                // Content-Length, found loosely (c...l at +8, colon at +14): this server only takes
                // the bench's own requests.
                var length = 0
                var j = 0
                while j < i {
                    if (raw[j] | 0x20) == UInt8(ascii: "c"), j + 15 < i, (raw[j + 8] | 0x20) == UInt8(ascii: "l"), raw[j + 14] == UInt8(ascii: ":") {
                        var k = j + 15
                        while raw[k] == 32 { k += 1 }
                        while k < i, raw[k] >= 48, raw[k] <= 57 { length = length * 10 + Int(raw[k] - 48); k += 1 }
                        break
                    }
                    j += 1
                }
                let total = i + 4 + length
                return total <= raw.count ? total : 0
            }
            if n == 0 { break }
            pending.moveReaderIndex(forwardBy: n)
            context.write(wrapOutboundOut(reply!), promise: nil)
            answered = true
        }
        if answered { context.flush() }
    }
}

var listen = "127.0.0.1:8080"
var raw = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    if argument == "--listen", let value = arguments.popFirst() { listen = value }
    if argument == "--raw" { raw = true }
}
guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
    print("usage: klaxon-bench-null --listen HOST:PORT")
    exit(2)
}
let host = String(listen[..<colon])

let group = MultiThreadedEventLoopGroup.singleton
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        if raw { return channel.pipeline.addHandler(RawNullHandler()) }
        return channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
            channel.pipeline.addHandler(NullHandler())
        }
    }
let channel = try bootstrap.bind(host: host, port: port).wait()
print("klaxon-bench-null listening on \(listen)")
try channel.closeFuture.wait()
