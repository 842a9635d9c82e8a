import CCurl

/// Async HTTP and SMTP over libcurl's multi interface: one background thread drives every transfer
/// of this client with `curl_multi_poll`/`curl_multi_perform`, and connections are kept alive in the
/// multi handle's connection cache between requests.
///
/// Make one per process and call `shutdown()` when done (dropping the last reference does it too).
public final class CurlClient: Sendable {
    let engine: Engine
    private let userAgent: String
    private let connectTimeout: Duration
    private let maxResponseBytes: Int

    /// - Parameters:
    ///   - connectTimeout: cap on connection setup (TCP + TLS); each request's own `timeout` still
    ///     bounds the whole transfer.
    ///   - maxResponseBytes: larger response bodies fail the request with a `CurlError`.
    public init(
        userAgent: String = "Klaxon/0.1",
        connectTimeout: Duration = .seconds(5),
        maxResponseBytes: Int = 16 << 20
    ) {
        self.userAgent = userAgent
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        engine = Engine()
    }

    deinit {
        engine.shutdown()
    }

    /// Sends the request and returns the response, whatever its status.
    ///
    /// Throws `CurlError` when no response arrived (timeout, refused, DNS, TLS, ...), and
    /// `CancellationError` when the task is cancelled (the transfer is aborted) or the client is shut
    /// down.
    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try Transfer(id: engine.nextID(), maxResponseBytes: maxResponseBytes)
        try configure(transfer, for: request)
        return try await engine.submit(transfer)
    }

    /// Sends one e-mail: MAIL FROM, RCPT TO for each recipient, DATA with `mail.data`.
    ///
    /// `smtp://` upgrades with STARTTLS when the server offers it; `smtps://` is TLS from the start.
    /// Throws `CurlError` when the server refuses (e.g. `RCPT failed: 550`) or is unreachable.
    public func send(_ mail: MailMessage) async throws {
        let transfer = try Transfer(id: engine.nextID(), maxResponseBytes: maxResponseBytes)
        try configure(transfer, for: mail)
        _ = try await engine.submit(transfer)
    }

    /// Fails pending transfers with `CancellationError`, closes connections and joins the loop thread.
    /// Idempotent. Later calls to `perform`/`send` throw `CancellationError`.
    public func shutdown() {
        engine.shutdown()
    }

    // MARK: Configuration

    private func common(_ t: Transfer, url: String, protocols: String, timeout: Duration) throws {
        try t.set(CURLOPT_URL, url)
        try t.set(CURLOPT_PROTOCOLS_STR, protocols)
        let total = timeout.curlMilliseconds
        try t.set(CURLOPT_TIMEOUT_MS, total)
        try t.set(CURLOPT_CONNECTTIMEOUT_MS, min(total, connectTimeout.curlMilliseconds))
        try t.set(CURLOPT_TCP_KEEPALIVE, 1)
    }

    private func configure(_ t: Transfer, for request: HTTPRequest) throws {
        try common(t, url: request.url, protocols: "http,https", timeout: request.timeout)
        try t.set(CURLOPT_FOLLOWLOCATION, 0)
        try t.set(CURLOPT_ACCEPT_ENCODING, "")  // every encoding this libcurl can decode
        try t.set(CURLOPT_USERAGENT, userAgent)
        try t.collectResponse()

        let method = request.method.uppercased()
        switch method {
        case "GET" where request.body.isEmpty:
            try t.set(CURLOPT_HTTPGET, 1)
        case "HEAD" where request.body.isEmpty:
            try t.set(CURLOPT_NOBODY, 1)
        default:
            if method == "POST" || !request.body.isEmpty {
                try t.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: request.body.count)
                if request.body.isEmpty {
                    try t.set(CURLOPT_COPYPOSTFIELDS, "")
                } else {
                    try request.body.withUnsafeBytes { bytes in
                        try t.set(CURLOPT_COPYPOSTFIELDS, pointer: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                    }
                }
            }
            if method != "POST" { try t.set(CURLOPT_CUSTOMREQUEST, method) }
        }

        var lines: [String] = []
        var hasContentType = false
        var hasExpect = false
        for (name, value) in request.headers {
            guard !name.isEmpty, !name.contains(where: { $0 == ":" || $0.isNewline || $0 == " " }),
                  !value.contains(where: \.isNewline)
            else {
                throw CurlError(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue), message: "invalid header \(name)")
            }
            switch name.lowercased() {
            case "content-type": hasContentType = true
            case "expect": hasExpect = true
            default: break
            }
            // "Name;" is libcurl's way to send a header with an empty value ("Name:" would remove it).
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // No form-urlencoded default for bodies we send, and no 100-continue round trip.
        if !hasContentType { lines.append("Content-Type:") }
        if !hasExpect { lines.append("Expect:") }
        try t.set(CURLOPT_HTTPHEADER, list: lines)
    }

    private func configure(_ t: Transfer, for mail: MailMessage) throws {
        guard !mail.to.isEmpty else {
            throw CurlError(code: Int(CURLE_BAD_FUNCTION_ARGUMENT.rawValue), message: "mail has no recipients")
        }
        let implicitTLS = mail.url.lowercased().hasPrefix("smtps://")
        try common(t, url: mail.url, protocols: "smtp,smtps", timeout: mail.timeout)
        try t.set(CURLOPT_USE_SSL, Int(implicitTLS ? CURLUSESSL_ALL.rawValue : CURLUSESSL_TRY.rawValue))
        try t.set(CURLOPT_MAIL_FROM, Self.bracketed(mail.from))
        try t.set(CURLOPT_MAIL_RCPT, list: mail.to.map(Self.bracketed))
        if let username = mail.username { try t.set(CURLOPT_USERNAME, username) }
        if let password = mail.password { try t.set(CURLOPT_PASSWORD, password) }
        try t.upload(Self.crlfLineEnds(mail.data))
    }

    static func bracketed(_ address: String) -> String {
        address.hasPrefix("<") ? address : "<\(address)>"
    }

    /// SMTP wants CRLF line ends: bare LFs and bare CRs become CRLF, existing CRLFs stay. A bare
    /// CR left alone would let alert text such as "\r.\r\n" end the message early at servers
    /// that take it for a line end (SMTP smuggling); as a CRLF, libcurl dot-stuffs the line.
    static func crlfLineEnds(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 32)
        var i = 0
        while i < data.count {
            let byte = data[i]
            if byte == 0x0D || byte == 0x0A {
                out.append(0x0D); out.append(0x0A)
                i += byte == 0x0D && i + 1 < data.count && data[i + 1] == 0x0A ? 2 : 1
            } else {
                out.append(byte)
                i += 1
            }
        }
        return out
    }
}
