import Foundation
import HTTPTypes
import KlaxonCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Answers the alert sources' POSTs (`IngestEndpoint`) on the event loop, in Hummingbird's
/// HTTP/1 pipeline: no task and no hop into Swift concurrency per request, which is most of what
/// a request through Hummingbird's router costs. The rules are `IngestCore`'s, as on the router.
///
/// Every other request passes through untouched to Hummingbird. Responses keep request order:
/// a fast-path request is only taken when Hummingbird owes no response (otherwise it goes to
/// Hummingbird too), and while one is with the engine, later input is held and replayed after its
/// response. Connections are kept alive unless the request says `Connection: close` (or is
/// HTTP/1.0 without keep-alive; see `ConnectionCloseMarker`).
final class IngestFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// Between requests.
        case idle
        /// Handing the current request's parts to Hummingbird.
        case passing
        /// Reading the body of a fast-path request.
        case reading
        /// Answering a fast-path request (the engine has it); later input waits in `held`.
        case answering
        /// The connection is ending; input is dropped.
        case closing
    }

    /// Input that arrived while a fast-path request was being answered, replayed in order after.
    private enum Held {
        case part(HTTPRequestPart)
        case event(Any)
        case error(any Error)
    }

    private let core: IngestCore
    private let serverName: String
    private var state = State.idle
    private var held = CircularBuffer<Held>()
    /// Requests handed to Hummingbird whose response has not ended yet.
    private var passedOpen = 0
    /// Hummingbird was handed a `Connection: close` request; it ends the connection after it.
    private var passedClose = false
    /// Hummingbird asked for more input while a fast-path request was being answered.
    private var readHeld = false
    private var replaying = false
    /// Answered with `Connection: close`: output is closed, input drained until the client closes.
    private var lingering = false
    private var context: ChannelHandlerContext?

    // The fast-path request being read or answered.
    private var admission = IngestFastPath.noRequest
    /// `admission` before the first request (never answered).
    private static let noRequest = IngestCore.Admission.refused(IngestReply(status: .internalServerError, headers: nil, body: .incidents([])))
    private var closeAfterAnswer = false
    private var bodySize = 0
    private var bodyParts = 0
    private var body: ByteBuffer?
    /// Bodies that come in several parts are gathered here; reused from request to request.
    private var gathered = ByteBuffer()
    /// The 202 bodies are written here; reused once the previous one has been sent.
    private var replyBody = ByteBuffer()
    private var date = HTTPDate()

    init(core: IngestCore, serverName: String) {
        self.core = core
        self.serverName = serverName
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        gathered = context.channel.allocator.buffer(capacity: 0)
        replyBody = context.channel.allocator.buffer(capacity: 64)
        // HTTP1ToHTTPServerCodec forgets the HTTP version; the marker, just before it, turns
        // HTTP/1.0 without keep-alive into the `Connection: close` both sides here understand.
        let pipeline = context.pipeline.syncOperations
        if let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self) {
            try? pipeline.addHandler(ConnectionCloseMarker(), position: .before(codec))
        }
        // Plain HTTP/1.1 ingest requests are answered before the codec, from the bytes.
        try? pipeline.addHandler(IngestWire(core: core, serverName: serverName), position: .first)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        state = .closing
        held.removeAll()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .answering: held.append(.part(unwrapInboundIn(data)))
        case .closing: break
        case .idle, .passing, .reading: handle(unwrapInboundIn(data), context: context)
        }
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            if passedClose {
                state = .closing
            } else if state == .idle, passedOpen == 0, head.method == .post, let path = head.path, let endpoint = IngestEndpoint(path: path) {
                begin(endpoint, head.headerFields, context: context)
            } else {
                passedOpen += 1
                if head.headerFields[.connection] == "close" { passedClose = true }
                state = .passing
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .body(let chunk):
            switch state {
            case .passing: context.fireChannelRead(wrapInboundOut(part))
            case .reading: gather(chunk, context: context)
            case .idle, .answering, .closing: break
            }
        case .end:
            switch state {
            case .passing:
                state = .idle
                context.fireChannelRead(wrapInboundOut(part))
            case .reading:
                state = .answering
                answer(context: context)
            case .idle, .answering, .closing: break
            }
        }
    }

    private func begin(_ endpoint: IngestEndpoint, _ fields: HTTPFields, context: ChannelHandlerContext) {
        state = .reading
        bodySize = 0
        bodyParts = 0
        body = nil
        let head = HeadFields(fields)
        closeAfterAnswer = head.asksToClose
        admission = core.admit(endpoint, authorization: head.authorization, contentType: head.contentType)
        // A body announced as over 1 MiB is answered before it is sent.
        if let length = head.contentLength.flatMap({ Int($0) }), length > maxBodySize {
            oversized(context: context)
            return
        }
        if let expect = head.expect, expect.lowercased() == "100-continue" {
            switch admission {
            case .admitted:
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            case .refused(let reply):
                // The client waits before sending the body; answer now and end the connection.
                closeAfterAnswer = true
                state = .answering
                respond(reply, context: context)
            }
        }
    }

    private func gather(_ chunk: ByteBuffer, context: ChannelHandlerContext) {
        bodySize += chunk.readableBytes
        if bodySize > maxBodySize {
            oversized(context: context)
            return
        }
        guard case .admitted = admission else { return } // refused: the body is read and dropped
        switch bodyParts {
        case 0:
            body = chunk
        case 1:
            gathered.clear()
            gathered.writeImmutableBuffer(body!)
            gathered.writeImmutableBuffer(chunk)
            body = nil
        default:
            gathered.writeImmutableBuffer(chunk)
        }
        bodyParts += 1
    }

    /// Over 1 MiB: answered at once (the refusal if there is one, else 413), then the
    /// connection ends without reading the rest.
    private func oversized(context: ChannelHandlerContext) {
        closeAfterAnswer = true
        state = .answering
        switch admission {
        case .refused(let reply): respond(reply, context: context)
        case .admitted(let a): respond(core.bodyTooLarge(a), context: context)
        }
    }

    /// The whole request is in: answer now, or when the engine has committed.
    private func answer(context: ChannelHandlerContext) {
        let admitted: IngestCore.Admitted
        switch admission {
        case .refused(let reply):
            respond(reply, context: context)
            return
        case .admitted(let a):
            admitted = a
        }
        let decision: IngestCore.Decision
        if bodyParts > 1 {
            decision = gathered.withUnsafeReadableBytes { core.decide(admitted, body: $0) }
        } else if let body {
            decision = body.withUnsafeReadableBytes { core.decide(admitted, body: $0) }
            self.body = nil
        } else {
            decision = core.decide(admitted, body: UnsafeRawBufferPointer(start: nil, count: 0))
        }
        switch decision {
        case .reply(let reply):
            respond(reply, context: context)
        case .call(let call):
            let loop = context.eventLoop
            let handler = NIOLoopBound(self, eventLoop: loop)
            core.perform(call) { reply, request in
                loop.execute {
                    handler.value.answered(reply)
                    request?.drop()
                }
            }
        }
    }

    /// The engine's answer, back on the event loop.
    private func answered(_ reply: IngestReply) {
        // The connection may have gone meanwhile; the alert is committed all the same.
        guard state == .answering, let context else { return }
        respond(reply, context: context)
    }

    // MARK: - Writing the answer

    private func respond(_ reply: IngestReply, context: ChannelHandlerContext) {
        core.fastPathAnswers.increment()
        body = nil
        if gathered.capacity > 64 * 1024 { gathered = context.channel.allocator.buffer(capacity: 0) }
        var fields = reply.headers ?? HTTPFields()
        fields.append(HTTPField(name: .contentType, value: IngestReply.contentType))
        fields.append(HTTPField(name: .contentLength, value: String(reply.bodyLength)))
        fields.append(HTTPField(name: .date, value: date.now()))
        fields.append(HTTPField(name: .server, value: serverName))
        if closeAfterAnswer { fields.append(HTTPField(name: .connection, value: "close")) }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: reply.status, headerFields: fields))), promise: nil)
        switch reply.body {
        case .json(let bytes):
            context.write(wrapOutboundOut(.body(bytes)), promise: nil)
        case .incidents:
            replyBody.clear()
            reply.writeBody(into: &replyBody)
            context.write(wrapOutboundOut(.body(replyBody)), promise: nil)
        }
        if closeAfterAnswer {
            state = .closing
            lingering = true
            held.removeAll()
            // Half-close, then drop what the client still sends until it closes too (or two
            // seconds pass): closing at once would reset a connection whose client is still
            // sending (a body over 1 MiB), and it might never read the answer.
            let channel = context.channel
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
            written.futureResult.whenComplete { _ in
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
            }
            return
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        state = .idle
        replay(context: context)
    }

    /// Replays held input until it is all handled or another fast-path request is being answered.
    private func replay(context: ChannelHandlerContext) {
        guard !replaying else { return } // answered while replaying: the loop below goes on
        if !held.isEmpty {
            replaying = true
            while state != .answering, state != .closing, let item = held.popFirst() {
                switch item {
                case .part(let part): handle(part, context: context)
                case .event(let event): context.fireUserInboundEventTriggered(event)
                case .error(let error): context.fireErrorCaught(error)
                }
            }
            replaying = false
            // Hummingbird's channel hands over what it was given at read-complete.
            context.fireChannelReadComplete()
        }
        if state != .answering, readHeld {
            readHeld = false
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if lingering, let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        switch state {
        case .reading, .answering:
            // Input closed, or the server is quiescing: after this request's answer.
            held.append(.event(event))
        case .idle, .passing, .closing:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch state {
        case .answering:
            held.append(.error(error))
        case .reading:
            // The request cannot be finished (a parse error in its body): Hummingbird answers
            // such errors (400) and closes the connection.
            state = .closing
            while let item = held.popFirst() {
                if case .event(let event) = item { context.fireUserInboundEventTriggered(event) }
            }
            context.fireErrorCaught(error)
        case .idle, .passing, .closing:
            context.fireErrorCaught(error)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closing
        held.removeAll()
        context.fireChannelInactive()
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), passedOpen > 0 { passedOpen -= 1 }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        // Reading on while a request is answered costs nothing when the client waits for the
        // answer (the usual case; holding the read would cost two epoll changes per request);
        // once input is being held, no more is read until it has been replayed.
        if state == .answering, !held.isEmpty {
            readHeld = true
        } else {
            context.read()
        }
    }

}

/// The header fields the fast path reads, found in one pass over the fields.
struct HeadFields {
    var authorization: String?
    var contentType: String?
    var contentLength: String?
    var expect: String?
    /// `Connection: close` in any spelling.
    var asksToClose = false

    init(_ fields: HTTPFields) {
        var repeated = false
        for field in fields {
            switch field.name {
            case .authorization:
                repeated = repeated || authorization != nil
                authorization = field.value
            case .contentType:
                repeated = repeated || contentType != nil
                contentType = field.value
            case .contentLength:
                repeated = repeated || contentLength != nil
                contentLength = field.value
            case .expect:
                repeated = repeated || expect != nil
                expect = field.value
            case .connection:
                for token in field.value.split(separator: ",") where token.trimmingCharacters(in: .whitespaces).lowercased() == "close" {
                    asksToClose = true
                }
            default:
                break
            }
        }
        if repeated {
            // A field given more than once: its values combined, as HTTPFields gives them.
            authorization = fields[.authorization]
            contentType = fields[.contentType]
            contentLength = fields[.contentLength]
            expect = fields[.expect]
        }
    }
}

@available(*, unavailable)
extension IngestFastPath: Sendable {}

/// Sits just before `HTTP1ToHTTPServerCodec`, which drops the HTTP version: a request that does
/// not keep its connection alive (HTTP/1.0 without `Connection: keep-alive`, or `Connection:
/// close` in any spelling) is given exactly `Connection: close`, the form Hummingbird checks.
final class ConnectionCloseMarker: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(var head) = unwrapInboundIn(data), !head.isKeepAlive, head.headers["connection"] != ["close"] {
            head.headers.replaceOrAdd(name: "Connection", value: "close")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else {
            context.fireChannelRead(data)
        }
    }
}

@available(*, unavailable)
extension ConnectionCloseMarker: Sendable {}

/// The `Date` header value (RFC 9110 IMF-fixdate), formatted once a second.
struct HTTPDate {
    private var second = Int.min
    private var text = ""

    mutating func now() -> String {
        let t = time(nil)
        if t != second {
            second = t
            text = Self.format(t)
        }
        return text
    }

    static func format(_ t: Int) -> String {
        let days = Civil.floorDiv(t, 86_400)
        let secs = t - days * 86_400
        let (year, month, day) = Civil.date(days: days)
        let weekday = Civil.floorMod(days + 4, 7) // 1970-01-01 was a Thursday
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(names[weekday]), \(two(day)) \(months[month - 1]) \(year) \(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60)) GMT"
    }
}
