public import Foundation
public import PnyxCore

/// What a citizen's wallet file holds (JSON, mode 0600, see ``WalletFile``): the broker it
/// enrolled with (and that broker's pinned key), the session, and per poll the one-time key,
/// the blinding state of a credential request until it is finalized, the credential and the
/// receipts, and an entry sent without an answer yet (``PendingEntry``). Secrets: the session
/// token, the one-time keys and the blinding inverses.
public struct Wallet: Codable, Sendable, Equatable {
    /// The file format version.
    public var version: Int = 1
    /// The broker the citizen enrolled with.
    public var broker: BrokerBinding?
    /// The latest login.
    public var session: StoredSession?
    /// The service used when a command gives no `--service`.
    public var service: String?
    /// Per poll (hex id).
    public var polls: [String: PollRecord] = [:]

    public init() {}

    /// The broker's base URL, resident and the broker's Ed25519 key as first seen (base64):
    /// later key directories and name attestations must be signed by it.
    public struct BrokerBinding: Codable, Sendable, Equatable {
        public var url: String
        public var residentID: String
        public var publicKey: String
    }

    /// A bearer session token and its expiry.
    public struct StoredSession: Codable, Sendable, Equatable {
        public var token: String
        public var expiresAt: Date
    }

    /// A credential request sent (or about to be sent) and not yet finalized: kept so that a
    /// retry after a lost answer sends the same blinded message and finalizes the same
    /// blind signature (the broker answers a repeated blinded message idempotently).
    public struct PendingCredential: Codable, Sendable, Equatable {
        /// The attribute class, text form.
        public var attributeClass: String
        public var keyID: KeyID
        /// Base64: the PrepareRandomize prefix, the blinded message and r⁻¹ mod n.
        public var prefix: String
        public var blindedMessage: String
        public var inverse: String

        enum CodingKeys: String, CodingKey { case attributeClass = "class", keyID, prefix, blindedMessage, inverse }
    }

    /// A receipt with what the entry said.
    public struct StoredReceipt: Codable, Sendable, Equatable {
        /// `sign`, `vote` or `withdraw`.
        public var kind: String
        /// When the wallet received it.
        public var receivedAt: Date
        /// The entry's payload, as sent.
        public var payload: EntryPayload
        public var receipt: Receipt
    }

    /// An entry signed and about to be sent, or sent without an answer (connection lost,
    /// timeout, the wallet stopped): kept before the first send so that a retry sends exactly
    /// the same bytes. If the first send did commit, the service refuses the resend as
    /// `entry.replayed` and the wallet fetches that entry's receipt by its digest instead of
    /// signing a new entry (the log never holds two entries for one intent).
    public struct PendingEntry: Codable, Sendable, Equatable {
        /// `sign`, `vote` or `withdraw`.
        public var kind: String
        /// When the wallet signed it.
        public var createdAt: Date
        /// The entry's payload.
        public var payload: EntryPayload
        /// Base64: the entry's canonical bytes (`pnyx/entry/v2`), exactly as signed.
        public var entry: String
        /// Lower-case hex SHA-256 of those bytes: the digest the service finds it by.
        public var digest: String
    }

    /// Everything about one poll.
    public struct PollRecord: Codable, Sendable, Equatable {
        /// The service's base URL.
        public var service: String
        public var title: String
        public var kind: PollKind
        /// Base64 Ed25519 key that signed the poll's definition (pinned when the credential
        /// was obtained): receipts' checkpoints must be signed by it.
        public var serviceKey: String?
        /// Base64 seed of the one-time Ed25519 key (secret).
        public var oneTimeKey: String?
        public var pending: PendingCredential?
        public var credential: Credential?
        public var receipts: [StoredReceipt] = []
        /// The entry sent (or about to be) without a receipt yet; nil when there is none.
        public var pendingEntry: PendingEntry?
        /// The largest signed checkpoint the wallet has verified for the poll (note text):
        /// every later one must be consistent with it.
        public var latestCheckpoint: String?

        public init(service: String, title: String, kind: PollKind) {
            self.service = service
            self.title = title
            self.kind = kind
        }
    }

    /// The record of `pollID`.
    public func record(_ pollID: PollID) -> PollRecord? { polls[pollID.hex] }
}
