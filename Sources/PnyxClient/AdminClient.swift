public import Foundation
public import PnyxCore
public import PnyxCrypto

/// The administration's calls to the petition service (`/v1/admin/…` with an admin token,
/// and the public reads they need): create, publish, open, close, moderate, certify,
/// countersign, export. Every failure is a ``ClientError`` with the service's stable code.
public struct AdminClient: Sendable {
    /// A poll as the service answers it (the fields an administrator reads).
    public struct Poll: Codable, Sendable, Hashable {
        public let pollID: String
        public let status: String
        public let kind: String
        public let title: String
        public let opensAt: Int64
        public let closesAt: Int64
    }

    /// A citizen's proposal waiting for (or after) moderation.
    public struct Proposal: Decodable, Sendable, Hashable {
        public struct Draft: Decodable, Sendable, Hashable {
            public let title: String
            public let text: String
            public let opensAt: Int64
            public let closesAt: Int64
        }

        public let proposalID: Int64
        public let status: String
        public let reason: String?
        public let pollID: String?
        public let draft: Draft
    }

    /// A certificate with its proof material and countersignatures (the service's
    /// `CertificateBundle`).
    public struct Certificate: Decodable, Sendable, Hashable {
        public let certificate: SignedCertificate
        public let position: Int64
        public let checkpoint: String
        public let consistencyProof: [String]
        public let verifierKey: String
        public let countersignatures: [Countersignature]
    }

    /// Export formats.
    public enum ExportFormat: String, Sendable, CaseIterable {
        case csv, json
    }

    /// The service's `/v1` API.
    public let api: APIClient
    /// The administrator's bearer token.
    public let token: String

    /// A client of the service at `serviceURL` (its root or its `/v1`). The timeout is long:
    /// publishing waits for the broker to make one RSA key per class.
    public init(serviceURL: URL, token: String, timeout: TimeInterval = 300) {
        let root = serviceURL.absoluteString.hasSuffix("/") ? String(serviceURL.absoluteString.dropLast()) : serviceURL.absoluteString
        let base = root.hasSuffix("/v1") ? root : root + "/v1"
        api = APIClient(baseURL: URL(string: base) ?? serviceURL, timeout: timeout)
        self.token = token
    }

    // MARK: Polls

    /// Creates a draft poll from a `PollDraft` JSON document (docs/API.md); the service
    /// refuses unknown fields and broken rules (`poll.invalid`).
    public func create(draftJSON: Data) async throws(ClientError) -> Poll {
        try decode(try await api.send("POST", "admin/polls", body: draftJSON, token: token))
    }

    /// Publishes a draft (the service registers it with the broker).
    public func publish(_ pollID: String) async throws(ClientError) -> Poll { try await step("publish", pollID) }

    /// Opens a published poll (idempotent).
    public func open(_ pollID: String) async throws(ClientError) -> Poll { try await step("open", pollID) }

    /// Closes an open poll (idempotent).
    public func close(_ pollID: String) async throws(ClientError) -> Poll { try await step("close", pollID) }

    private func step(_ name: String, _ pollID: String) async throws(ClientError) -> Poll {
        try decode(try await api.send("POST", "admin/polls/\(try Self.checked(pollID))/\(name)", body: Data("{}".utf8), token: token))
    }

    // MARK: Moderation

    /// The proposals, optionally only those with `status` (`pending`, `accepted`, `rejected`).
    public func proposals(status: String? = nil) async throws(ClientError) -> [Proposal] {
        let query = status.map { "?status=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
        return try await api.get("admin/proposals\(query)", token: token)
    }

    /// Accepts a proposal (a draft poll is created), optionally with new times.
    public func accept(_ proposalID: Int64, opensAt: Int64? = nil, closesAt: Int64? = nil) async throws(ClientError) -> Poll {
        struct Body: Encodable { let opensAt: Int64?; let closesAt: Int64? }
        return try await api.send("POST", "admin/proposals/\(proposalID)/accept", json: Body(opensAt: opensAt, closesAt: closesAt), token: token)
    }

    /// Rejects a proposal with a reason (logged).
    public func reject(_ proposalID: Int64, reason: String) async throws(ClientError) -> Poll {
        guard !reason.isEmpty else { throw ClientError(.invalidInput, "a rejection needs a reason") }
        return try await api.send("POST", "admin/proposals/\(proposalID)/reject", json: ["reason": reason], token: token)
    }

    // MARK: Certificates

    /// Certifies threshold `index` of a poll (idempotent) and checks the service's signature.
    public func certify(_ pollID: String, threshold index: Int) async throws(ClientError) -> Certificate {
        let certificate: Certificate = try await api.send(
            "POST", "admin/polls/\(try Self.checked(pollID))/certify", json: ["thresholdIndex": index], token: token)
        try await verify(certificate)
        return certificate
    }

    /// The certificate of threshold `index` (public).
    public func certificate(_ pollID: String, threshold index: Int) async throws(ClientError) -> Certificate {
        try await api.get("polls/\(try Self.checked(pollID))/certificates/\(index)")
    }

    /// Countersigns the certificate of threshold `index` as an administration official:
    /// fetches it, checks the service's signature with the service's published key, signs
    /// its countersigned bytes (docs/PROTOCOL.md) with `key` locally (the key never leaves
    /// this process) and posts the signature with the admin token.
    public func countersign(_ pollID: String, threshold index: Int, key: Ed25519.PrivateKey) async throws(ClientError) -> Certificate {
        let current = try await certificate(pollID, threshold: index)
        try await verify(current)
        struct Body: Encodable { let publicKey: String; let signature: String }
        let body = Body(publicKey: Base64.encode(key.publicKey.rawRepresentation),
                        signature: Base64.encode(Countersignature.sign(current.certificate, with: key)))
        let answer: Certificate = try await api.send(
            "POST", "admin/polls/\(try Self.checked(pollID))/certificates/\(index)/countersignatures", json: body, token: token)
        for item in answer.countersignatures where !Countersignature.isValid(item.signature, by: item.publicKey, for: answer.certificate) {
            throw ClientError(code: "client.untrusted_answer", status: 0, reason: "the countersignature of \(item.name) does not verify")
        }
        return answer
    }

    /// Checks a certificate's signature with the key the service publishes at `GET /v1/service`.
    func verify(_ certificate: Certificate) async throws(ClientError) {
        struct Info: Decodable { let publicKey: String }
        let info: Info = try await api.get("service")
        let key: Ed25519.PublicKey
        do { key = try Ed25519.PublicKey(rawRepresentation: try Base64.decode(info.publicKey)) } catch {
            throw ClientError(.badResponse, "the service's public key is not an Ed25519 key")
        }
        do { try certificate.certificate.verify(serviceKey: key) } catch {
            throw ClientError(code: "client.untrusted_answer", status: 0, reason: "the certificate's service signature does not verify: \(error)")
        }
    }

    // MARK: Exports

    /// The results and breakdowns of a poll, as CSV or JSON bytes.
    public func export(_ pollID: String, format: ExportFormat) async throws(ClientError) -> Data {
        try await api.send("GET", "polls/\(try Self.checked(pollID))/export.\(format.rawValue)", body: nil,
                           accept: format == .csv ? "text/csv" : "application/json")
    }

    // MARK: Keys

    /// Reads a countersigning key file: one line, the base64 Ed25519 seed (32 bytes), as
    /// ``writeKey(to:)`` writes it.
    public static func readKey(at path: String) throws(ClientError) -> Ed25519.PrivateKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientError(.invalidInput, "cannot read the key file \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let seed = try? Base64.decode(text), seed.count == Ed25519.seedByteCount,
              let key = try? Ed25519.PrivateKey(seed: seed) else {
            throw ClientError(.invalidInput, "\(path) is not a countersigning key (one line: the base64 32-byte Ed25519 seed)")
        }
        return key
    }

    /// Writes a new countersigning key (mode 0600) and returns it; its base64 public key is
    /// what the service's `PNYX_SERVICE_COUNTERSIGN_KEYS` (or `PNYX_SERVICE_AUDITOR_KEYS`) lists.
    public static func writeKey(to path: String) throws(ClientError) -> Ed25519.PrivateKey {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw ClientError(.invalidInput, "\(path) exists; choose another path (a key is never overwritten)")
        }
        let key = Ed25519.PrivateKey()
        guard FileManager.default.createFile(atPath: path, contents: Data((Base64.encode(key.seed) + "\n").utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ClientError(.invalidInput, "cannot write \(path)")
        }
        return key
    }

    // MARK: Helpers

    /// `pollID` if it is 32 hex digits (else `client.invalid_input`, before any request).
    static func checked(_ pollID: String) throws(ClientError) -> String {
        let lower = pollID.lowercased()
        guard lower.count == 32, lower.allSatisfy({ $0.isHexDigit }) else {
            throw ClientError(.invalidInput, "a poll id is 32 hexadecimal digits, not \(pollID)")
        }
        return lower
    }

    private func decode<T: Decodable>(_ data: Data) throws(ClientError) -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw ClientError(.badResponse, "the answer is not a \(T.self): \(error)")
        }
    }
}
