import HTTPTypes
import KlaxonCore
import NIOCore

/// Answers the alert sources' plain HTTP/1.1 POSTs straight from the socket's bytes, before
/// NIO's HTTP codec: the first handler of every connection's pipeline.
///
/// Why: on this machine, under the `make bench` load, a do-nothing NIO server costs about 28 µs
/// of CPU per request with NIO's HTTP/1 codec in its pipeline and about 12 µs with a handler that
/// frames the request on the bytes (`klaxon-bench-null` and `--raw`, measured side by side). The
/// codec (llhttp, the request and response parts, the HTTPTypes conversion, Hummingbird's
/// handlers) was half of what a request cost before any alert was read.
///
/// It takes only what it can frame exactly: `POST` to one of the four ingest paths, `HTTP/1.1`,
/// a body of `Content-Length` bytes (at most 1 MiB), every header line well formed, no
/// `Transfer-Encoding`, `Expect` or `Upgrade`, `Connection` absent or `keep-alive`, and the
/// fields it reads given once. Anything else, and everything after it on that connection, passes
/// untouched to NIO's codec, where `IngestFastPath` and Hummingbird answer it as before; so the
/// rules that refuse odd requests stay in one place. The answers are `IngestCore`'s, as on the
/// other two paths, byte for byte the same status, fields and body.
///
/// Responses keep request order: requests are taken one at a time, and while one is with the
/// engine the bytes after it wait (and a connection only passes to the codec when no answer is
/// owed). Input-closed and quiesce events that arrive meanwhile wait for the answer too.
final class IngestWire: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State: Equatable {
        /// Reading requests off the bytes.
        case framing
        /// A request is with the engine; later bytes and events wait.
        case answering
        /// Everything goes to NIO's codec from here on.
        case passing
        /// The channel is gone.
        case closed
    }

    /// The longest request head taken here; a longer one goes to the codec and its limits.
    static let maxHead = 16 * 1024

    private let core: IngestCore
    private let serverName: String
    // The handler runs on its channel's event loop only, and no method holds one of these across
    // a call that could touch it again: the run-time exclusivity checks on them (every write
    // into `reply` was one) go, about 1% of an event loop's time under `make bench`.
    @exclusivity(unchecked) private(set) var state = State.framing
    /// Bytes read and not yet taken: the start of the next request (or several).
    @exclusivity(unchecked) private var pending = ByteBuffer()
    /// Events that came while a request was with the engine, in order.
    private var heldEvents: [Any] = []
    /// A read was asked for while input was held.
    private var readHeld = false
    @exclusivity(unchecked) private var reply = ByteBuffer()
    @exclusivity(unchecked) private var date = HTTPDate()
    private var context: ChannelHandlerContext?
    /// Holds this handler (it is the hop's): dropped when the handler is removed or the channel closes.
    private var answerHop: AnswerHop?

    init(core: IngestCore, serverName: String) {
        self.core = core
        self.serverName = serverName
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        reply = context.channel.allocator.buffer(capacity: 256)
        // While this handler frames the requests, it asks for the reads itself, from here:
        // NIO's automatic read after each read went from the pipeline's tail through every
        // handler of the codec and of Hummingbird to reach this one (16 retains and 16 releases
        // per request under the `make bench` load, `bench/counts.sh`). `pass` turns the
        // automatic read back on; `FastPathConnectionTests` fail without that.
        if let options = context.channel.syncOptions {
            try? options.setOption(ChannelOptions.autoRead, value: false)
            if context.channel.isActive { context.read() }
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        if state == .framing { context.read() }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        state = .closed
        // The hop holds this handler: no cycle outlives the channel (an answer still owed
        // arrives all the same and finds the handler closed).
        answerHop = nil
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .passing:
            context.fireChannelRead(data)
        case .closed:
            break
        case .framing, .answering:
            var bytes = unwrapInboundIn(data)
            if pending.readableBytes == 0 {
                pending = bytes
            } else {
                pending.writeBuffer(&bytes)
            }
            if state == .framing { frame(context: context) }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // While this handler frames the requests itself, the handlers after it saw no read:
        // there is nothing for them to complete (passing it through the codec and Hummingbird's
        // handlers was 5% of an event loop's time under `make bench`). `pass` completes the
        // read it hands on. The next read is asked for here (see `handlerAdded`).
        switch state {
        case .passing: context.fireChannelReadComplete()
        case .framing, .answering: read(context: context)
        case .closed: break
        }
    }

    /// Takes every whole request in `pending`, until one goes to the engine, the next is not all
    /// there yet, or the bytes must pass to the codec.
    private func frame(context: ChannelHandlerContext) {
        var wrote = false
        var passOn = false
        framing: while state == .framing, pending.readableBytes > 0 {
            switch pending.withUnsafeReadableBytes({ Self.parse($0) }) {
            case .incomplete:
                break framing
            case .other:
                passOn = true
                break framing
            case .ingest(let head):
                let total = head.headLength + head.bodyLength
                guard pending.readableBytes >= total else { break framing }
                let decision = take(head)
                pending.moveReaderIndex(forwardBy: total)
                switch decision {
                case .reply(let answer):
                    write(answer, context: context)
                    wrote = true
                case .call(let call):
                    state = .answering
                    core.perform(call, hop: hop(context))
                }
            }
        }
        if wrote { context.flush() }
        if passOn { pass(context: context) } else { compact() }
    }

    /// Drops the bytes already taken once they are many (a long pipeline never empties `pending`).
    private func compact() {
        if pending.readableBytes == 0 {
            pending = ByteBuffer()
        } else if pending.readerIndex > 64 * 1024 {
            pending.discardReadBytes()
        }
    }

    /// The header checks and the body: an answer now, or the engine call to make.
    private func take(_ head: Head) -> IngestCore.Decision {
        switch core.admit(head.endpoint, bearer: head.bearer, contentType: head.contentType) {
        case .refused(let answer):
            return .reply(answer)
        case .admitted(let admitted):
            return pending.withUnsafeReadableBytes { raw in
                let body = UnsafeRawBufferPointer(rebasing: raw[head.headLength..<(head.headLength + head.bodyLength)])
                return core.decide(admitted, body: body)
            }
        }
    }

    /// The connection's way back from the engine, made on its first call.
    private func hop(_ context: ChannelHandlerContext) -> AnswerHop {
        if let hop = answerHop { return hop }
        let made = AnswerHop(core: core, mailbox: core.mailbox(for: context.eventLoop),
                             handler: NIOLoopBound(self, eventLoop: context.eventLoop))
        answerHop = made
        return made
    }

    /// The engine's answer, back on the event loop.
    func answered(_ answer: IngestReply) {
        // The connection may have gone meanwhile; the alerts are committed all the same.
        guard state == .answering, let context else { return }
        state = .framing
        write(answer, context: context)
        context.flush()
        frame(context: context)
        // Another request is with the engine (everything waits on), or the connection passed to
        // the codec (`pass` handed it all).
        guard state == .framing else { return }
        // Events that waited for the answer: they follow every byte read before them.
        let events = heldEvents
        heldEvents = []
        for event in events { context.fireUserInboundEventTriggered(event) }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    /// From here on NIO's codec reads this connection: what is pending first.
    private func pass(context: ChannelHandlerContext) {
        state = .passing
        // NIO reads on its own again (it asks for the next read as the option turns on).
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
        let events = heldEvents
        heldEvents = []
        if pending.readableBytes > 0 {
            let bytes = pending
            pending = ByteBuffer()
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        for event in events { context.fireUserInboundEventTriggered(event) }
        if readHeld {
            readHeld = false
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if state == .answering {
            heldEvents.append(event)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        pending = ByteBuffer()
        heldEvents = []
        context.fireChannelInactive()
    }

    // MARK: - Outbound

    func read(context: ChannelHandlerContext) {
        // While an answer is owed, reading on is free when the client waits for it (the usual
        // case); once a request's worth of bytes waits, no more is read until it is answered.
        if state == .answering, pending.readableBytes > Self.maxHead + maxBodySize {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// One answer, as one buffer: status line, fields, body.
    private func write(_ answer: IngestReply, context: ChannelHandlerContext) {
        core.fastPathAnswers.increment()
        core.wireAnswers.increment()
        reply.clear()
        if answer.headers == nil, case .incidents(let ids) = answer.body {
            // The usual answer in one copy pass (written piece by piece, each piece with the
            // buffer's own checks, it was 9% of an event loop's time under `make bench`).
            let date = date.now()
            let status = answer.status
            let length = answer.bodyLength
            // The fixed text and two numbers of at most 20 digits each, then the variable parts.
            let bound = 160 + serverName.utf8.count + status.reasonPhrase.utf8.count + date.utf8.count + length
            reply.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                var w = RawOut(base: out.baseAddress!)
                w.put("HTTP/1.1 "); w.int(status.code); w.byte(UInt8(ascii: " ")); w.put(status.reasonPhrase)
                w.put("\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: "); w.int(length)
                w.put("\r\nDate: "); w.put(date)
                w.put("\r\nServer: "); w.put(serverName)
                w.put("\r\n\r\n{\"incidents\":[")
                for (i, id) in ids.enumerated() {
                    if i > 0 { w.byte(UInt8(ascii: ",")) }
                    w.byte(UInt8(ascii: "\"")); w.put(id); w.byte(UInt8(ascii: "\""))
                }
                w.put("]}")
                precondition(w.count <= out.count)
                return w.count
            }
            context.write(wrapOutboundOut(reply), promise: nil)
            return
        }
        reply.writeStaticString("HTTP/1.1 ")
        reply.writeString(String(answer.status.code))
        reply.writeInteger(UInt8(ascii: " "))
        reply.writeString(answer.status.reasonPhrase)
        reply.writeStaticString("\r\n")
        if let fields = answer.headers {
            for field in fields {
                reply.writeString(field.name.rawName)
                reply.writeStaticString(": ")
                reply.writeString(field.value)
                reply.writeStaticString("\r\n")
            }
        }
        reply.writeStaticString("Content-Type: application/json; charset=utf-8\r\nContent-Length: ")
        reply.writeString(String(answer.bodyLength))
        reply.writeStaticString("\r\nDate: ")
        reply.writeString(date.now())
        reply.writeStaticString("\r\nServer: ")
        reply.writeString(serverName)
        reply.writeStaticString("\r\n\r\n")
        answer.writeBody(into: &reply)
        context.write(wrapOutboundOut(reply), promise: nil)
    }

    /// Copies pieces into memory the caller sized for them.
    private struct RawOut {
        let base: UnsafeMutableRawPointer
        var count = 0

        mutating func byte(_ b: UInt8) { base.storeBytes(of: b, toByteOffset: count, as: UInt8.self); count += 1 }
        mutating func put(_ s: StaticString) {
            (base + count).copyMemory(from: s.utf8Start, byteCount: s.utf8CodeUnitCount)
            count += s.utf8CodeUnitCount
        }
        mutating func put(_ s: String) {
            if s.utf8.withContiguousStorageIfAvailable({ put($0) }) != nil { return }
            var s = s
            s.withUTF8 { put($0) }
        }
        mutating func put(_ u: UnsafeBufferPointer<UInt8>) {
            guard let p = u.baseAddress else { return }
            (base + count).copyMemory(from: p, byteCount: u.count)
            count += u.count
        }
        mutating func int(_ v: Int) { count += writeDecimal(v, at: base + count) }
    }

    // MARK: - Framing

    /// A request head this handler takes.
    struct Head: Equatable {
        var endpoint: IngestEndpoint
        /// Bytes through the blank line that ends the head.
        var headLength: Int
        var bodyLength: Int
        /// nil: no Authorization field; `.some(nil)`: not a Bearer token; else the token.
        var bearer: String??
        var contentType: String?
    }

    enum Parsed: Equatable {
        /// The head is not all there yet (and may still be one taken here).
        case incomplete
        /// Not a request taken here: the codec reads it.
        case other
        case ingest(Head)
    }

    /// Reads the request head at the start of `p`.
    static func parse(_ p: UnsafeRawBufferPointer) -> Parsed {
        // "POST /" or a prefix of it, else not ours (answered at once, even byte by byte).
        let start: StaticString = "POST /"
        let known = min(p.count, start.utf8CodeUnitCount)
        for i in 0..<known where p[i] != start.utf8Start[i] { return .other }
        guard let end = blankLine(p) else {
            return p.count >= maxHead ? .other : .incomplete
        }
        let headEnd = end + 2 // through the last field's CRLF
        let headLength = headEnd + 2

        // Request line: POST SP target SP HTTP/1.1 CRLF.
        var i = 5
        let targetStart = i
        while i < headEnd, p[i] != UInt8(ascii: " ") {
            guard p[i] > 0x20, p[i] < 0x7F else { return .other }
            i += 1
        }
        let target = UnsafeRawBufferPointer(rebasing: p[targetStart..<i])
        let version: StaticString = " HTTP/1.1\r\n"
        guard i + version.utf8CodeUnitCount <= headEnd else { return .other }
        for k in 0..<version.utf8CodeUnitCount where p[i + k] != version.utf8Start[k] { return .other }
        i += version.utf8CodeUnitCount
        guard let endpoint = IngestEndpoint(target: target) else { return .other }

        // Field lines: name ":" OWS value OWS CRLF.
        var bearer: String??
        var contentType: String?
        var contentLength: Int?
        while i < headEnd {
            let nameStart = i
            while i < headEnd, p[i] != UInt8(ascii: ":") {
                guard isTokenByte(p[i]) else { return .other } // also a fold, a bare CR or LF
                i += 1
            }
            guard i < headEnd, i > nameStart else { return .other }
            let name = UnsafeRawBufferPointer(rebasing: p[nameStart..<i])
            i += 1
            while i < headEnd, p[i] == 0x20 || p[i] == 0x09 { i += 1 }
            let valueStart = i
            var ascii = true
            while i < headEnd, p[i] != 0x0D {
                let b = p[i]
                guard b == 0x09 || (b >= 0x20 && b != 0x7F) else { return .other }
                if b >= 0x80 { ascii = false }
                i += 1
            }
            guard i + 1 < headLength, p[i + 1] == 0x0A else { return .other }
            var valueEnd = i
            while valueEnd > valueStart, p[valueEnd - 1] == 0x20 || p[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            let value = UnsafeRawBufferPointer(rebasing: p[valueStart..<valueEnd])
            i += 2
            switch field(name) {
            case .authorization:
                guard bearer == nil, ascii else { return .other }
                // The usual "Bearer <token>" read on the bytes (the whole value as a String was an
                // allocation per request: it is longer than a small string's 15 bytes).
                bearer = .some(usualBearerToken(value) ?? bearerToken(String(decoding: value, as: UTF8.self)))
            case .contentType:
                guard contentType == nil, ascii else { return .other }
                // The usual value as a literal: no allocation.
                contentType = bytesEqual(value, "application/json") ? "application/json" : String(decoding: value, as: UTF8.self)
            case .contentLength:
                guard contentLength == nil, !value.isEmpty, value.count <= 8 else { return .other }
                var n = 0
                for b in value {
                    guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return .other }
                    n = n * 10 + Int(b - UInt8(ascii: "0"))
                }
                guard n <= maxBodySize else { return .other }
                contentLength = n
            case .connection:
                guard equalsIgnoringCase(value, "keep-alive") else { return .other }
            case .refused:
                return .other
            case .other:
                break
            }
        }
        return .ingest(Head(endpoint: endpoint, headLength: headLength, bodyLength: contentLength ?? 0,
                            bearer: bearer, contentType: contentType))
    }

    /// Where the first CRLF CRLF in the first `maxHead` bytes starts.
    private static func blankLine(_ p: UnsafeRawBufferPointer) -> Int? {
        let searched = min(p.count, maxHead)
        var i = 3
        while i < searched {
            // Step by the byte seen: only an LF at i can end a CRLF CRLF here.
            if p[i] == 0x0A {
                if p[i - 1] == 0x0D, p[i - 2] == 0x0A, p[i - 3] == 0x0D { return i - 3 }
                i += 2
            } else if p[i] == 0x0D {
                i += 1
            } else {
                i += 4
            }
        }
        return nil
    }

    private enum Field { case authorization, contentType, contentLength, connection, refused, other }

    /// The fields this handler reads, and those that send a request to the codec.
    private static func field(_ name: UnsafeRawBufferPointer) -> Field {
        switch name.count {
        case 13 where equalsIgnoringCase(name, "authorization"): .authorization
        case 12 where equalsIgnoringCase(name, "content-type"): .contentType
        case 14 where equalsIgnoringCase(name, "content-length"): .contentLength
        case 10 where equalsIgnoringCase(name, "connection"): .connection
        case 17 where equalsIgnoringCase(name, "transfer-encoding"): .refused
        case 6 where equalsIgnoringCase(name, "expect"): .refused
        case 7 where equalsIgnoringCase(name, "upgrade"): .refused
        default: .other
        }
    }

    /// `bytes` is `lower` (lowercase ASCII) in any case.
    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
        guard bytes.count == lower.utf8CodeUnitCount else { return false }
        for k in 0..<bytes.count {
            var b = bytes[k]
            if b >= UInt8(ascii: "A"), b <= UInt8(ascii: "Z") { b |= 0x20 }
            if b != lower.utf8Start[k] { return false }
        }
        return true
    }

    /// RFC 9110 tchar.
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

@available(*, unavailable)
extension IngestWire: Sendable {}
