import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The harness's own small HTTP client (it depends on no project client, so it keeps
/// working while those change): every answer comes back with its status and, for errors, the
/// API's stable code from `{"error":{"code","reason"}}`.
struct HTTPProbe: Sendable {
    /// An answer that is not 2xx, or no answer (`status` 0, code `client.unreachable`).
    struct Failure: Error, Sendable, CustomStringConvertible {
        let status: Int
        let code: String
        let reason: String
        var description: String { status == 0 ? "\(code): \(reason)" : "\(status) \(code): \(reason)" }
        /// `status code`, e.g. `409 entry.replayed`, or `unreachable`.
        var key: String { status == 0 ? "unreachable" : "\(status) \(code)" }
        /// The service is down, or its database is: the outcome of the request is unknown.
        var isInDoubt: Bool { status == 0 || status >= 500 }
    }

    let base: String
    private let session: URLSession

    /// A client of `base` (e.g. `http://127.0.0.1:8080/v1`).
    init(_ base: String, timeout: TimeInterval = 30) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpMaximumConnectionsPerHost = 16
        session = URLSession(configuration: configuration)
    }

    /// `method path` with a raw body; the body of a 2xx answer.
    func send(_ method: String, _ path: String, body: Data? = nil, token: String? = nil,
              accept: String = "application/json") async throws(Failure) -> Data {
        guard let url = URL(string: base + "/" + path) else { throw Failure(status: 0, code: "client.invalid_input", reason: path) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.setValue(accept, forHTTPHeaderField: "Accept")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
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
            throw Failure(status: 0, code: "client.unreachable", reason: "\(method) \(url): \(error.localizedDescription)")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else {
            struct Body: Decodable {
                struct Inner: Decodable { let code: String; let reason: String }
                let error: Inner
            }
            if let body = try? JSONDecoder().decode(Body.self, from: data) {
                throw Failure(status: status, code: body.error.code, reason: body.error.reason)
            }
            throw Failure(status: status, code: "client.bad_response", reason: String(decoding: data.prefix(300), as: UTF8.self))
        }
        return data
    }

    /// `method path` with `body` as JSON; the answer decoded as `T`.
    func json<T: Decodable>(_ method: String, _ path: String, _ body: some Encodable, token: String? = nil,
                            as type: T.Type = T.self) async throws(Failure) -> T {
        let data: Data
        do { data = try JSONEncoder().encode(body) } catch {
            throw Failure(status: 0, code: "client.invalid_input", reason: "\(error)")
        }
        return try decode(try await send(method, path, body: data, token: token))
    }

    /// `GET path` decoded as `T`.
    func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws(Failure) -> T {
        try decode(try await send("GET", path))
    }

    private func decode<T: Decodable>(_ data: Data) throws(Failure) -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw Failure(status: 0, code: "client.bad_response", reason: "not a \(T.self): \(error)")
        }
    }
}

/// The failure of any call, as an ``HTTPProbe/Failure``.
func probeFailure(_ error: any Error) -> HTTPProbe.Failure {
    error as? HTTPProbe.Failure ?? HTTPProbe.Failure(status: 0, code: "client.unreachable", reason: "\(error)")
}
