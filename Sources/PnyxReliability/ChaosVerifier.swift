import Foundation
import PnyxCore
import PnyxTransparency

/// The answer of `GET /v1/polls/{poll}/proofs/inclusion` (the service's `InclusionProofAnswer`).
struct InclusionProofAnswer: Decodable {
    let position: Int64
    let entryHash: String
    let treeSize: Int64
    let proof: [String]
}

extension ChaosWorld {
    /// The latest signed checkpoint of `poll`, verified with the service's key.
    func latestCheckpoint(_ poll: PollID, service: Int = 0) async throws -> Checkpoint {
        let text = try await serviceClient(service).send("GET", "polls/\(poll.hex)/log/checkpoint", accept: "text/plain")
        let note = try NoteVerifierSet([try NoteVerifier(verifierKey: verifierKey)]).open(String(decoding: text, as: UTF8.self))
        return try Checkpoint(note: note)
    }

    /// Checks every acknowledged entry: its receipt verifies against its own checkpoint, and
    /// a fresh inclusion proof puts the same entry hash at the same position under the latest
    /// checkpoint. Returns the receipts that fail (lost entries).
    func verifyAcknowledged(_ acknowledged: [ChaosLedger.Acknowledged], polls: [PollID]) async throws -> [String] {
        var checkpoints: [PollID: Checkpoint] = [:]
        for poll in polls { checkpoints[poll] = try await latestCheckpoint(poll) }
        let latest = checkpoints
        let verifiers = try NoteVerifierSet([try NoteVerifier(verifierKey: verifierKey)])
        let client = serviceClient()
        let failures = try await concurrently(acknowledged, width: 4) { item -> String? in
            let receipt = item.receipt
            let position = Int64(receipt.position)
            do {
                let own = try Checkpoint(note: try verifiers.open(receipt.checkpoint))
                try MerkleProofVerification.verifyInclusion(
                    leafHash: try MerkleHash(hex: receipt.entryHash), index: position, treeSize: Int64(own.size),
                    proof: try receipt.inclusionProof.map { try MerkleHash(hex: $0) }, rootHash: try MerkleHash(bytes: own.rootHash))
            } catch {
                return "\(item.entry.poll.hex.prefix(8))#\(position): the receipt does not verify (\(error))"
            }
            guard let checkpoint = latest[item.entry.poll], Int64(checkpoint.size) > position else {
                return "\(item.entry.poll.hex.prefix(8))#\(position): beyond the latest checkpoint"
            }
            do {
                let answer: InclusionProofAnswer = try await client.get(
                    "polls/\(item.entry.poll.hex)/proofs/inclusion?position=\(position)&size=\(checkpoint.size)")
                guard answer.entryHash == receipt.entryHash else {
                    return "\(item.entry.poll.hex.prefix(8))#\(position): the log holds \(answer.entryHash), the receipt \(receipt.entryHash)"
                }
                try MerkleProofVerification.verifyInclusion(
                    leafHash: try MerkleHash(hex: receipt.entryHash), index: position, treeSize: Int64(checkpoint.size),
                    proof: try answer.proof.map { try MerkleHash(hex: $0) }, rootHash: try MerkleHash(bytes: checkpoint.rootHash))
            } catch {
                return "\(item.entry.poll.hex.prefix(8))#\(position): not included under the latest checkpoint (\(error))"
            }
            return nil
        }
        return failures.compactMap { $0 }
    }

    /// Runs `pnyx-audit verify` on `poll` (service log, broker register, pinned log key);
    /// returns the exit status and output.
    func audit(_ poll: PollID, auditorPath: String, service: Int = 0) async throws -> (status: Int32, output: String) {
        try await runCommand([
            auditorPath, "verify", "--service", serviceURLs[service] + "/v1", "--poll", poll.hex, "--broker", brokerURL + "/v1",
            "--log-key", verifierKey, "--no-state", "--no-progress", "--jobs", "1",
        ])
    }
}
