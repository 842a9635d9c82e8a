import Foundation
@testable import KlaxonCurl

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-shot latch handlers can wait on; `open()` releases every waiter, now and later.
final class Gate: Sendable {
    private let state = Locked<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Waits until `count` handlers have arrived, then lets them all continue: proves they were in
/// flight at the same time.
final class Barrier: Sendable {
    private let count: Int
    private let gate = Gate()
    private let arrived = Locked(0)

    init(count: Int) { self.count = count }

    func arriveAndWait() async {
        let n = arrived.withLock { n in
            n += 1
            return n
        }
        if n == count { gate.open() }
        await gate.wait()
    }

    func release() { gate.open() }
}

// MARK: Plain loopback sockets (for the fake SMTP server and a refused port)

struct SocketError: Error, CustomStringConvertible {
    var what: String
    var errno: Int32
    var description: String { "\(what): \(String(cString: strerror(errno)))" }
}

/// A TCP socket bound to 127.0.0.1 on an OS-chosen port; listening only if asked. A bound socket
/// that does not listen makes connections to its port fail with ECONNREFUSED, and holding it keeps
/// anyone else from taking the port.
func loopbackSocket(listening: Bool) throws -> (fd: Int32, port: Int) {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw SocketError(what: "socket", errno: errno) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard bound == 0 else { close(fd); throw SocketError(what: "bind", errno: errno) }
    if listening {
        guard listen(fd, 16) == 0 else { close(fd); throw SocketError(what: "listen", errno: errno) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// What a `FakeSMTPServer` saw.
struct SMTPSession: Sendable {
    var ehlo: String?
    var auth: (user: String, password: String)?
    var mailFrom: String?
    var recipients: [String] = []
    /// The DATA lines, dot-unstuffed, without the final ".".
    var dataLines: [String] = []
    var sawQuit = false
    /// The first byte the client sent after our "220 ready" to STARTTLS (0x16 starts a TLS handshake).
    var firstByteAfterStartTLS: UInt8?
}

/// A tiny SMTP server on a loopback port, one blocking thread, just enough protocol for libcurl:
/// 220, EHLO (advertising AUTH PLAIN), AUTH PLAIN, MAIL, RCPT, DATA/354/./250, RSET, NOOP, QUIT;
/// optionally STARTTLS, where it records the client's first TLS byte and hangs up (it speaks no TLS).
final class FakeSMTPServer: Sendable {
    let port: Int
    private let listenFD: Int32
    private let rejectRecipients: Bool
    private let offerStartTLS: Bool
    private let sessions = Locked<[SMTPSession]>([])
    private let finished = DispatchSemaphore(value: 0)
    private let sessionEnded = DispatchSemaphore(value: 0)

    init(rejectRecipients: Bool = false, offerStartTLS: Bool = false) throws {
        (listenFD, port) = try loopbackSocket(listening: true)
        self.rejectRecipients = rejectRecipients
        self.offerStartTLS = offerStartTLS
        let thread = Thread { [self] in
            defer { finished.signal() }
            while true {
                let connection = accept(listenFD, nil, nil)
                if connection < 0 { return }  // listening socket shut down
                serve(connection)
                close(connection)
                sessionEnded.signal()
            }
        }
        thread.start()
    }

    /// Blocks until a session has ended (the client hung up or quit), at most 30 s.
    func waitForSessionEnd() {
        _ = sessionEnded.wait(timeout: .now() + 30)
    }

    /// Completed and in-progress sessions, oldest first.
    var seen: [SMTPSession] { sessions.withLock { $0 } }

    func stop() {
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        finished.wait()
    }

    private func serve(_ fd: Int32) {
        // Never let a confused test hang, but wait long enough for a client on a loaded machine:
        // libcurl keeps the connection idle until the client shuts down and only then says QUIT,
        // and with 5 s a busy full test run once ended the session before the QUIT came.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let index = sessions.withLock { s in
            s.append(SMTPSession())
            return s.count - 1
        }
        func update(_ change: (inout SMTPSession) -> Void) { sessions.withLock { change(&$0[index]) } }
        var reader = LineReader(fd: fd)
        func reply(_ text: String) { _ = Array((text + "\r\n").utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } }

        reply("220 fake.klaxon.test ESMTP")
        while let line = reader.next() {
            let upper = line.uppercased()
            if upper.hasPrefix("EHLO") || upper.hasPrefix("HELO") {
                update { $0.ehlo = String(line.dropFirst(5)) }
                reply("250-fake.klaxon.test")
                if offerStartTLS { reply("250-STARTTLS") }
                reply("250-AUTH PLAIN")
                reply("250 8BITMIME")
            } else if upper == "STARTTLS" && offerStartTLS {
                reply("220 2.0.0 ready to start TLS")
                var byte: UInt8 = 0
                if recv(fd, &byte, 1, 0) == 1 { update { $0.firstByteAfterStartTLS = byte } }
                return
            } else if upper.hasPrefix("AUTH PLAIN") {
                var token = String(line.dropFirst("AUTH PLAIN".count)).trimmingCharacters(in: .whitespaces)
                if token.isEmpty {
                    reply("334 ")
                    token = reader.next() ?? ""
                }
                let parts = (Data(base64Encoded: token) ?? Data()).split(separator: 0, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
                if parts.count == 3 { update { $0.auth = (parts[1], parts[2]) } }
                reply("235 2.7.0 authenticated")
            } else if upper.hasPrefix("MAIL FROM:") {
                update { $0.mailFrom = String(line.dropFirst("MAIL FROM:".count)).components(separatedBy: " ")[0] }
                reply("250 2.1.0 ok")
            } else if upper.hasPrefix("RCPT TO:") {
                if rejectRecipients {
                    reply("550 5.1.1 no such mailbox")
                } else {
                    update { $0.recipients.append(String(line.dropFirst("RCPT TO:".count))) }
                    reply("250 2.1.5 ok")
                }
            } else if upper == "DATA" {
                reply("354 end with <CRLF>.<CRLF>")
                var lines: [String] = []
                while let dataLine = reader.next(), dataLine != "." {
                    lines.append(dataLine.hasPrefix("..") ? String(dataLine.dropFirst()) : dataLine)
                }
                update { $0.dataLines = lines }  // recorded before the 250 the client waits for
                reply("250 2.0.0 queued")
            } else if upper == "RSET" || upper == "NOOP" {
                reply("250 2.0.0 ok")
            } else if upper == "QUIT" {
                update { $0.sawQuit = true }
                reply("221 2.0.0 bye")
                return
            } else {
                reply("502 5.5.2 not implemented")
            }
        }
    }
}

/// CRLF-terminated lines from a blocking socket; nil on EOF, error or timeout.
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) { self.fd = fd }

    mutating func next() -> String? {
        while true {
            if let end = buffer.indices.dropFirst().first(where: { buffer[$0 - 1] == 0x0D && buffer[$0] == 0x0A }) {
                let line = String(decoding: buffer[..<(end - 1)], as: UTF8.self)
                buffer.removeSubrange(...end)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[..<n])
        }
    }
}
