public import Foundation
public import PnyxCore
import PnyxCrypto
import PnyxTransparency

/// The service's public API (`/v1` on the service) as the wallet uses it: identity, polls,
/// key directories, entries and proofs.
public struct ServiceAPI: Sendable {
    public let client: APIClient
    /// The service's root URL as given (without `/v1`).
    public let root: String

    /// `url` is the service's root (`http://host:port`; a trailing `/v1` is accepted).
    public init(url: String, timeout: TimeInterval = 30) throws(ClientError) {
        (root, client) = try BrokerAPI.client(url, timeout: timeout)
    }

    /// `GET /v1/service`.
    public struct Info: Codable, Sendable {
        /// Base64 Ed25519: poll definitions, checkpoints, certificates.
        public let publicKey: String
        /// C2SP note verifier key of every poll's checkpoints.
        public let verifierKey: String
        /// Checkpoint origins are `<originPrefix><poll id hex>`.
        public let originPrefix: String
    }

    /// A poll as `GET /v1/polls` lists it.
    public struct Poll: Codable, Sendable {
        public let pollID: PollID
        public let status: String
        public let kind: PollKind
        public let title: String
        public let opensAt: Int64
        public let closesAt: Int64
        public let definition: SignedPollDefinition
        public let directory: SignedKeyDirectory?
    }

    /// A fresh inclusion proof.
    public struct InclusionProof: Codable, Sendable {
        public let pollID: PollID
        public let position: Int64
        public let entryHash: String
        public let treeSize: Int64
        public let checkpoint: String?
        public let proof: [String]
    }

    /// A consistency proof.
    public struct ConsistencyProof: Codable, Sendable {
        public let pollID: PollID
        public let oldSize: Int64
        public let newSize: Int64
        public let oldCheckpoint: String?
        public let newCheckpoint: String?
        public let proof: [String]
    }

    public func info() async throws(ClientError) -> Info { try await client.get("service") }

    /// The published polls (not drafts).
    public func polls() async throws(ClientError) -> [Poll] { try await client.get("polls") }

    /// One poll (from its page data).
    public func poll(_ id: PollID) async throws(ClientError) -> Poll {
        struct Page: Decodable { let poll: Poll }
        let page: Page = try await client.get("polls/\(id.hex)")
        return page.poll
    }

    /// The poll's broker-signed key directory.
    public func directory(_ id: PollID) async throws(ClientError) -> SignedKeyDirectory {
        try await client.get("polls/\(id.hex)/directory")
    }

    /// Submits an entry; answers its receipt once durably committed.
    public func submit(_ entry: Entry) async throws(ClientError) -> Receipt {
        try await client.send("POST", "polls/\(entry.pollID.hex)/entries", json: entry)
    }

    /// The receipt of the committed entry whose canonical bytes hash to `digest` (SHA-256),
    /// read now; `entry.unknown` (404) when the poll's log holds no such entry.
    public func receipt(_ id: PollID, entryDigest digest: [UInt8]) async throws(ClientError) -> Receipt {
        try await client.get("polls/\(id.hex)/entries/\(Hex.encode(digest))")
    }

    /// The latest signed checkpoint (note text).
    public func latestCheckpoint(_ id: PollID) async throws(ClientError) -> String {
        let data = try await client.send("GET", "polls/\(id.hex)/log/checkpoint", body: nil, accept: "text/plain")
        return String(decoding: data, as: UTF8.self)
    }

    /// The entry bundle (c2sp.org/tlog-tiles) holding the leaf at `position` in the tree of
    /// `treeSize` leaves, and how many leaves it holds.
    public func entryBundle(_ id: PollID, position: UInt64, treeSize: UInt64) async throws(ClientError) -> (bytes: [UInt8], width: Int) {
        let index = position / UInt64(Tile.fullWidth)
        let width = Int(min(UInt64(Tile.fullWidth), treeSize - index * UInt64(Tile.fullWidth)))
        let tile: Tile
        do { tile = try Tile(level: 0, index: Int64(index), width: width) } catch {
            throw ClientError(.invalidInput, "no entry bundle holds position \(position) of \(treeSize)")
        }
        let data = try await client.send("GET", "polls/\(id.hex)/log/\(tile.entriesPath)", body: nil, accept: "application/octet-stream")
        return (Array(data), width)
    }

    /// The inclusion proof of the entry at `position` in the tree of `size` entries.
    public func inclusionProof(_ id: PollID, position: UInt64, size: UInt64) async throws(ClientError) -> InclusionProof {
        try await client.get("polls/\(id.hex)/proofs/inclusion?position=\(position)&size=\(size)")
    }

    /// The consistency proof from `from` to `to` entries.
    public func consistencyProof(_ id: PollID, from: UInt64, to: UInt64) async throws(ClientError) -> ConsistencyProof {
        try await client.get("polls/\(id.hex)/proofs/consistency?from=\(from)&to=\(to)")
    }
}
