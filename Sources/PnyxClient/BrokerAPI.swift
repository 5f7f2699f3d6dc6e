public import Foundation
public import PnyxCore
public import PnyxCrypto

/// The broker's citizen API (`/v1` on the broker): identity, enrolment, login, the
/// resident's class for a poll, blind issuance and name attestations.
public struct BrokerAPI: Sendable {
    public let client: APIClient
    /// The broker's root URL as given (without `/v1`).
    public let root: String

    /// `url` is the broker's root (`http://host:port`; a trailing `/v1` is accepted).
    public init(url: String, timeout: TimeInterval = 30) throws(ClientError) {
        (root, client) = try Self.client(url, timeout: timeout)
    }

    /// The root URL without `/v1` and a client for `<root>/v1`.
    static func client(_ url: String, timeout: TimeInterval) throws(ClientError) -> (String, APIClient) {
        var text = url.trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix("/") { text.removeLast() }
        if text.hasSuffix("/v1") { text.removeLast(3) }
        guard let base = URL(string: text + "/v1"), let scheme = base.scheme, scheme == "http" || scheme == "https",
              base.host != nil else {
            throw ClientError(.invalidInput, "\(url) is not an http(s) URL")
        }
        return (text, APIClient(baseURL: base, timeout: timeout))
    }

    /// `GET /v1/broker`.
    public struct Info: Codable, Sendable {
        /// Base64 Ed25519: key directories and name attestations.
        public let publicKey: String
        public let registerVerifierKey: String
        public let k: Int
    }

    /// `POST /v1/login`'s answer.
    public struct Login: Codable, Sendable {
        public let token: String
        public let expiresAt: Date
    }

    /// `POST /v1/polls/{poll}/credential`'s answer.
    public struct BlindSignature: Codable, Sendable {
        public let pollID: PollID
        public let attributeClass: AttributeClass
        public let keyID: KeyID
        /// Base64.
        public let blindSignature: String
        public let retry: Bool

        enum CodingKeys: String, CodingKey { case pollID, attributeClass = "class", keyID, blindSignature, retry }
    }

    /// `POST /v1/polls/{poll}/name-attestation`'s answer.
    public struct NameAnswer: Codable, Sendable {
        public let attestation: NameAttestation
        /// Base64 Ed25519 by the broker over the attestation's canonical bytes.
        public let signature: String
    }

    public func info() async throws(ClientError) -> Info { try await client.get("broker") }

    /// Enrols with a one-time code; answers the resident id.
    public func enrol(code: String, passphrase: String) async throws(ClientError) -> String {
        struct Body: Encodable { let code: String; let passphrase: String }
        struct Answer: Decodable { let residentID: String }
        let answer: Answer = try await client.send("POST", "enrol", json: Body(code: code, passphrase: passphrase))
        return answer.residentID
    }

    public func login(residentID: String, passphrase: String) async throws(ClientError) -> Login {
        struct Body: Encodable { let residentID: String; let passphrase: String }
        return try await client.send("POST", "login", json: Body(residentID: residentID, passphrase: passphrase))
    }

    /// The resident's attribute class for `poll` (`issuance.ineligible` when not eligible).
    public func attributeClass(poll: PollID, token: String) async throws(ClientError) -> AttributeClass {
        struct Answer: Decodable {
            let attributeClass: AttributeClass
            enum CodingKeys: String, CodingKey { case attributeClass = "class" }
        }
        let answer: Answer = try await client.get("polls/\(poll.hex)/class", token: token)
        return answer.attributeClass
    }

    /// Sends a blinded message; the broker answers the same blind signature to a repeat.
    public func requestCredential(poll: PollID, blindedMessage: [UInt8], token: String) async throws(ClientError) -> BlindSignature {
        struct Body: Encodable { let blindedMessage: String }
        return try await client.send("POST", "polls/\(poll.hex)/credential", json: Body(blindedMessage: Base64.encode(blindedMessage)),
                                     token: token)
    }

    /// The broker's attestation of the resident's partial name for a one-time key.
    public func nameAttestation(poll: PollID, oneTimeKey: Ed25519.PublicKey, token: String) async throws(ClientError) -> NameAnswer {
        struct Body: Encodable { let oneTimeKey: String }
        return try await client.send("POST", "polls/\(poll.hex)/name-attestation",
                                     json: Body(oneTimeKey: Base64.encode(oneTimeKey.rawRepresentation)), token: token)
    }
}
