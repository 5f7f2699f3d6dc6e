public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import PnyxTransparency

/// Blocking HTTP GET and POST over `URLSession`: the auditor's only network code.
///
/// The checks are synchronous (a ``LogFetcher`` returns bytes), so each request waits for its
/// response; a failure (connection, timeout, status other than 2xx) is an ``AuditError`` with
/// code `audit.fetch_failed`, which makes the run exit with status 2.
public struct HTTPClient: Sendable {
    /// Seconds before a request gives up.
    public let timeout: TimeInterval
    private let session: URLSession

    /// A client with its own ephemeral session (no cookies, no cache on disk).
    public init(timeout: TimeInterval = 30) {
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    /// The body of `url`. A status other than 2xx throws `audit.fetch_failed`.
    public func get(_ url: URL) throws(AuditError) -> [UInt8] {
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        return try send(request)
    }

    /// POSTs `body` with `contentType`; returns the response body. A status other than 2xx
    /// throws `audit.fetch_failed` with the response body as reason.
    public func post(_ url: URL, body: [UInt8], contentType: String = "text/plain; charset=utf-8") throws(AuditError) -> [UInt8] {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        return try send(request)
    }

    private func send(_ request: URLRequest) throws(AuditError) -> [UInt8] {
        let box = ResponseBox()
        let task = session.dataTask(with: request) { data, response, error in
            box.set(data: data, response: response, error: error)
        }
        task.resume()
        guard box.wait(seconds: timeout + 5) else {
            task.cancel()
            throw AuditError(.fetchFailed, "\(request.url?.absoluteString ?? "?"): no answer within \(Int(timeout)) s")
        }
        let (data, response, error) = box.result
        let method = request.httpMethod ?? "GET"
        let url = request.url?.absoluteString ?? "?"
        if let error {
            throw AuditError(.fetchFailed, "\(method) \(url): \(error.localizedDescription)",
                             hint: "check the address and that the server is running")
        }
        guard let http = response as? HTTPURLResponse else {
            throw AuditError(.fetchFailed, "\(method) \(url): not an HTTP response")
        }
        let body = [UInt8](data ?? Data())
        guard (200..<300).contains(http.statusCode) else {
            let text = String(decoding: body.prefix(300), as: UTF8.self)
            throw AuditError(.fetchFailed, "\(method) \(url): HTTP \(http.statusCode) \(text)")
        }
        return body
    }
}

/// The completion handler's result, handed to the waiting thread.
private final class ResponseBox: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stored: (Data?, URLResponse?, (any Error)?) = (nil, nil, nil)

    func set(data: Data?, response: URLResponse?, error: (any Error)?) {
        lock.lock()
        stored = (data, response, error)
        lock.unlock()
        semaphore.signal()
    }

    func wait(seconds: TimeInterval) -> Bool { semaphore.wait(timeout: .now() + seconds) == .success }

    var result: (Data?, URLResponse?, (any Error)?) {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

/// A ``LogFetcher`` reading the public log layout (``LogExport``) over HTTP, from a base URL
/// such as `https://service.example/polls/<poll id>/log/`. The same checks run over it as over
/// an export folder.
public struct HTTPLogFetcher: LogFetcher, Sendable {
    /// The URL the layout's relative paths are resolved against (ends with `/`).
    public let baseURL: URL
    private let client: HTTPClient

    /// A fetcher for the layout under `baseURL` (a `/` is added if missing).
    public init(baseURL: URL, client: HTTPClient = HTTPClient()) {
        let text = baseURL.absoluteString
        self.baseURL = text.hasSuffix("/") ? baseURL : URL(string: text + "/")!
        self.client = client
    }

    /// Fetches `baseURL + path`. Refuses absolute paths and `..`.
    public func fetch(_ path: String) throws -> [UInt8] {
        guard !path.hasPrefix("/"), !path.split(separator: "/").contains(".."),
              let url = URL(string: baseURL.absoluteString + path) else {
            throw AuditError(.fetchFailed, "refusing path \(path)")
        }
        return try client.get(url)
    }
}
