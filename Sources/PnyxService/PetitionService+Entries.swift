public import PnyxCore
import PnyxCrypto
import PnyxLogStore

extension PetitionService {
    /// Who is submitting an entry: a citizen online, or an official recording a kiosk or
    /// paper entry (whose name is kept with the entry's position, never a resident's).
    public enum Submitter: Sendable, Hashable {
        case citizen
        case official(name: String)
    }

    /// Checks and appends an entry, and returns its receipt once durably committed.
    ///
    /// Checks, in order: the poll exists (`poll.unknown`); the channel fits the submitter
    /// (`entry.channel_not_allowed`); the poll is open and now is in [opensAt, closesAt)
    /// (`poll.not_open`); the entry itself — poll, payload, one-time key signature, name
    /// attestation, credential under the poll's key directory and class
    /// (``PnyxCore/Entry/verify(definition:directory:)``: `entry.*`, `credential.*`); the
    /// entry is not a replay (`entry.replayed`); its one-time key is not bound to another
    /// credential (`entry.nullifier_reused`). A refused entry changes nothing.
    public func submit(_ entry: Entry, to id: PollID, by submitter: Submitter = .citizen) async throws -> Receipt {
        let state = try await poll(id)
        switch (submitter, entry.channel) {
        case (.citizen, .online), (.official, .kiosk), (.official, .paper): break
        case (.citizen, _):
            throw ServiceError(.channelNotAllowed, .forbidden,
                               "kiosk and paper entries are recorded by an official through /official/polls/{id}/entries")
        case (.official, _):
            throw ServiceError(.channelNotAllowed, .forbidden, "an official records kiosk or paper entries; online entries go to /polls/{id}/entries")
        }
        let time = currentTime
        guard state.status == "open", let directory = state.directory else {
            throw ServiceError.notOpen("poll \(id) is \(state.status), not open")
        }
        guard time >= state.definition.opensAt else {
            throw ServiceError.notOpen("poll \(id) opens at \(state.definition.opensAt) (Unix time); it is \(time)")
        }
        guard time < state.definition.closesAt else {
            throw ServiceError.notOpen("poll \(id) closed at \(state.definition.closesAt) (Unix time); it is \(time)")
        }
        try entry.verify(definition: state.definition, directory: directory.directory)

        let nullifier = entry.nullifier.rawRepresentation
        let credentialHash = SHA256.hash(entry.credential.canonicalBytes)
        guard reservations.reserve(poll: id, nullifier: nullifier, credentialHash: credentialHash) else {
            throw ServiceError.nullifierReused
        }
        defer { reservations.release(poll: id, nullifier: nullifier) }
        try await checkNotUsed(entry, poll: id, nullifier: nullifier, credentialHash: credentialHash)

        let payload = try LogRecord(recordedAt: LogRecord.coarse(time), body: .entry(entry)).leafPayload()
        if case .official(let name) = submitter { keeper.attribute(payload: payload, to: name) }
        defer { if case .official = submitter { keeper.forgetAttribution(payload: payload) } }
        let logReceipt = try await store.append(logID: id.bytes, payload: payload)
        return try await receipt(for: logReceipt, poll: id)
    }

    /// The receipt of a committed append: a checkpoint covering it and the inclusion proof.
    func receipt(for logReceipt: LogReceipt, poll id: PollID) async throws -> Receipt {
        let checkpoint = try await checkpoints.covering(id.bytes, size: logReceipt.position + 1)
        let proof = try await store.inclusionProof(logID: id.bytes, index: logReceipt.position, treeSize: checkpoint.treeSize)
        return Receipt(pollID: id, position: UInt64(logReceipt.position), entryHash: logReceipt.entryHash.hex,
                       checkpoint: try await cosigned(checkpoint, poll: id), inclusionProof: proof.map(\.hex))
    }

    /// Refuses a replayed entry or a one-time key bound to another credential (committed
    /// entries; in-flight ones are covered by the reservations and the append transaction).
    private func checkNotUsed(_ entry: Entry, poll id: PollID, nullifier: [UInt8], credentialHash: [UInt8]) async throws {
        let rows = try await pool.query(
            """
            SELECT credential_hash,
                   EXISTS (SELECT 1 FROM service_entry_digests WHERE poll_id = $1 AND digest = $3)
            FROM (SELECT 1) AS one
            LEFT JOIN service_nullifiers ON poll_id = $1 AND nullifier = $2
            """, [.bytea(id.bytes), .bytea(nullifier), .bytea(SHA256.hash(entry.canonicalBytes))])
        guard let row = rows.first else { return }
        if try row.decode(Bool.self, at: 1) { throw ServiceError.replayed }
        if let bound = try row.decode([UInt8]?.self, at: 0), bound != credentialHash { throw ServiceError.nullifierReused }
    }
}
