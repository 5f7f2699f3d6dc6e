import Foundation
import PnyxCore
import PnyxCrypto
public import PnyxTransparency

/// `pnyx-audit receipt FILE`: checks that a citizen's receipt is in the log, and explains it
/// in plain words (``AuditReport/established``).
///
/// 1. the receipt's checkpoint is signed by the log's key (`receipt.bad_checkpoint`), and by
///    each trusted witness that cosigned it (`receipt.bad_cosignature`);
/// 2. the inclusion proof leads from the entry hash at its position to that checkpoint's root
///    (`receipt.not_included`);
/// 3. the log's latest checkpoint extends the receipt's (`history.forked`, `history.rolled_back`);
/// 4. the entry at that position in today's log has the receipt's hash (`receipt.entry_mismatch`)
///    and is an entry of the receipt's poll (`receipt.wrong_log`).
public struct ReceiptAuditor {
    public let log: SourceLog
    /// Witness cosignature verifier keys to check on the receipt's checkpoint.
    public let witnesses: [CosignatureVerifier]

    public init(log: SourceLog, witnesses: [CosignatureVerifier] = []) {
        self.log = log
        self.witnesses = witnesses
    }

    /// Parses witness cosignature verifier keys (`<name>+<id>+<base64>`); a bad one is a usage error.
    public static func witnesses(verifierKeys: [String]) throws(AuditError) -> [CosignatureVerifier] {
        var out: [CosignatureVerifier] = []
        for key in verifierKeys {
            do { out.append(try CosignatureVerifier(verifierKey: key)) } catch {
                throw AuditError(.usage, "witness key \(key): \(error.reason)")
            }
        }
        return out
    }

    /// Checks the receipt JSON. Throws ``AuditError`` when it or the source cannot be read.
    public func run(receipt bytes: [UInt8], source: String) throws(AuditError) -> AuditReport {
        let receipt: Receipt
        do { receipt = try JSONDecoder().decode(Receipt.self, from: Data(bytes)) } catch {
            throw AuditError(.unreadable, "the receipt is not receipt JSON: \(error)")
        }
        let collector = FindingCollector()
        var established: [String] = []
        var notes: [String] = []
        let position = Int64(clamping: receipt.position)
        func finding(_ code: FindingCode, _ message: String, expected: String? = nil, computed: String? = nil) {
            collector.add(Finding(code, log: "receipt", position: position, message, expected: expected, computed: computed))
        }
        func report() -> AuditReport {
            var report = AuditReport(command: "receipt", source: source, collector: collector, notes: notes)
            report.established = established
            return report
        }
        guard let entryHash = try? MerkleHash(hex: receipt.entryHash),
              let proof = try? receipt.inclusionProof.map({ (hex) throws(TransparencyError) in try MerkleHash(hex: hex) }) else {
            throw AuditError(.unreadable, "the receipt's entry hash or proof is not hexadecimal hashes")
        }

        // 1. The receipt's checkpoint.
        let checkpoint: Checkpoint
        switch log.open(Array(receipt.checkpoint.utf8)) {
        case .failure(let error):
            finding(.receiptBadCheckpoint, "the receipt's checkpoint is not signed by the log's key \(log.verifier.name): \(error)")
            return report()
        case .success(let (note, opened)):
            checkpoint = opened
            established.append("the receipt's checkpoint (log size \(opened.size)) is signed by the service's key \(log.verifier.name)")
            for witness in witnesses {
                do {
                    let time = try witness.verifiedTimestamp(in: note)
                    established.append("witness \(witness.name) cosigned that checkpoint on \(Self.date(time))")
                } catch where error.code == .noteUnknownKey {
                    notes.append("witness \(witness.name) did not cosign the receipt's checkpoint")
                } catch {
                    finding(.receiptBadCosignature, "witness \(witness.name)'s cosignature on the receipt's checkpoint does not verify: \(error.reason)")
                }
            }
            let others = note.signatures.filter { line in
                !line.isSigned(by: log.verifier.name, keyID: log.verifier.keyID) && !witnesses.contains { line.isSigned(by: $0.name, keyID: $0.keyID) }
            }
            if !others.isEmpty {
                notes.append("\(others.count) other signature(s) on the checkpoint (\(others.map(\.name).joined(separator: ", "))) were not checked: pass their keys with --witness-key")
            }
        }
        let point = HistoryCheck.Point(checkpoint)

        // 2. Inclusion under the receipt's checkpoint.
        do {
            try MerkleProofVerification.verifyInclusion(leafHash: entryHash, index: position, treeSize: point.size,
                                                        proof: proof, rootHash: point.root)
            established.append("your entry (hash \(entryHash.hex.prefix(16))…) is entry \(position) of that checkpoint's log: the inclusion proof leads to its root")
        } catch {
            finding(.receiptNotIncluded, "the inclusion proof does not show entry \(position) in the receipt's checkpoint: \(error.reason)",
                    expected: point.root.hex)
        }

        // 3. Today's log extends the receipt's checkpoint.
        let latest = try log.latest()
        let latestPoint = HistoryCheck.Point(latest.checkpoint)
        let tree = log.tree(latest.checkpoint, publishedSize: latestPoint.size)
        if !(Array(latest.checkpoint.origin.utf8) == Array(checkpoint.origin.utf8)) {
            finding(.receiptWrongLog, "the receipt is for the log \(checkpoint.origin), not \(latest.checkpoint.origin)",
                    expected: latest.checkpoint.origin, computed: checkpoint.origin)
            return report()
        }
        if let problem = HistoryCheck.check(old: point, new: latestPoint, newTree: tree) {
            collector.add(problem)
        } else {
            established.append("today's log (size \(latestPoint.size)) extends the receipt's checkpoint: no entry up to it was changed, removed or reordered")
        }

        // 4. The entry itself, in today's log.
        if position < latestPoint.size {
            let leaf = try log.leaf(at: position, publishedSize: latestPoint.size)
            let hash = MerkleHash.leafHash(leaf)
            if hash != entryHash {
                finding(.receiptEntryMismatch, "the log's entry \(position) is not the receipt's", expected: entryHash.hex, computed: hash.hex)
            } else if let parsed = try? LogLeaf(bytes: leaf), let record = try? LogRecord(leafPayload: parsed.payload) {
                if case .entry(let entry) = record.body {
                    if entry.pollID != receipt.pollID {
                        finding(.receiptWrongLog, "the entry is for poll \(entry.pollID), not the receipt's \(receipt.pollID)",
                                expected: receipt.pollID.hex, computed: entry.pollID.hex)
                    } else {
                        established.append("the log's entry \(position) is your \(Self.describe(entry.payload)) in poll \(receipt.pollID), recorded \(Self.date(UInt64(clamping: record.recordedAt)))")
                    }
                } else {
                    finding(.receiptEntryMismatch, "the log's entry \(position) is not a citizen's entry")
                }
            }
            notes.append("whether this entry is the one counted (the latest of its credential) is checked by `pnyx-audit verify`, which recomputes the tally")
        }
        var out = report()
        out.origin = latest.checkpoint.origin
        out.treeSize = latestPoint.size
        out.rootHash = latestPoint.root.hex
        return out
    }

    static func describe(_ payload: EntryPayload) -> String {
        switch payload {
        case .sign(let name): name.map { "signature (shown as \($0.name))" } ?? "signature"
        case .vote: "vote"
        case .withdraw: "withdrawal"
        }
    }

    static func date(_ seconds: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
