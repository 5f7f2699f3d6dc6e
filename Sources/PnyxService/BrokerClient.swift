public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
public import PnyxCore
public import PnyxCrypto

/// What the service asks the identity broker. Only poll-level data crosses: the signed poll
/// definition goes out, the broker-signed key directory (with eligible counts per class)
/// comes back. Never anything about a resident.
public protocol BrokerClient: Sendable {
    /// The broker's Ed25519 public key (it signs key directories and name attestations); the
    /// service writes it into every poll definition.
    func brokerKey() async throws -> Ed25519.PublicKey
    /// Registers `definition` with the broker and returns its signed key directory (one RSA
    /// key and eligible count per attribute class). Idempotent on the broker's side.
    func registerPoll(_ definition: SignedPollDefinition) async throws -> SignedKeyDirectory
}

/// ``BrokerClient`` over the broker's HTTP API:
/// `GET <base>/v1/broker` → `{"publicKey": base64, …}` and
/// `POST <base>/v1/polls` with the signed definition JSON → `{"directory": SignedKeyDirectory,
/// "counts": {class: eligible}}` (the poll definition's signature is the authentication).
public struct HTTPBrokerClient: BrokerClient {
    /// The broker's base URL, e.g. `http://127.0.0.1:8081`.
    public let baseURL: URL
    /// The request timeout.
    public let timeout: TimeInterval
    /// The timeout of a poll registration, longer: the broker makes one RSA key per class.
    public let registrationTimeout: TimeInterval

    /// Its own session: the shared one caps every request at its default 60 s.
    private let session: URLSession

    public init(baseURL: URL, timeout: TimeInterval = 30, registrationTimeout: TimeInterval = 300) {
        self.baseURL = baseURL
        self.timeout = timeout
        self.registrationTimeout = registrationTimeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = max(timeout, registrationTimeout)
        configuration.timeoutIntervalForResource = max(timeout, registrationTimeout)
        session = URLSession(configuration: configuration)
    }

    /// The path of the broker key document.
    public static let keyPath = "v1/broker"
    /// The path where poll definitions are registered.
    public static let pollsPath = "v1/polls"

    public func brokerKey() async throws -> Ed25519.PublicKey {
        struct KeyDocument: Decodable { let publicKey: Ed25519.PublicKey }
        let data = try await send(path: Self.keyPath, method: "GET", body: nil)
        do { return try JSONDecoder().decode(KeyDocument.self, from: data).publicKey } catch {
            throw Self.unavailable("the broker's key document is not {\"publicKey\": base64}: \(error)")
        }
    }

    public func registerPoll(_ definition: SignedPollDefinition) async throws -> SignedKeyDirectory {
        struct Wrapped: Decodable { let directory: SignedKeyDirectory }
        let body = try JSONEncoder().encode(definition)
        let data = try await send(path: Self.pollsPath, method: "POST", body: body, timeout: registrationTimeout)
        if let wrapped = try? JSONDecoder().decode(Wrapped.self, from: data) { return wrapped.directory }
        do { return try JSONDecoder().decode(SignedKeyDirectory.self, from: data) } catch {
            throw ServiceError(.brokerInvalidDirectory, .badGateway, "the broker's answer is not a signed key directory: \(error)")
        }
    }

    private func send(path: String, method: String, body: Data?, timeout: TimeInterval? = nil) async throws -> Data {
        var request = URLRequest(url: baseURL.appendingPathComponent(path), timeoutInterval: timeout ?? self.timeout)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await withCheckedThrowingContinuation { continuation in
                session.dataTask(with: request) { data, response, error in
                    if let error { continuation.resume(throwing: error); return }
                    guard let response else { continuation.resume(throwing: URLError(.badServerResponse)); return }
                    continuation.resume(returning: (data ?? Data(), response))
                }.resume()
            }
        } catch {
            throw Self.unavailable("cannot reach the broker at \(baseURL): \(error); check PNYX_BROKER_URL")
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: data, request: "\(method) /\(path)") }
        return data
    }

    /// The error for a non-2xx answer: a 4xx with the broker's `{"error":{"code","reason"}}`
    /// body is `broker.refused` (409) naming the broker's code, so the administration sees why
    /// (`poll.already_open`, …); anything else is `broker.unavailable` (502).
    static func error(status: Int, body: Data, request: String) -> ServiceError {
        struct Body: Decodable {
            struct Inner: Decodable { let code: String; let reason: String }
            let error: Inner
        }
        if (400..<500).contains(status), let answer = try? JSONDecoder().decode(Body.self, from: body) {
            return ServiceError(.brokerRefused, .conflict,
                                "the broker refused \(request) with \(answer.error.code): \(answer.error.reason)")
        }
        let text = String(decoding: body.prefix(1024), as: UTF8.self)
        return unavailable("the broker answered \(status) to \(request): \(text)")
    }

    static func unavailable(_ reason: String) -> ServiceError {
        ServiceError(.brokerUnavailable, .badGateway, reason)
    }
}
