import COpenSSL
import CSodium
import Foundation
import PnyxAudit
import PnyxCore
import PnyxCrypto
import PnyxTransparency

/// The auditor on a poll of 250 000 entries (`PNYX_BENCH_AUDIT_ENTRIES` to change it; 1 M
/// until 2026-11-24, whose generation alone took ~8 minutes of the 15-minute `make bench`
/// budget), against the raw crypto bound measured on the same cores in the same run. The
/// keys and their definitions are unchanged: the ratio compares rates, and every entry still
/// costs the auditor the same work.
///
/// - `audit.verify_entries_per_s`: entries per second of a whole `pnyx-audit verify` run
///   (``PollAuditor`` on the export folder: chain, tiles, checkpoint, records, every
///   credential's RSA-PSS signature and every entry's Ed25519 signature on every core, the
///   tally recomputed and compared);
/// - `audit.raw_bound_entries_per_s`: one raw OpenSSL `EVP_DigestVerify` (RSASSA-PSS,
///   SHA-384, salt 48) plus one raw libsodium `crypto_sign_verify_detached` per entry, on
///   every core: `1 / (1/rsa + 1/ed25519)`, the higher of the figures measured just before and
///   just after the audit run;
/// - `audit.verify_ratio` = the first ÷ the second (bar ≥ 0.5).
///
/// Every entry has its own credential (a real blind RSA signature by its class key) and its
/// own one-time key, so nothing is skipped as a re-vote. Making them costs one RSA private
/// operation each, on every core (about 2 minutes for 250 000 on this loaded 2-core
/// machine); the export is kept under `.bench/audit-<count>/` and reused by the next run.
enum AuditBenchmarks {
    static let opensAt: Int64 = 1_767_225_600  // 2026-01-01, a whole minute
    static let closesAt: Int64 = opensAt + 90 * 86_400

    static func run(_ report: inout BenchReport) throws {
        let count = Int(ProcessInfo.processInfo.environment["PNYX_BENCH_AUDIT_ENTRIES"] ?? "") ?? 250_000
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let folder = ".bench/audit-\(count)"
        if !FileManager.default.fileExists(atPath: folder + "/complete") {
            let seconds = try Measure.seconds { try generate(count: count, folder: folder, threads: threads) }
            report.record("audit.generate_seconds", seconds, unit: "s")
        } else {
            print("  reusing \(folder)")
        }

        let sample = try Sample(folder: folder)
        let before = sample.rawBound(threads: threads)
        var result: AuditReport?
        let seconds = try Measure.seconds {
            result = try PollAuditor(source: .export(directory: folder),
                                     options: .init(concurrency: threads, issuanceDecoder: nil)).run()
        }
        let after = sample.rawBound(threads: threads)
        guard let result, result.findings.isEmpty, result.summary.credentialsVerified == Int64(count),
              result.summary.entrySignaturesVerified == Int64(count) else {
            print(result?.humanText ?? "no report")
            throw BenchFailure("the auditor did not verify the benchmark poll cleanly")
        }
        let rate = Double(count) / seconds
        let raw = max(before.entries, after.entries)
        report.record("audit.entries", Double(count), unit: "entries")
        report.record("audit.verify_seconds", seconds, unit: "s")
        report.record("audit.raw_rsa_pss_verify_ops", max(before.rsa, after.rsa), unit: "ops/s")
        report.record("audit.raw_ed25519_verify_ops", max(before.ed25519, after.ed25519), unit: "ops/s")
        report.record("audit.raw_bound_entries_per_s", raw, unit: "entries/s")
        report.record("audit.verify_entries_per_s", rate, unit: "entries/s")
        report.record("audit.verify_ratio", rate / raw, unit: "×", atLeast: 0.5)
    }

    // MARK: The poll

    /// Writes a valid petition of `count` entries in the export layout, with its tally.
    static func generate(count: Int, folder: String, threads: Int) throws {
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func write(_ path: String, _ bytes: [UInt8]) throws {
            let url = URL(fileURLWithPath: folder + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        let serviceKey = try Ed25519.PrivateKey(seed: [UInt8](repeating: 0x61, count: 32))
        let brokerKey = try Ed25519.PrivateKey(seed: [UInt8](repeating: 0x62, count: 32))
        let signer = try NoteSigner(name: "bench.pnyx/audit", privateKey: serviceKey)
        let pollID = PollID.random()
        let classes = [try AttributeClass(areaCode: "75056", ageBand: .from35to49),
                       try AttributeClass(areaCode: "75101", ageBand: .from18to24)]
        let rsa = try classes.map { _ in try BlindRSA.PrivateKey.generate(bits: 2048) }
        let definition = PollDefinition(
            pollID: pollID, kind: .petition, title: "Benchmark petition", text: "One million signatures.",
            opensAt: opensAt, closesAt: closesAt,
            eligibility: Eligibility(areaScope: [], minimumAge: 18, referenceDate: CivilDate("2025-06-01")!),
            disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: false,
            questions: [], thresholds: [.absolute(count: UInt64(count) * 10)],
            serviceKey: serviceKey.publicKey, brokerKey: brokerKey.publicKey)
        let directory = try KeyDirectory(
            pollID: pollID, issuedAt: opensAt - 7_200,
            entries: zip(classes, rsa).map { KeyDirectory.Entry(attributeClass: $0, publicKey: $1.publicKey, eligibleCount: UInt64(count)) },
            k: 10)

        var chain = LogChain(logID: pollID.bytes, folder: folder, write: write)
        var tally = Tally()
        func append(_ record: LogRecord) throws {
            try tally.apply(record: record, position: tally.logSize)
            try chain.append(try record.leafPayload())
        }
        try append(LogRecord(recordedAt: opensAt - 3_600, body: .definition(try SignedPollDefinition(signing: definition, with: serviceKey))))
        try append(LogRecord(recordedAt: opensAt - 1_800, body: .lifecycle(LifecycleEvent(
            kind: .published(SignedKeyDirectory(signing: directory, with: brokerKey)), at: opensAt - 1_800))))
        try append(LogRecord(recordedAt: opensAt + 60, body: .lifecycle(LifecycleEvent(kind: .opened, at: opensAt + 60))))

        // Entries in batches: credentials and signatures on every core, then chained in order.
        let batch = 8_192
        var done = 0
        let started = Date()
        while done < count {
            let n = min(batch, count - done)
            let entries = UnsafeMutableBufferPointer<Entry?>.allocate(capacity: n)
            entries.initialize(repeating: nil)
            nonisolated(unsafe) let shared = entries
            let start = done
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                var i = thread
                while i < n {
                    let which = (start + i) % classes.count
                    let key = Ed25519.PrivateKey()
                    let message = CredentialMessage(pollID: pollID, attributeClass: classes[which], oneTimeKey: key.publicKey)
                    let request = try! CredentialRequest(message: message, directory: directory)
                    let credential = try! request.finalize(blindSignature: try! BlindRSA.blindSign(request.blindedMessage, privateKey: rsa[which]))
                    shared[i] = try! Entry(pollID: pollID, credential: credential, channel: .online, payload: .sign(nil), signingWith: key)
                    i += threads
                }
            }
            for i in 0..<n {
                // 100 entries a second from the opening on.
                try append(LogRecord(recordedAt: opensAt + 120 + Int64((done + i) / 100), body: .entry(entries[i]!)))
            }
            entries.deinitialize()
            entries.deallocate()
            done += n
            if done % (batch * 16) < batch || done == count {
                print(String(format: "  generating: %d / %d entries (%.0f s)", done, count, Date().timeIntervalSince(started)))
            }
        }
        try append(LogRecord(recordedAt: closesAt + 60, body: .lifecycle(LifecycleEvent(kind: .closed, at: closesAt + 60))))

        let (size, root) = try chain.finish()
        let checkpoint = try Checkpoint(origin: "bench.pnyx/poll/\(pollID.hex)", size: UInt64(size), rootHash: root.bytes)
        let note = try signer.sign(checkpoint.note()).serialized()
        try write(LogExport.checkpointPath, note)
        try write(LogExport.checkpointPath(treeSize: size), note)
        try write(LogExport.verifierPath, Array((signer.verifier.verifierKey + "\n").utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(LogExport.manifestPath, Array(try encoder.encode(LogExport.Manifest(
            logID: pollID.hex, origin: checkpoint.origin, treeSize: size, checkpoints: [size]))))
        try write("tally.json", try tally.summary.jsonBytes())
        try write("complete", Array("\(count)\n".utf8))
    }

    /// Chains leaves, writes their entry bundles as they fill, and the hash tiles at the end.
    struct LogChain {
        let logID: [UInt8]
        let folder: String
        let write: (String, [UInt8]) throws -> Void
        var store = MemoryHashStore()
        var previous: MerkleHash
        var bundle: [[UInt8]] = []
        var frontier: [(height: Int, hash: MerkleHash)] = []
        var size: Int64 = 0

        init(logID: [UInt8], folder: String, write: @escaping (String, [UInt8]) throws -> Void) {
            self.logID = logID
            self.folder = folder
            self.write = write
            previous = LogLeaf.genesisHash(logID: logID)
        }

        mutating func append(_ payload: [UInt8]) throws {
            let leaf = try LogLeaf(position: UInt64(size), previousHash: previous, payload: payload).bytes
            previous = MerkleHash.leafHash(leaf)
            store.append(leafHash: previous)
            var node = (height: 0, hash: previous)
            while let top = frontier.last, top.height == node.height {
                frontier.removeLast()
                node = (node.height + 1, .nodeHash(top.hash, node.hash))
            }
            frontier.append(node)
            bundle.append(leaf)
            size += 1
            if bundle.count == Tile.fullWidth { try flush() }
        }

        private mutating func flush() throws {
            guard !bundle.isEmpty else { return }
            let index = (size - 1) / Int64(Tile.fullWidth)
            try write(try Tile(level: 0, index: index, width: bundle.count).entriesPath, LogExport.entryBundle(leaves: bundle))
            bundle.removeAll(keepingCapacity: true)
        }

        /// Writes the last bundle and every hash tile; returns the size and root.
        mutating func finish() throws -> (Int64, MerkleHash) {
            try flush()
            for tile in Tile.newTiles(oldSize: 0, newSize: size) { try write(tile.path, try tile.readData(from: store)) }
            // RFC 9162 §2.1.1 over the right frontier of complete subtrees.
            guard var root = frontier.last?.hash else { return (size, .emptyTree) }
            for node in frontier.dropLast().reversed() { root = .nodeHash(node.hash, root) }
            return (size, root)
        }
    }

    // MARK: The raw bound

    /// One entry of the poll, for the raw figures: its credential's prepared message and
    /// signature under its class key (SPKI), its Ed25519 key, signed bytes and signature.
    struct Sample: @unchecked Sendable {
        let spki: [UInt8]
        let prepared: [UInt8]
        let rsaSignature: [UInt8]
        let edKey: [UInt8]
        let signedBytes: [UInt8]
        let edSignature: [UInt8]

        init(folder: String) throws {
            let bundle = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/tile/entries/000")))
            let leaves = try LogExport.parseEntryBundle(bundle, count: Tile.fullWidth, path: "tile/entries/000")
            let records = try leaves.prefix(4).map { try LogRecord(leafPayload: try LogLeaf(bytes: $0).payload) }
            guard case .lifecycle(let published) = records[1].body, case .published(let signed) = published.kind,
                  case .entry(let entry) = records[3].body else { throw BenchFailure("unexpected benchmark poll layout") }
            let key = signed.directory.entry(keyID: entry.credential.keyID)!.publicKey
            spki = key.derRepresentation
            prepared = entry.credential.prefix + entry.credential.message(pollID: entry.pollID).canonicalBytes
            rsaSignature = entry.credential.signature
            edKey = entry.credential.oneTimeKey.rawRepresentation
            signedBytes = entry.signedBytes
            edSignature = entry.signature
        }

        /// Raw RSA-PSS and Ed25519 verifications per second on `threads` threads (2 s each),
        /// and the entries per second they bound.
        func rawBound(threads: Int) -> (rsa: Double, ed25519: Double, entries: Double) {
            precondition(sodium_init() >= 0)
            let verifier = RawPSSVerifier(spki: spki, threads: threads)
            precondition(verifier.verify(thread: 0, message: prepared, signature: rsaSignature), "raw OpenSSL refuses the credential")
            let rsa = Measure.opsPerSecond(seconds: 2, threads: threads) { thread in
                precondition(verifier.verify(thread: thread, message: prepared, signature: rsaSignature))
            }
            let ed = Measure.opsPerSecond(seconds: 2, threads: threads) { _ in
                let ok = crypto_sign_verify_detached(edSignature, signedBytes, UInt64(signedBytes.count), edKey) == 0
                precondition(ok)
            }
            return (rsa, ed, 1 / (1 / rsa + 1 / ed))
        }
    }
}

/// Raw OpenSSL RSASSA-PSS verification (SHA-384, MGF1-SHA-384, salt 48) with a per-thread
/// `EVP_MD_CTX` created once.
private final class RawPSSVerifier: @unchecked Sendable {
    let publicKey: OpaquePointer
    let sha384: OpaquePointer
    var contexts: [OpaquePointer] = []

    init(spki: [UInt8], threads: Int) {
        publicKey = spki.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)!
        }
        sha384 = EVP_MD_fetch(nil, "SHA384", nil)!
        for _ in 0..<threads { contexts.append(EVP_MD_CTX_new()!) }
    }

    deinit {
        contexts.forEach { EVP_MD_CTX_free($0) }
        EVP_MD_free(sha384)
        EVP_PKEY_free(publicKey)
    }

    func verify(thread: Int, message: [UInt8], signature: [UInt8]) -> Bool {
        let md = contexts[thread]
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit(md, &pctx, sha384, nil, publicKey) == 1,
              EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 48) == 1,
              EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, sha384) == 1
        else { return false }
        return EVP_DigestVerify(md, signature, signature.count, message, message.count) == 1
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
