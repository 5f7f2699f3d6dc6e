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
    /// (``PnyxCore/Entry/verify(definition:directory:)``: `entry.*`, `credential.*`); its
    /// one-time key is not in flight here for another credential (`entry.nullifier_reused`);
    /// then, inside the append transaction under the log's lock, the entry is not a replay
    /// (`entry.replayed`) and its one-time key is not bound to another credential among
    /// committed entries (`entry.nullifier_reused`), read for the whole batch in two grouped
    /// queries (``TallyKeeper``'s screen: a refused entry is dropped from its batch, the others
    /// commit). A refused entry changes nothing.
    ///
    /// The receipt's checkpoint is the one the entry's append batch signed and stored in its
    /// own transaction, and the inclusion proof is computed in memory from that batch
    /// (``PnyxLogStore/LogStore/append(logID:payload:signer:)``): no query per entry after
    /// the append.
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

        let record = LogRecord(recordedAt: LogRecord.coarse(time), body: .entry(entry))
        let payload = try record.leafPayload()
        let facts = TallyKeeper.EntryFacts(record: record, digest: SHA256.hash(entry.canonicalBytes), credentialHash: credentialHash)
        if case .official(let name) = submitter { keeper.attribute(payload: payload, to: name) }
        defer { if case .official = submitter { keeper.forgetAttribution(payload: payload) } }
        let committed = try await store.append(logID: id.bytes, payload: payload, signer: signer, context: facts)
        return try await receipt(for: committed, poll: id)
    }

    /// The receipt of a committed append: its batch's checkpoint (with the witnesses'
    /// cosignatures known now, when witnesses are configured) and the inclusion proof in it.
    func receipt(for committed: CheckpointedReceipt, poll id: PollID) async throws -> Receipt {
        let checkpoint = committed.checkpoint
        let note: String
        if witnessKeys.isEmpty {
            note = checkpoint.note
        } else {
            note = try await cosignedNotes.note(poll: id, treeSize: checkpoint.treeSize) { [self] in
                try await cosigned(checkpoint, poll: id)
            }
        }
        return Receipt(pollID: id, position: UInt64(committed.receipt.position), entryHash: committed.receipt.entryHash.hex,
                       checkpoint: note, inclusionProof: committed.inclusionProof.map(\.hex))
    }
}
