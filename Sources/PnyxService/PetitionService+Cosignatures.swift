public import Foundation
public import PnyxCore
public import PnyxLogStore
import PnyxTransparency

/// What `POST /v1/polls/{poll}/log/cosignatures` answers: the checkpoint with every
/// cosignature the service now holds for it.
public struct CosignatureAnswer: Codable, Sendable, Hashable {
    public let pollID: PollID
    /// The size of the cosigned checkpoint.
    public let treeSize: Int64
    /// The names of the witnesses whose cosignatures were accepted by this request.
    public let accepted: [String]
    /// The checkpoint note: the service's signature, then every known cosignature.
    public let checkpoint: String
}

extension ServiceError.Code {
    /// The body is not a signature line (or a signed checkpoint note) (400).
    public static let cosignatureMalformed = ServiceError.Code(rawValue: "cosignature.malformed")
    /// The cosignature is by a key that is not one of the service's configured witnesses (403).
    public static let cosignatureUnknownWitness = ServiceError.Code(rawValue: "cosignature.unknown_witness")
    /// The cosignature does not verify over the checkpoint the service signed at that size (422).
    public static let cosignatureInvalid = ServiceError.Code(rawValue: "cosignature.invalid")
    /// The service signed no checkpoint of that size, or one with another text (origin, root) (404).
    public static let cosignatureUnknownCheckpoint = ServiceError.Code(rawValue: "cosignature.unknown_checkpoint")
}

extension PetitionService {
    /// The configured witnesses' verifier keys.
    var witnessKeys: [String] { configuration.witnessKeys.map(\.verifierKey) }

    var cosignatureStore: CosignatureStore { CosignatureStore(pool: pool) }

    /// Accepts witness cosignatures (c2sp.org/tlog-cosignature) of a checkpoint of poll `id`.
    ///
    /// `body` is either one or more signature lines (`— <name> <base64>`) for the checkpoint
    /// of `treeSize` entries (nil: the latest checkpoint), or a whole signed checkpoint note
    /// (checkpoint text, blank line, signature lines), whose text must be the one the service
    /// signed at that size. Every line must be by a configured witness
    /// (``ServiceConfiguration/witnessKeys``; the service's own line in a note is ignored)
    /// and verify over that checkpoint; then they are stored, and served with the checkpoint.
    ///
    /// Throws `cosignature.malformed`, `cosignature.unknown_witness`, `cosignature.invalid`,
    /// `cosignature.unknown_checkpoint`, `poll.unknown`.
    public func addCosignatures(_ id: PollID, body: [UInt8], treeSize: Int64?) async throws -> CosignatureAnswer {
        _ = try await poll(id)
        let text = String(decoding: body, as: UTF8.self)
        guard !text.isEmpty, Array(text.utf8) == body else {
            throw ServiceError(.cosignatureMalformed, .badRequest, "the body must be UTF-8 signature lines (— <name> <base64>)")
        }
        let isNote = text.contains("\n\n")
        // The checkpoint the lines are for, as the service signed it.
        var size = treeSize
        var given: Note? = nil
        if isNote {
            guard let note = try? Note(parsing: body), let checkpoint = try? Checkpoint(note: note) else {
                throw ServiceError(.cosignatureMalformed, .badRequest, "the body is not a signed checkpoint note")
            }
            given = note
            if let treeSize, treeSize != Int64(clamping: checkpoint.size) {
                throw ServiceError(.cosignatureUnknownCheckpoint, .notFound,
                                   "the note is a checkpoint of size \(checkpoint.size), not \(treeSize)")
            }
            size = Int64(clamping: checkpoint.size)
        }
        let stored: StoredCheckpoint?
        if let size { stored = try await self.checkpoint(id, size: size) } else { stored = try await store.latestCheckpoint(logID: id.bytes) }
        guard let stored, let storedNote = try? Note(parsing: stored.note), let checkpoint = try? Checkpoint(note: storedNote) else {
            throw ServiceError(.cosignatureUnknownCheckpoint, .notFound,
                               "poll \(id) has no checkpoint" + (size.map { " of size \($0)" } ?? " yet"))
        }
        let lines: [Note.Signature]
        if let given {
            guard Array(given.text.utf8) == Array(storedNote.text.utf8) else {
                throw ServiceError(.cosignatureUnknownCheckpoint, .notFound,
                                   "the service did not sign this checkpoint: its checkpoint of size \(stored.treeSize) has another origin or root")
            }
            lines = given.signatures.filter { !(Self.sameKey($0, name: signer.name, keyID: signer.keyID)) }
        } else {
            let withLines = storedNote.text + "\n" + (text.hasSuffix("\n") ? text : text + "\n")
            guard let parsed = try? Note(parsing: withLines) else {
                throw ServiceError(.cosignatureMalformed, .badRequest, "the body is not signature lines (— <name> <base64>)")
            }
            lines = parsed.signatures
        }
        guard !lines.isEmpty else {
            throw ServiceError(.cosignatureMalformed, .badRequest, "the body holds no cosignature line")
        }
        var rows: [(String, CosignatureStore.Row)] = []
        for line in lines {
            guard let witness = configuration.witnessKeys.first(where: { Self.sameKey(line, name: $0.name, keyID: $0.keyID) }) else {
                throw ServiceError(.cosignatureUnknownWitness, .forbidden,
                                   "\(line.name) (key ID \(String(line.keyID, radix: 16))) is not one of this service's witnesses (PNYX_WITNESS_KEYS)")
            }
            let timestamp: UInt64
            do { timestamp = try witness.verify(line, for: checkpoint) } catch {
                throw ServiceError(.cosignatureInvalid, .unprocessableContent,
                                   "\(witness.name)'s cosignature does not verify over the checkpoint of size \(stored.treeSize): \(error.reason)")
            }
            rows.append((witness.name, CosignatureStore.Row(witness: witness.verifierKey, line: line.line, timestamp: timestamp)))
        }
        for (_, row) in rows { try await cosignatureStore.save(row, poll: id, treeSize: stored.treeSize) }
        return CosignatureAnswer(pollID: id, treeSize: stored.treeSize, accepted: rows.map(\.0),
                                 checkpoint: try await cosigned(stored, poll: id))
    }

    /// The checkpoint's note with the cosignatures of the configured witnesses appended (the
    /// note as stored when there are no witnesses or no cosignatures).
    public func cosigned(_ checkpoint: StoredCheckpoint, poll id: PollID) async throws -> String {
        let witnesses = witnessKeys
        guard !witnesses.isEmpty else { return checkpoint.note }
        let rows = try await cosignatureStore.rows(poll: id, treeSize: checkpoint.treeSize, witnesses: witnesses)
        guard !rows.isEmpty else { return checkpoint.note }
        return checkpoint.note + rows.map(\.line).joined()
    }

    /// A receipt for the entry at `position`, read now: against the newest checkpoint covering
    /// it that a configured witness cosigned, else the latest checkpoint (signed now if the
    /// log grew), with the cosignatures known now. `proof.invalid_range` beyond the log.
    public func receipt(_ id: PollID, position: Int64) async throws -> Receipt {
        _ = try await poll(id)
        let head = try await store.head(logID: id.bytes)
        guard position >= 0, position < head.size else {
            throw ServiceError(.proofInvalidRange, .notFound, "poll \(id) has no entry at position \(position) (its log has \(head.size))")
        }
        var chosen: StoredCheckpoint? = nil
        if let size = try await cosignatureStore.latestCosignedSize(poll: id, above: position, witnesses: witnessKeys) {
            chosen = try await checkpoint(id, size: size)
        }
        let checkpoint: StoredCheckpoint
        if let chosen { checkpoint = chosen } else { checkpoint = try await checkpoints.covering(id.bytes, size: position + 1) }
        let entry = try await store.entries(logID: id.bytes, position..<(position + 1))
        let proof = try await store.inclusionProof(logID: id.bytes, index: position, treeSize: checkpoint.treeSize)
        return Receipt(pollID: id, position: UInt64(position), entryHash: entry.first?.entryHash.hex ?? "",
                       checkpoint: try await cosigned(checkpoint, poll: id), inclusionProof: proof.map(\.hex))
    }

    static func sameKey(_ line: Note.Signature, name: String, keyID: UInt32) -> Bool {
        line.keyID == keyID && Array(line.name.utf8) == Array(name.utf8)
    }
}
