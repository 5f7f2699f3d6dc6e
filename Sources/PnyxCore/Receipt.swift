/// What a citizen keeps after an entry is durably committed: enough to prove, years later,
/// that the entry is in the poll's log. A bundle of already-signed things: JSON only.
///
/// JSON: `{"pollID":hex,"position":n,"entryHash":hex,"checkpoint":"<signed note text>",
/// "inclusionProof":[hex,…]}`; the proof is RFC 9162 §2.1.3 for the entry at `position` in
/// the tree of the checkpoint's size.
public struct Receipt: Hashable, Sendable, Codable {
    public let pollID: PollID
    /// Zero-based position of the entry in the poll's log.
    public let position: UInt64
    /// The entry hash (RFC 9162 leaf hash of the log leaf), lower-case hex.
    public let entryHash: String
    /// The signed checkpoint note (C2SP signed-note text, signatures included).
    public let checkpoint: String
    /// The inclusion proof hashes, lower-case hex, leaf to root.
    public let inclusionProof: [String]

    public init(pollID: PollID, position: UInt64, entryHash: String, checkpoint: String, inclusionProof: [String]) {
        self.pollID = pollID
        self.position = position
        self.entryHash = entryHash
        self.checkpoint = checkpoint
        self.inclusionProof = inclusionProof
    }
}
