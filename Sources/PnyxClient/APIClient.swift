public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small JSON-over-HTTP client for the broker's and the service's APIs.
///
/// Every call returns the decoded body or throws a ``ClientError`` carrying the server's stable
/// code: nothing is turned into `nil`.
public struct APIClient: Sendable {
    /// The API's base URL, e.g. `http://127.0.0.1:8081/v1`.
    public let baseURL: URL
    /// Seconds before a request gives up.
    public let timeout: TimeInterval
    private let session: URLSession

    public init(baseURL: URL, timeout: TimeInterval = 30) {
        self.baseURL = baseURL
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        session = URLSession(configuration: configuration)
    }

    /// `GET path` decoded as `T`.
    public func get<T: Decodable>(_ path: String, token: String? = nil, as type: T.Type = T.self) async throws(ClientError) -> T {
        try decode(T.self, try await send("GET", path, body: nil, token: token))
    }

    /// `method path` with `body` encoded as JSON, the answer decoded as `T`.
    public func send<Body: Encodable, T: Decodable>(
        _ method: String, _ path: String, json body: Body, token: String? = nil, as type: T.Type = T.self
    ) async throws(ClientError) -> T {
        let data: Data
        do { data = try JSONEncoder().encode(body) } catch {
            throw ClientError(.invalidInput, "cannot encode the request body: \(error)")
        }
        return try decode(T.self, try await send(method, path, body: data, token: token))
    }

    /// The raw body of `method path` (2xx only); a JSON error body becomes its ``ClientError``.
    public func send(
        _ method: String, _ path: String, body: Data?, token: String? = nil,
        contentType: String = "application/json", accept: String = "application/json"
    ) async throws(ClientError) -> Data {
        let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
        guard let url = URL(string: trimmed, relativeTo: baseURL.absoluteString.hasSuffix("/") ? baseURL : baseURL.appendingPathComponent(""))
        else { throw ClientError(.invalidInput, "not a path: \(path)") }
        var request = URLRequest(url: url.absoluteURL, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue(accept, forHTTPHeaderField: "Accept")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await withCheckedThrowingContinuation { continuation in
                session.dataTask(with: request) { data, response, error in
                    if let error { continuation.resume(throwing: error); return }
                    guard let response else { continuation.resume(throwing: URLError(.badServerResponse)); return }
                    continuation.resume(returning: (data ?? Data(), response))
                }.resume()
            }
        } catch {
            throw ClientError(.unreachable, "\(method) \(url.absoluteString): \(error.localizedDescription); check the address and that the server runs")
        }
        guard let http = response as? HTTPURLResponse else {
            throw ClientError(.unreachable, "\(method) \(url.absoluteString): not an HTTP answer")
        }
        guard (200..<300).contains(http.statusCode) else {
            throw Self.error(from: data, status: http.statusCode, method: method, url: url.absoluteString)
        }
        return data
    }

    /// The ``ClientError`` of a non-2xx answer: the API's `{"error":{"code","reason"}}` when
    /// the body is one, else `client.bad_response` with the start of the body.
    static func error(from data: Data, status: Int, method: String, url: String) -> ClientError {
        struct Body: Decodable {
            struct Inner: Decodable { let code: String; let reason: String }
            let error: Inner
        }
        if let body = try? JSONDecoder().decode(Body.self, from: data) {
            return ClientError(code: body.error.code, status: status, reason: body.error.reason)
        }
        let text = String(decoding: data.prefix(512), as: UTF8.self)
        return ClientError(.badResponse, "\(method) \(url) answered \(status) without a Pnyx error body: \(text)", status: status)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws(ClientError) -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601  // as the servers encode dates (PnyxHTTP.JSONResponse)
        do { return try decoder.decode(T.self, from: data) } catch {
            throw ClientError(.badResponse, "the answer is not a \(T.self): \(error)")
        }
    }
}
