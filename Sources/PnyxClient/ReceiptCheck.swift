public import Foundation
public import PnyxCore
public import PnyxCrypto
public import PnyxTransparency

/// Checking receipts locally with PnyxTransparency: the checkpoint's signature by the
/// service's key, the receipt's own inclusion proof, then against the latest signed
/// checkpoint a fresh inclusion proof (same entry hash at the same position) and a
/// consistency proof from the receipt's checkpoint (and from the largest checkpoint the
/// wallet saw before): the log only grew, nothing was rewritten.
public enum ReceiptCheck {
    /// Opens a signed checkpoint: signed by `verifierKey`, whose key is `serviceKey`
    /// (base64), for `origin` (`receipt.bad_checkpoint` otherwise).
    public static func open(_ note: String, verifierKey: String, serviceKey: String, origin: String) throws(ClientError) -> Checkpoint {
        let checkpoint: Checkpoint
        do {
            let verifier = try NoteVerifier(verifierKey: verifierKey)
            guard Base64.encode(verifier.publicKey.rawRepresentation) == serviceKey else {
                throw ClientError(.receiptBadCheckpoint, "the service's checkpoint key is not the key that signed the poll")
            }
            checkpoint = try Checkpoint(note: try NoteVerifierSet([verifier]).open(note))
        } catch let error as ClientError { throw error } catch {
            throw ClientError(.receiptBadCheckpoint, "the checkpoint is not signed by the service's key: \(error)")
        }
        guard checkpoint.origin == origin else {
            throw ClientError(.receiptBadCheckpoint, "the checkpoint is for log \(checkpoint.origin), not \(origin)")
        }
        return checkpoint
    }

    /// Verifies a receipt on its own: signed checkpoint, inclusion proof to its root.
    public static func verify(_ receipt: Receipt, verifierKey: String, serviceKey: String, origin: String) throws(ClientError) -> Checkpoint {
        let checkpoint = try open(receipt.checkpoint, verifierKey: verifierKey, serviceKey: serviceKey, origin: origin)
        do {
            try MerkleProofVerification.verifyInclusion(
                leafHash: try MerkleHash(hex: receipt.entryHash), index: Int64(receipt.position), treeSize: Int64(checkpoint.size),
                proof: try receipt.inclusionProof.map { try MerkleHash(hex: $0) }, rootHash: try MerkleHash(bytes: checkpoint.rootHash))
        } catch {
            throw ClientError(.receiptBadProof, "the receipt's inclusion proof does not lead to its checkpoint's root: \(error)")
        }
        return checkpoint
    }

    /// Verifies a fresh inclusion proof of the receipt's entry in `latest`.
    public static func verifyInclusion(_ receipt: Receipt, in latest: Checkpoint, answer: ServiceAPI.InclusionProof) throws(ClientError) {
        guard answer.position == Int64(receipt.position), answer.treeSize == Int64(latest.size) else {
            throw ClientError(.badResponse, "the service answered a proof for another position or tree size")
        }
        guard answer.entryHash == receipt.entryHash else {
            throw ClientError(.receiptEntryMismatch,
                              "the log holds entry \(answer.entryHash) at position \(receipt.position), not the receipt's \(receipt.entryHash)")
        }
        do {
            try MerkleProofVerification.verifyInclusion(
                leafHash: try MerkleHash(hex: receipt.entryHash), index: Int64(receipt.position), treeSize: Int64(latest.size),
                proof: try answer.proof.map { try MerkleHash(hex: $0) }, rootHash: try MerkleHash(bytes: latest.rootHash))
        } catch {
            throw ClientError(.receiptBadProof, "the fresh inclusion proof does not lead to the latest checkpoint's root: \(error)")
        }
    }

    /// The entry in the log's leaf at the receipt's position (from its entry bundle of `width`
    /// leaves), checked to hash to the receipt's entry hash (`receipt.entry_mismatch` otherwise).
    static func leafEntry(_ receipt: Receipt, bundle: [UInt8], width: Int) throws(ClientError) -> Entry {
        let leaves: [[UInt8]]
        do { leaves = try LogExport.parseEntryBundle(bundle, count: width, path: "entries") } catch {
            throw ClientError(.badResponse, "the service's entry bundle is malformed: \(error.reason)")
        }
        let index = Int(receipt.position % UInt64(Tile.fullWidth))
        guard index < leaves.count else { throw ClientError(.badResponse, "the entry bundle has no leaf \(index)") }
        let bytes = leaves[index]
        guard MerkleHash.leafHash(bytes).hex == receipt.entryHash else {
            throw ClientError(.receiptEntryMismatch, "the log's leaf at position \(receipt.position) does not hash to the receipt's entry hash")
        }
        do {
            let leaf = try LogLeaf(bytes: bytes)
            guard leaf.position == receipt.position, case .entry(let found) = try LogRecord(leafPayload: leaf.payload).body else {
                throw ClientError(.receiptEntryMismatch, "the log's leaf at position \(receipt.position) is not an entry")
            }
            return found
        } catch let error as ClientError { throw error } catch {
            throw ClientError(.receiptEntryMismatch, "the log's leaf at position \(receipt.position) does not decode: \(error)")
        }
    }

    /// Verifies that the log's leaf at the receipt's position (from its entry bundle of
    /// `width` leaves) hashes to the receipt's entry hash and holds the entry this wallet
    /// signed: same poll and payload, made with `oneTimeKey`, whose signature verifies
    /// (`receipt.entry_mismatch` otherwise).
    public static func verifyLeaf(
        _ receipt: Receipt, bundle: [UInt8], width: Int, payload: EntryPayload, oneTimeKey: Ed25519.PublicKey
    ) throws(ClientError) {
        let entry = try leafEntry(receipt, bundle: bundle, width: width)
        guard entry.pollID == receipt.pollID, entry.payload == payload, entry.credential.oneTimeKey == oneTimeKey,
              oneTimeKey.isValidSignature(entry.signature, for: entry.signedBytes) else {
            throw ClientError(.receiptEntryMismatch, "the log's leaf at position \(receipt.position) is not the entry this wallet signed")
        }
    }

    /// Verifies that the log's leaf at the receipt's position hashes to the receipt's entry
    /// hash and holds exactly `entryBytes` (an entry's canonical bytes) (`receipt.entry_mismatch`
    /// otherwise): a receipt recovered by digest names the very entry the wallet sent.
    public static func verifyLeaf(_ receipt: Receipt, bundle: [UInt8], width: Int, entryBytes: [UInt8]) throws(ClientError) {
        guard try leafEntry(receipt, bundle: bundle, width: width).canonicalBytes == entryBytes else {
            throw ClientError(.receiptEntryMismatch, "the log's leaf at position \(receipt.position) is not the entry this wallet sent")
        }
    }

    /// Verifies that `newer` extends `older`.
    public static func verifyConsistency(from older: Checkpoint, to newer: Checkpoint, answer: ServiceAPI.ConsistencyProof) throws(ClientError) {
        guard older.size <= newer.size else {
            throw ClientError(.receiptInconsistent, "the latest checkpoint (\(newer.size) entries) is smaller than one seen before (\(older.size))")
        }
        guard answer.oldSize == Int64(older.size), answer.newSize == Int64(newer.size) else {
            throw ClientError(.badResponse, "the service answered a consistency proof between other sizes")
        }
        do {
            try MerkleProofVerification.verifyConsistency(
                oldSize: Int64(older.size), newSize: Int64(newer.size), oldRoot: try MerkleHash(bytes: older.rootHash),
                newRoot: try MerkleHash(bytes: newer.rootHash), proof: try answer.proof.map { try MerkleHash(hex: $0) })
        } catch {
            throw ClientError(.receiptInconsistent,
                              "the log of \(newer.size) entries does not extend the checkpoint of \(older.size): \(error)")
        }
    }
}

extension WalletClient {
    /// One receipt's check.
    public struct CheckResult: Codable, Sendable {
        public let pollID: PollID
        public let title: String
        public let kind: String
        public let position: UInt64
        /// The receipt's checkpoint size.
        public let receiptSize: UInt64
        /// The latest checkpoint's size it was checked against (0 when it could not be fetched).
        public let latestSize: UInt64
        /// True when everything verified.
        public let ok: Bool
        /// Nil when everything verified.
        public let failure: ClientError?

        init(pollID: PollID, title: String, kind: String, position: UInt64, receiptSize: UInt64, latestSize: UInt64,
             failure: ClientError?) {
            self.pollID = pollID
            self.title = title
            self.kind = kind
            self.position = position
            self.receiptSize = receiptSize
            self.latestSize = latestSize
            self.ok = failure == nil
            self.failure = failure
        }
    }

    /// Checks every receipt (of `poll`, or all) against each poll's latest signed checkpoint;
    /// the wallet remembers the largest verified checkpoint per poll. Answers one result per
    /// receipt; a transport failure (unreachable service) is thrown.
    public func check(poll: PollID? = nil) async throws(ClientError) -> [CheckResult] {
        try await file.locked { () async throws(ClientError) in try await checkLocked(poll: poll) }
    }

    private func checkLocked(poll: PollID?) async throws(ClientError) -> [CheckResult] {
        var wallet = try file.load()
        if let poll, wallet.record(poll)?.receipts.isEmpty ?? true, wallet.record(poll)?.pendingEntry == nil {
            throw ClientError(.walletNoCredential, "this wallet holds no receipt for poll \(poll)")
        }
        var results: [CheckResult] = []
        for (hex, record) in wallet.polls.sorted(by: { $0.key < $1.key }) where !record.receipts.isEmpty {
            guard let id = try? PollID(hex: hex), poll == nil || poll == id else { continue }
            let service = try ServiceAPI(url: record.service, timeout: timeout)
            let info = try await service.info()
            let serviceKey = record.serviceKey ?? info.publicKey
            let origin = info.originPrefix + hex
            // The latest checkpoint, and that it extends the largest one seen before.
            let latest: Checkpoint
            let latestNote: String
            do throws(ClientError) {
                latestNote = try await service.latestCheckpoint(id)
                latest = try ReceiptCheck.open(latestNote, verifierKey: info.verifierKey, serviceKey: serviceKey, origin: origin)
                if let seenNote = record.latestCheckpoint {
                    let seen = try ReceiptCheck.open(seenNote, verifierKey: info.verifierKey, serviceKey: serviceKey, origin: origin)
                    guard seen.size <= latest.size else {
                        throw ClientError(.receiptInconsistent,
                                          "the latest checkpoint (\(latest.size) entries) is smaller than one seen before (\(seen.size))")
                    }
                    try ReceiptCheck.verifyConsistency(
                        from: seen, to: latest, answer: try await service.consistencyProof(id, from: seen.size, to: latest.size))
                }
            } catch let error where error.code == ClientError.Code.unreachable.rawValue {
                throw error
            } catch {
                for stored in record.receipts {
                    results.append(CheckResult(pollID: id, title: record.title, kind: stored.kind, position: stored.receipt.position,
                                               receiptSize: 0, latestSize: 0, failure: error))
                }
                continue
            }
            var allOK = true
            for stored in record.receipts {
                let receipt = stored.receipt
                var size: UInt64 = 0
                do throws(ClientError) {
                    guard receipt.pollID == id else {
                        throw ClientError(.receiptBadCheckpoint, "the receipt is for poll \(receipt.pollID), not \(id)")
                    }
                    let own = try ReceiptCheck.verify(receipt, verifierKey: info.verifierKey, serviceKey: serviceKey, origin: origin)
                    size = own.size
                    try ReceiptCheck.verifyInclusion(
                        receipt, in: latest, answer: try await service.inclusionProof(id, position: receipt.position, size: latest.size))
                    try ReceiptCheck.verifyConsistency(
                        from: own, to: latest, answer: try await service.consistencyProof(id, from: own.size, to: latest.size))
                    if let oneTimeKey = record.credential?.oneTimeKey {
                        let bundle = try await service.entryBundle(id, position: receipt.position, treeSize: latest.size)
                        try ReceiptCheck.verifyLeaf(receipt, bundle: bundle.bytes, width: bundle.width, payload: stored.payload,
                                                    oneTimeKey: oneTimeKey)
                    }
                    results.append(CheckResult(pollID: id, title: record.title, kind: stored.kind, position: receipt.position,
                                               receiptSize: size, latestSize: latest.size, failure: nil))
                } catch let error where error.code == ClientError.Code.unreachable.rawValue {
                    throw error
                } catch {
                    allOK = false
                    results.append(CheckResult(pollID: id, title: record.title, kind: stored.kind, position: receipt.position,
                                               receiptSize: size, latestSize: latest.size, failure: error))
                }
            }
            if allOK {
                var updated = record
                updated.latestCheckpoint = latestNote
                wallet.polls[hex] = updated
            }
        }
        try file.save(wallet)
        return results
    }
}
