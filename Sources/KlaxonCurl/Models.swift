import CCurl

/// One HTTP request. Redirects are never followed; the body is sent as-is (set `Content-Type` yourself).
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Whole-transfer timeout (connect + send + receive).
    public var timeout: Duration

    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        timeout: Duration = .seconds(10)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A complete HTTP response. Any status (including 4xx/5xx) is a response, not an error.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Headers of the final response, in arrival order, names as sent by the server.
    public var headers: [(name: String, value: String)]
    /// The (decompressed) body.
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// One e-mail to send over SMTP.
public struct MailMessage: Sendable {
    /// `smtp://host:port` (STARTTLS when the server offers it) or `smtps://host:port` (implicit TLS).
    public var url: String
    /// Envelope sender (MAIL FROM), with or without angle brackets.
    public var from: String
    /// Envelope recipients (RCPT TO), with or without angle brackets.
    public var to: [String]
    public var username: String?
    public var password: String?
    /// The full RFC 5322 message (headers, blank line, body). Bare LF and bare CR line ends are
    /// sent as CRLF.
    public var data: [UInt8]
    public var timeout: Duration

    public init(
        url: String,
        from: String,
        to: [String],
        username: String? = nil,
        password: String? = nil,
        data: [UInt8],
        timeout: Duration = .seconds(30)
    ) {
        self.url = url
        self.from = from
        self.to = to
        self.username = username
        self.password = password
        self.data = data
        self.timeout = timeout
    }
}

/// A libcurl failure: the transfer did not complete (for HTTP, no response was received).
public struct CurlError: Error, Sendable, CustomStringConvertible {
    /// The `CURLcode` (`CURLE_FAILED_INIT` when the multi handle refused the transfer).
    public var code: Int
    /// `curl_easy_strerror`, plus the `CURLOPT_ERRORBUFFER` detail when libcurl gave one.
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    /// The transfer hit its timeout (`CURLE_OPERATION_TIMEDOUT`), during connect or later.
    public var isTimeout: Bool { code == Int(CURLE_OPERATION_TIMEDOUT.rawValue) }

    /// No connection was made: refused, unreachable, or the host/proxy name did not resolve.
    /// The request certainly did not reach the server.
    public var isConnectFailure: Bool {
        code == Int(CURLE_COULDNT_CONNECT.rawValue)
            || code == Int(CURLE_COULDNT_RESOLVE_HOST.rawValue)
            || code == Int(CURLE_COULDNT_RESOLVE_PROXY.rawValue)
    }

    public var description: String { "curl error \(code): \(message)" }

    init(code: CURLcode, detail: String) {
        let base = String(cString: curl_easy_strerror(code))
        let trimmed = detail.trimmingTrailingNewlines()
        self.init(
            code: Int(code.rawValue),
            message: trimmed.isEmpty || trimmed == base ? base : "\(base) (\(trimmed))"
        )
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while let last = s.last, last.isNewline || last == " " { s = s.dropLast() }  // "\r\n" is one Character
        return String(s)
    }
}
