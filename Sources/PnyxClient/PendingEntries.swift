public import Foundation
public import PnyxCore
import PnyxCrypto

/// Entries sent without an answer: the wallet keeps each signed entry's bytes as pending
/// (``Wallet/PendingEntry``) before sending it, and sends exactly those bytes again until it
/// holds the entry's receipt. When the service answers the resend with `entry.replayed` (the
/// first send did commit), the receipt is fetched by the entry's digest
/// (`GET /v1/polls/{poll}/entries/{digest}`) and checked to name exactly this entry.
extension WalletClient {
    /// An entry still without a receipt, as `pnyx wallet receipts` lists it.
    public struct PendingListing: Codable, Sendable {
        public let pollID: PollID
        public let title: String
        public let kind: String
        public let createdAt: Date
        /// Hex SHA-256 of the entry's canonical bytes.
        public let digest: String
        public let payload: EntryPayload
    }

    /// Every pending entry in the wallet (no network).
    public func pendingEntries(poll: PollID? = nil) throws(ClientError) -> [PendingListing] {
        let wallet = try file.load()
        return wallet.polls.sorted(by: { $0.key < $1.key }).compactMap { hex, record in
            guard let pending = record.pendingEntry, let id = try? PollID(hex: hex), poll == nil || poll == id else { return nil }
            return PendingListing(pollID: id, title: record.title, kind: pending.kind, createdAt: pending.createdAt,
                                  digest: pending.digest, payload: pending.payload)
        }
    }

    /// Sends every pending entry (of `poll`, or all) again and keeps the receipts; the first
    /// failure is thrown (the entries not delivered stay pending).
    public func retry(poll: PollID? = nil) async throws(ClientError) -> [Wallet.StoredReceipt] {
        try await file.locked { () async throws(ClientError) in
            var wallet = try file.load()
            var delivered: [Wallet.StoredReceipt] = []
            for (hex, record) in wallet.polls.sorted(by: { $0.key < $1.key }) where record.pendingEntry != nil {
                guard let id = try? PollID(hex: hex), poll == nil || poll == id else { continue }
                let service = try ServiceAPI(url: record.service, timeout: timeout)
                let info = try await service.info()
                delivered.append(try await deliverPending(poll: id, service: service, info: info, wallet: &wallet))
            }
            return delivered
        }
    }

    /// Sends the poll's pending entry, or recovers the receipt of its earlier send, checks the
    /// receipt, moves the entry from pending to the receipts and saves the wallet.
    ///
    /// A refusal (4xx) of an entry the log does not hold drops it from pending (it will never
    /// be accepted: poll closed, invalid…); an unreachable service, a timeout or a 5xx keeps it.
    func deliverPending(poll: PollID, service: ServiceAPI, info: ServiceAPI.Info, wallet: inout Wallet)
        async throws(ClientError) -> Wallet.StoredReceipt {
        guard var record = wallet.record(poll), let pending = record.pendingEntry else {
            throw ClientError(.invalidInput, "this wallet holds no pending entry for poll \(poll)")
        }
        let bytes: [UInt8]
        let entry: Entry
        let digest: [UInt8]
        do {
            bytes = try Base64.decode(pending.entry)
            entry = try Entry(canonicalBytes: bytes)
            digest = SHA256.hash(bytes)
        } catch {
            throw ClientError(.walletUnreadable, "the wallet's pending entry for poll \(poll) is damaged")
        }
        let serviceKey = record.serviceKey ?? info.publicKey
        let origin = info.originPrefix + poll.hex

        let receipt: Receipt
        do throws(ClientError) {
            receipt = try await service.submit(entry)
        } catch {
            // Did an earlier send of these bytes commit? Then its receipt is what we want.
            let recovered: Receipt
            do throws(ClientError) {
                recovered = try await service.receipt(poll, entryDigest: digest)
            } catch let lookup where lookup.code == "entry.unknown" {
                if Self.isDefinitive(error) && error.code != "entry.replayed" {
                    record.pendingEntry = nil
                    wallet.polls[poll.hex] = record
                    try file.save(wallet)
                }
                throw error
            } catch {
                throw error  // the lookup failed too: the entry stays pending
            }
            try await Self.verifyRecovered(recovered, poll: poll, entryBytes: bytes, service: service, info: info,
                                     serviceKey: serviceKey, origin: origin)
            return try keep(recovered, pending: pending, poll: poll, record: &record, wallet: &wallet)
        }
        let stored = try keep(receipt, pending: pending, poll: poll, record: &record, wallet: &wallet)
        guard receipt.pollID == poll else {
            throw ClientError(.receiptBadCheckpoint, "the receipt is for poll \(receipt.pollID), not \(poll)")
        }
        _ = try ReceiptCheck.verify(receipt, verifierKey: info.verifierKey, serviceKey: serviceKey, origin: origin)
        return stored
    }

    /// Moves the pending entry to the receipts and saves the wallet.
    private func keep(_ receipt: Receipt, pending: Wallet.PendingEntry, poll: PollID, record: inout Wallet.PollRecord,
                      wallet: inout Wallet) throws(ClientError) -> Wallet.StoredReceipt {
        let stored = Wallet.StoredReceipt(kind: pending.kind, receivedAt: now(), payload: pending.payload, receipt: receipt)
        record.receipts.append(stored)
        record.pendingEntry = nil
        wallet.polls[poll.hex] = record
        try file.save(wallet)
        return stored
    }

    /// A refusal the same bytes would get again (a 4xx other than a timeout or rate limit).
    static func isDefinitive(_ error: ClientError) -> Bool {
        (400..<500).contains(error.status) && error.status != 408 && error.status != 429
    }

    /// A recovered receipt must be for this poll, signed by the service's key, its proof must
    /// lead to its checkpoint's root, and the log's leaf at its position must hold exactly the
    /// entry bytes this wallet signed (`receipt.entry_mismatch` otherwise).
    static func verifyRecovered(
        _ receipt: Receipt, poll: PollID, entryBytes: [UInt8], service: ServiceAPI, info: ServiceAPI.Info,
        serviceKey: String, origin: String
    ) async throws(ClientError) {
        guard receipt.pollID == poll else {
            throw ClientError(.receiptBadCheckpoint, "the receipt is for poll \(receipt.pollID), not \(poll)")
        }
        let checkpoint = try ReceiptCheck.verify(receipt, verifierKey: info.verifierKey, serviceKey: serviceKey, origin: origin)
        let bundle = try await service.entryBundle(poll, position: receipt.position, treeSize: checkpoint.size)
        try ReceiptCheck.verifyLeaf(receipt, bundle: bundle.bytes, width: bundle.width, entryBytes: entryBytes)
    }
}
