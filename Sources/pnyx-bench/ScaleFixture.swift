import Foundation
import PnyxCore
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import PnyxService
import PnyxTransparency

/// The 10 M-entry poll of the `scale` group: a PostgreSQL cluster under
/// `.bench/scale-<count>/pg` holding a service database whose log store has one open
/// petition of `count` signatures, with every row the service's append transaction would
/// have written for them, built by bulk COPY instead of through the service.
///
/// What is real: the log (records 0–2 are a signed definition, the broker-signed key
/// directory of two classes with real 2048-bit RSA keys, the opening; then `count` entries,
/// each a canonical `LogRecord` of about 560 bytes with its own random one-time key),
/// chained and hashed with `PnyxTransparency`'s `LogLeaf` and stored-hash runs computed by
/// `TileMath.storedHashesForAppend` from the running frontier, exactly as `LogBatchWriter`
/// does; the service rows (`service_polls`, `service_lifecycle`, one `service_nullifiers` row
/// per one-time key with its credential hash and packed latest contribution, one
/// `service_entry_digests` row per entry with its position, and `service_tallies` with the summary and the
/// aggregates) are derived by folding every record with the Core `Tally` in the service's
/// mode (aggregates kept, each batch's contributions taken out), so the service restores
/// exactly what it would have written itself.
///
/// What is not: the entries are not individually valid. Their credentials carry one fixed
/// 256-byte "signature" and their Ed25519 signatures are fixed bytes, because 10 M real
/// blind-signed credentials cost 10 M RSA private operations (about 25 minutes on these 2
/// cores). A full audit (`pnyx-audit verify`) of this log refuses every entry
/// (`credential.invalid_signature`); the chain, the tree, the tally and every row are
/// consistent. The service never re-verifies its log to start, so its memory is that of
/// a poll of `count` distinct credentials and entries: the rows it reads are the same size
/// and count as with valid signatures.
///
/// Building takes minutes (COPY of ~10 GB of rows and indexes); the folder is kept and
/// reused (`complete` marks a finished build of this ``version``; delete the folder to rebuild).
struct ScaleFixture {
    static let opensAt: Int64 = 1_767_225_600  // 2026-01-01
    static let closesAt: Int64 = opensAt + 10 * 365 * 86_400
    static let originPrefix = "bench.pnyx/poll/"
    static let keyName = "bench.pnyx/scale"
    static let database = "service"

    let folder: String
    let count: Int

    var clusterFolder: String { folder + "/pg" }
    var keyFile: String { folder + "/service.key" }
    /// Bumped whenever the entry encoding or the service's rows change, so an older cached
    /// fixture is rebuilt instead of measured (2: entries v2 with a nonce; tally state rows;
    /// 3: the entry digest rows carry their log position, as the service writes them since
    /// migration 5 — an older fixture would make the service backfill 10 M rows at start).
    static let version = 3
    var marker: String { "\(count) entries, fixture version \(Self.version)\n" }
    var complete: Bool {
        (try? String(contentsOfFile: folder + "/complete", encoding: .utf8)) == marker
    }

    /// The poll and the keys needed to make new, valid entries.
    struct Manifest: Codable {
        let pollID: String
        let classes: [AttributeClass]
        /// PKCS#8 DER of each class's RSA key (base64), in `classes` order.
        let rsaKeys: [String]
        let entries: Int
    }

    var manifest: Manifest {
        get throws {
            try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/fixture.json")))
        }
    }

    static func clusterOptions(_ folder: String, durable: Bool) -> PrivateCluster.Options {
        PrivateCluster.Options(
            directory: folder, database: database, durable: durable,
            settings: ["shared_buffers": "256MB", "max_wal_size": "1GB", "checkpoint_timeout": "30min",
                       "maintenance_work_mem": "512MB"],
            stopAtExit: true, removeDirectoryOnStop: false)
    }

    /// The service's signer: one fixed seed, written as the service's key file.
    static let serviceKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x71, count: 32))
    static let brokerKey = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x72, count: 32))

    /// Builds the fixture from scratch (a non-durable cluster while loading; stopped and
    /// flushed to disk at the end). Returns the seconds taken.
    func build(threads: Int) throws -> Double {
        let started = DispatchTime.now().uptimeNanoseconds
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let signer = try NoteSigner(name: Self.keyName, privateKey: Self.serviceKey)
        _ = FileManager.default.createFile(atPath: keyFile, contents: Data((signer.signerKey + "\n").utf8),
                                           attributes: [.posixPermissions: 0o600])
        let cluster = try PrivateCluster.startBlocking(Self.clusterOptions(clusterFolder, durable: false))
        defer { try? cluster.stop() }
        let conn = try PostgresConnection(configuration: cluster.configuration)
        // Two loading connections (two server processes: both cores): the log's tables on one,
        // the service's on the other, each fed by its own serial queue.
        nonisolated(unsafe) let copier = try PostgresConnection(configuration: cluster.configuration)  // copyQueue only
        nonisolated(unsafe) let serviceCopier = try PostgresConnection(configuration: cluster.configuration)  // serviceQueue only
        _ = try conn.migrate(LogStoreSchema.migrations)
        _ = try conn.migrate(ServiceSchema.migrations)

        // The poll.
        let pollID = PollID.random()
        let classes = [try AttributeClass(areaCode: "75056", ageBand: .from35to49),
                       try AttributeClass(areaCode: "75101", ageBand: .from18to24)]
        let rsa = try classes.map { _ in try BlindRSA.PrivateKey.generate(bits: 2048) }
        let definition = PollDefinition(
            pollID: pollID, kind: .petition, title: "Scale petition", text: "Ten million signatures.",
            opensAt: Self.opensAt, closesAt: Self.closesAt,
            eligibility: Eligibility(areaScope: [], minimumAge: 18, referenceDate: CivilDate("2025-06-01")!),
            disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: false,
            questions: [], thresholds: [.absolute(count: 50_000_000)],
            serviceKey: Self.serviceKey.publicKey, brokerKey: Self.brokerKey.publicKey)
        let directory = try KeyDirectory(
            pollID: pollID, issuedAt: Self.opensAt - 7_200,
            entries: zip(classes, rsa).map { KeyDirectory.Entry(attributeClass: $0, publicKey: $1.publicKey, eligibleCount: 40_000_000) },
            k: 10)
        let signedDefinition = try SignedPollDefinition(signing: definition, with: Self.serviceKey)
        let signedDirectory = SignedKeyDirectory(signing: directory, with: Self.brokerKey)
        let published = LifecycleEvent(kind: .published(signedDirectory), at: Self.opensAt - 1_800)
        let opened = LifecycleEvent(kind: .opened, at: Self.opensAt + 60)
        let head: [LogRecord] = [
            LogRecord(recordedAt: Self.opensAt - 3_600, body: .definition(signedDefinition)),
            LogRecord(recordedAt: Self.opensAt - 1_800, body: .lifecycle(published)),
            LogRecord(recordedAt: Self.opensAt + 60, body: .lifecycle(opened)),
        ]
        let logID = pollID.bytes
        _ = try conn.execute("INSERT INTO log_logs (log_id, origin, verifier_key) VALUES ($1, $2, $3)",
                             [.bytea(logID), .text(Self.originPrefix + pollID.hex), .text(signer.verifier.verifierKey)])
        // Bulk load: the random-order primary keys are rebuilt once at the end (same tables).
        try conn.executeScript("""
            ALTER TABLE service_nullifiers DROP CONSTRAINT service_nullifiers_pkey;
            ALTER TABLE service_entry_digests DROP CONSTRAINT service_entry_digests_pkey;
            """)

        let keyIDs = rsa.map { KeyID(spki: $0.publicKey.derRepresentation) }
        let fakeRSASignature = [UInt8](repeating: 0x5A, count: 256)
        let fakeEdSignature = [UInt8](repeating: 0xA5, count: 64)
        let prefix = [UInt8](repeating: 0x33, count: 32)
        var tally = Tally()
        var chain = Chain(logID: logID, roots: [:], size: 0, previous: LogLeaf.genesisHash(logID: logID))
        let copyQueue = DispatchQueue(label: "scale.copy")
        let serviceQueue = DispatchQueue(label: "scale.copy.service")
        let inFlight = DispatchSemaphore(value: 2)
        let serviceInFlight = DispatchSemaphore(value: 2)
        let failure = FirstFailure()

        func submit(_ batch: Chain.Batch, service: [UInt8], digests: [UInt8]) {
            inFlight.wait()
            copyQueue.async {
                defer { inFlight.signal() }
                do {
                    try copier.copyIn(LogBatchWriterSQL.entries, data: batch.entries)
                    try copier.copyIn(LogBatchWriterSQL.hashes, data: batch.hashes)
                } catch { failure.record(error) }
            }
            guard !service.isEmpty else { return }
            serviceInFlight.wait()
            serviceQueue.async {
                defer { serviceInFlight.signal() }
                do {
                    try serviceCopier.copyIn(
                        "COPY service_nullifiers (poll_id, nullifier, credential_hash, first_position, contribution) FROM STDIN (FORMAT binary)",
                        data: service)
                    try serviceCopier.copyIn("COPY service_entry_digests (poll_id, digest, position) FROM STDIN (FORMAT binary)", data: digests)
                } catch { failure.record(error) }
            }
        }

        // Records 0–2.
        var headPayloads: [[UInt8]] = []
        for record in head {
            try tally.apply(record: record, position: tally.logSize)
            headPayloads.append(try record.leafPayload())
        }
        submit(try chain.append(headPayloads), service: [], digests: [])

        // The entries, in chunks: encoded and hashed on every core, chained and folded in order.
        let chunk = 65_536
        var done = 0
        let poll = PostgresValue.bytea(logID)
        while done < count {
            let n = min(chunk, count - done)
            let base = done
            let payloads = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: n)
            payloads.initialize(repeating: [])
            let records = UnsafeMutableBufferPointer<LogRecord?>.allocate(capacity: n)
            records.initialize(repeating: nil)
            let hashes = UnsafeMutableBufferPointer<(digest: [UInt8], credential: [UInt8])>.allocate(capacity: n)
            hashes.initialize(repeating: ([], []))
            nonisolated(unsafe) let (p, r, h) = (payloads, records, hashes)
            DispatchQueue.concurrentPerform(iterations: threads) { thread in
                let random = SystemRandom()
                var i = thread
                while i < n {
                    let which = (base + i) % classes.count
                    let credential = Credential(
                        attributeClass: classes[which], keyID: keyIDs[which],
                        oneTimeKey: try! Ed25519.PublicKey(rawRepresentation: random.bytes(32)), prefix: prefix,
                        signature: fakeRSASignature)
                    let entry = Entry(pollID: pollID, credential: credential, channel: .online, payload: .sign(nil),
                                      nonce: random.bytes(Entry.nonceByteCount), signature: fakeEdSignature)
                    // 100 entries a second from the opening on (as the audit bench's poll).
                    let record = LogRecord(recordedAt: Self.opensAt + 120 + Int64((base + i) / 100), body: .entry(entry))
                    p[i] = try! record.leafPayload()
                    r[i] = record
                    h[i] = (SHA256.hash(entry.canonicalBytes), SHA256.hash(credential.canonicalBytes))
                    i += threads
                }
            }
            let firstPosition = Int64(tally.logSize)
            for i in 0..<n { try tally.apply(record: records[i]!, position: tally.logSize) }
            let contributions = Dictionary(tally.takeLatest(), uniquingKeysWith: { a, _ in a })
            var service = PostgresBinaryCopyEncoder(reservingCapacity: n * 130)
            var digests = PostgresBinaryCopyEncoder(reservingCapacity: n * 72)
            for i in 0..<n {
                guard case .entry(let entry) = records[i]!.body else { continue }
                let nullifier = entry.nullifier.rawRepresentation
                try service.append(row: [poll, .bytea(nullifier), .bytea(hashes[i].credential),
                                         .int64(firstPosition + Int64(i)), .int64(contributions[nullifier]!)])
                try digests.append(row: [poll, .bytea(hashes[i].digest), .int64(firstPosition + Int64(i))])
            }
            let batch = try chain.append(Array(payloads))
            payloads.deinitialize(); payloads.deallocate()
            records.deinitialize(); records.deallocate()
            hashes.deinitialize(); hashes.deallocate()
            submit(batch, service: service.finish(), digests: digests.finish())
            if let error = failure.error { throw error }
            done += n
            if done % (chunk * 16) < chunk || done == count {
                print(String(format: "  building: %d / %d entries (%.0f s)", done, count,
                             Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
            }
        }
        copyQueue.sync {}
        serviceQueue.sync {}
        if let error = failure.error { throw error }

        // The rows the append transactions write once per batch, for the whole log.
        try conn.executeScript("""
            ALTER TABLE service_nullifiers ADD PRIMARY KEY (poll_id, nullifier);
            ALTER TABLE service_entry_digests ADD PRIMARY KEY (poll_id, digest);
            """)
        _ = try conn.execute(
            "INSERT INTO service_polls (poll_id, kind, title, status, definition, directory) VALUES ($1, $2, $3, 'open', $4, $5)",
            [poll, .text(definition.kind.name), .text(definition.title), .bytea(signedDefinition.canonicalBytes),
             .bytea(signedDirectory.canonicalBytes)])
        for (position, event) in [(1, published), (2, opened)] {
            _ = try conn.execute("INSERT INTO service_lifecycle (poll_id, position, kind, event) VALUES ($1, $2, $3, $4)",
                                 [poll, .int64(Int64(position)), .text(event.kind.name), .bytea(event.canonicalBytes)])
        }
        _ = try conn.execute(
            "INSERT INTO service_tallies (poll_id, log_size, summary, state) VALUES ($1, $2, $3, $4)",
            [poll, .int64(Int64(tally.logSize)), .text(String(decoding: try tally.summary.jsonBytes(), as: UTF8.self)),
             .bytea(try tally.snapshot.jsonBytes())])
        try conn.executeScript("VACUUM ANALYZE")
        conn.close()
        copier.close()
        serviceCopier.close()
        try cluster.stop()
        sync()

        let manifest = Manifest(
            pollID: pollID.hex, classes: classes,
            rsaKeys: try rsa.map { Base64.encode(try $0.derRepresentation()) }, entries: count)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: URL(fileURLWithPath: folder + "/fixture.json"))
        try Data(marker.utf8).write(to: URL(fileURLWithPath: folder + "/complete"))
        return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    }

    /// The log's chain and stored hashes, as `LogBatchWriter.prepare` computes them: leaves
    /// with `LogLeaf`, stored hashes with `TileMath.storedHashesForAppend` over the frontier
    /// of complete subtrees, written in runs of at most 128.
    struct Chain {
        let logID: [UInt8]
        var roots: [Int64: MerkleHash]
        var size: Int64
        var previous: MerkleHash

        struct Batch { let entries: [UInt8]; let hashes: [UInt8] }

        mutating func append(_ payloads: [[UInt8]]) throws -> Batch {
            let start = size
            var entries = PostgresBinaryCopyEncoder(reservingCapacity: payloads.reduce(0) { $0 + $1.count + 160 })
            var leafHashes: [MerkleHash] = []
            leafHashes.reserveCapacity(payloads.count)
            for (offset, payload) in payloads.enumerated() {
                let position = start + Int64(offset)
                let hash = try LogLeaf(position: UInt64(position), previousHash: previous, payload: payload).entryHash
                try entries.append(row: [.bytea(logID), .int64(position), .bytea(payload), .bytea(previous.bytes), .bytea(hash.bytes)])
                leafHashes.append(hash)
                previous = hash
            }
            let frontier = roots
            let stored = try TileMath.storedHashesForAppend(
                leafHashes: leafHashes, startingAt: start,
                reader: HashReaderFunction { indexes in
                    try indexes.map { index in
                        guard let hash = frontier[index] else { throw BenchFailure("frontier hash \(index) missing") }
                        return hash
                    }
                })
            let base = TileMath.storedHashCount(treeSize: start)
            var hashes = PostgresBinaryCopyEncoder(reservingCapacity: stored.count * 32 + 256)
            var runStart = 0
            while runStart < stored.count {
                let runEnd = min(stored.count, runStart + 128)
                try hashes.append(row: [.bytea(logID), .int64(base + Int64(runStart)),
                                        .bytea(stored[runStart..<runEnd].flatMap(\.bytes))])
                runStart = runEnd
            }
            size = start + Int64(payloads.count)
            var next: [Int64: MerkleHash] = [:]
            for index in try TileMath.treeHashIndexes(treeSize: size) {
                next[index] = index >= base ? stored[Int(index - base)] : roots[index]
            }
            roots = next
            return Batch(entries: entries.finish(), hashes: hashes.finish())
        }
    }
}

/// The first error of the loading queues.
final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var first: (any Error)?

    func record(_ error: any Error) { lock.withLock { if first == nil { first = error } } }
    var error: (any Error)? { lock.withLock { first } }
}

/// The log store's COPY statements (the same columns `LogBatchWriter` writes).
enum LogBatchWriterSQL {
    static let entries =
        "COPY log_entries (log_id, position, payload, previous_hash, entry_hash) FROM STDIN (FORMAT binary)"
    static let hashes = "COPY log_hashes (log_id, first_index, hashes) FROM STDIN (FORMAT binary)"
}
