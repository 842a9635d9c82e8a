import CCurl
import Foundation

/// One easy handle plus everything its callbacks write into.
///
/// Ownership: the calling task creates and configures it, then hands it to the loop thread through
/// the engine's mutex (which publishes every write made before). From then on only the loop thread
/// (and libcurl callbacks, which run on the loop thread) touch it, until `finish` resumes the
/// continuation exactly once. Hence `@unchecked Sendable`.
final class Transfer: @unchecked Sendable {
    let id: UInt64
    let easy: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// slists must outlive the easy handle's use of them; freed in deinit.
    private var slists: [UnsafeMutablePointer<curl_slist>] = []
    private var continuation: CheckedContinuation<HTTPResponse, any Error>?

    // Written by libcurl callbacks on the loop thread.
    fileprivate(set) var responseBody: [UInt8] = []
    fileprivate(set) var responseHeaders: [(name: String, value: String)] = []
    fileprivate var bodyOverflow = false
    fileprivate var uploadData: [UInt8] = []
    fileprivate var uploadOffset = 0
    /// The thread libcurl last called back on (tests check there is only ever one).
    fileprivate(set) var callbackThread: UInt?

    let maxResponseBytes: Int

    init(id: UInt64, maxResponseBytes: Int) throws {
        _ = curlGlobalInit
        guard let easy = curl_easy_init() else {
            throw CurlError(code: Int(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed")
        }
        self.id = id
        self.easy = easy
        self.maxResponseBytes = maxResponseBytes
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_NOPROGRESS, 1)
    }

    deinit {
        curl_easy_cleanup(easy)
        for list in slists { curl_slist_free_all(list) }
        errorBuffer.deallocate()
        // A transfer dropped without completing (setup threw after the continuation was set) must
        // still resume its caller.
        continuation?.resume(throwing: CancellationError())
    }

    // MARK: Options

    func set(_ option: CURLoption, _ value: Int) throws {
        try check(klaxon_easy_setopt_long(easy, option, value), option)
    }

    func set(_ option: CURLoption, _ value: String) throws {
        // libcurl copies string options (all but POSTFIELDS, which we never use).
        try check(klaxon_easy_setopt_str(easy, option, value), option)
    }

    func set(_ option: CURLoption, pointer: UnsafeMutableRawPointer?) throws {
        try check(klaxon_easy_setopt_ptr(easy, option, pointer), option)
    }

    func set(_ option: CURLoption, offset: Int) throws {
        try check(klaxon_easy_setopt_off(easy, option, curl_off_t(offset)), option)
    }

    /// Builds an slist the handle keeps until deinit; an empty list clears the option.
    func set(_ option: CURLoption, list: [String]) throws {
        var head: UnsafeMutablePointer<curl_slist>?
        for item in list {
            guard let next = curl_slist_append(head, item) else {
                if let head { curl_slist_free_all(head) }
                throw CurlError(code: Int(CURLE_OUT_OF_MEMORY.rawValue), message: "curl_slist_append failed")
            }
            head = next
        }
        if let head { slists.append(head) }
        try check(klaxon_easy_setopt_slist(easy, option, head), option)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws {
        guard code == CURLE_OK else {
            throw CurlError(code: code, detail: "setting option \(option.rawValue)")
        }
    }

    /// Collects the response body and headers through the write and header callbacks.
    func collectResponse() throws {
        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(klaxon_easy_setopt_write(easy, CURLOPT_WRITEFUNCTION, { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let total = size * count
            transfer.callbackThread = currentThreadID()
            guard transfer.responseBody.count + total <= transfer.maxResponseBytes else {
                transfer.bodyOverflow = true
                return 0  // -> CURLE_WRITE_ERROR
            }
            if let data, total > 0 {
                data.withMemoryRebound(to: UInt8.self, capacity: total) {
                    transfer.responseBody.append(contentsOf: UnsafeBufferPointer(start: $0, count: total))
                }
            }
            return total
        }), CURLOPT_WRITEFUNCTION)
        try set(CURLOPT_WRITEDATA, pointer: me)
        try check(klaxon_easy_setopt_header(easy, { data, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            let total = size * count
            transfer.callbackThread = currentThreadID()
            guard let data, total > 0 else { return total }
            let line = data.withMemoryRebound(to: UInt8.self, capacity: total) {
                String(decoding: UnsafeBufferPointer(start: $0, count: total), as: UTF8.self)
            }
            transfer.receivedHeaderLine(line)
            return total
        }), CURLOPT_HEADERFUNCTION)
        try set(CURLOPT_HEADERDATA, pointer: me)
    }

    private func receivedHeaderLine(_ raw: String) {
        let line = raw.trimmingTrailingNewlines()
        if line.hasPrefix("HTTP/") {
            // A new response head (after 1xx, or a proxy CONNECT): only the last one counts.
            responseHeaders.removeAll()
        } else if let first = line.first, first == " " || first == "\t", !responseHeaders.isEmpty {
            // obs-fold continuation line
            responseHeaders[responseHeaders.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { responseHeaders.append((name: name, value: value)) }
        }
    }

    /// Uploads `data` through the read callback.
    func upload(_ data: [UInt8]) throws {
        uploadData = data
        uploadOffset = 0
        try check(klaxon_easy_setopt_read(easy, { buffer, size, count, context in
            let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
            transfer.callbackThread = currentThreadID()
            let n = min(size * count, transfer.uploadData.count - transfer.uploadOffset)
            guard n > 0, let buffer else { return 0 }
            let offset = transfer.uploadOffset
            transfer.uploadData.withUnsafeBytes { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: n)
            }
            transfer.uploadOffset += n
            return n
        }), CURLOPT_READFUNCTION)
        try set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(self).toOpaque())
        try set(CURLOPT_INFILESIZE_LARGE, offset: data.count)
        try set(CURLOPT_UPLOAD, 1)
    }

    // MARK: Completion

    /// Called by the engine before the transfer is handed over.
    func attach(_ continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.continuation = continuation
    }

    /// Resumes the waiting task; later calls are ignored.
    func finish(_ result: Result<HTTPResponse, any Error>) {
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(with: result)
    }

    /// Turns libcurl's result for this (already removed) handle into the task's result.
    func complete(_ code: CURLcode) {
        guard code == CURLE_OK else {
            if bodyOverflow {
                finish(.failure(CurlError(
                    code: Int(code.rawValue),
                    message: "response body larger than \(maxResponseBytes) bytes")))
            } else {
                finish(.failure(CurlError(code: code, detail: String(cString: errorBuffer))))
            }
            return
        }
        var status = 0
        _ = klaxon_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let response = HTTPResponse(status: status, headers: responseHeaders, body: responseBody)
        responseBody = []
        responseHeaders = []
        finish(.success(response))
    }
}

func currentThreadID() -> UInt {
    #if canImport(Darwin)
    return UInt(bitPattern: pthread_self())
    #else
    return UInt(pthread_self())
    #endif
}

/// `curl_global_init`, run once (Swift globals are initialised exactly once, thread-safely).
let curlGlobalInit: Void = {
    _ = curl_global_init(Int(CURL_GLOBAL_ALL))
}()

extension Duration {
    /// Milliseconds for CURLOPT_*_MS, at least 1 (0 would mean "no timeout" to libcurl).
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        guard !ms.overflow else { return Int.max }
        let total = ms.partialValue.addingReportingOverflow((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
        guard !total.overflow else { return Int.max }
        return max(1, Int(clamping: total.partialValue))
    }
}
