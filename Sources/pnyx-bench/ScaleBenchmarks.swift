import Foundation
import PnyxClient
import PnyxCore
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency

/// The `scale` group: a poll of 10 M entries (`PNYX_BENCH_SCALE_ENTRIES` to change it) in
/// the real log store on a durable PostgreSQL cluster (fsync and synchronous_commit on),
/// built once by ``ScaleFixture`` (see there what is real and what is not) and kept under
/// `.bench/scale-<count>/`.
///
/// - `log.proof_ms_10m`: median inclusion-proof latency from the database (`LogStore`),
///   1 000 random indexes, tree of the whole log (≥ 10 M entries); every proof verified
///   against the root. Bar < 20. Also `log.proof_p99_ms_10m`, and the median and p99 of
///   200 consistency proofs between random sizes (`log.consistency_ms_10m`, each verified).
/// - `service.rss_mb_10m`: the peak resident memory (`VmHWM`, MiB) of a real service
///   process — the release `pnyx service serve` next to `pnyx-bench`, on that database —
///   after it started, accepted 20 new entries with real credentials (blind RSA signatures by
///   the poll's class keys, Ed25519-signed) and then 10 withdrawals of them over HTTP (their
///   stored contributions read and rewritten among 10 M rows), and served reads (the poll, its
///   counts, the latest checkpoint) and 200 inclusion and 50 consistency proofs of the
///   10 M-entry log. Bar < 500. Also its startup seconds and `VmRSS` after startup and at the end.
enum ScaleBenchmarks {
    /// With `quick` (a smoke run), only a cached fixture is measured: building one takes minutes.
    static func run(_ report: inout BenchReport, quick: Bool = false) throws {
        let count = Int(ProcessInfo.processInfo.environment["PNYX_BENCH_SCALE_ENTRIES"] ?? "") ?? 10_000_000
        let fixture = ScaleFixture(folder: ".bench/scale-\(count)", count: count)
        if !fixture.complete && quick {
            print("  skipped with --quick: no cached \(fixture.folder) (a run without --quick builds it)")
            return
        }
        if !fixture.complete {
            let seconds = try fixture.build(threads: ProcessInfo.processInfo.activeProcessorCount)
            report.record("scale.fixture_build_seconds", seconds, unit: "s")
        } else {
            print("  reusing \(fixture.folder)")
        }
        let figures = try LogBenchmarks.blocking { try await measure(fixture) }
        for (key, value, unit) in figures.context { report.record(key, value, unit: unit) }
        report.record("log.proof_ms_10m", figures.proofMs, unit: "ms", below: 20)
        report.record("service.rss_mb_10m", figures.rssMB, unit: "MiB", below: 500)
    }

    struct Figures: Sendable {
        var context: [(String, Double, String)] = []
        var proofMs = 0.0
        var rssMB = 0.0
    }

    static func measure(_ fixture: ScaleFixture) async throws -> Figures {
        let manifest = try fixture.manifest
        let pollID = try PollID(hex: manifest.pollID)
        let cluster = try await PrivateCluster.start(ScaleFixture.clusterOptions(fixture.clusterFolder, durable: true))
        defer { try? cluster.stop() }
        var figures = Figures()

        // 1. Proofs from the database, in this process.
        let store = LogStore(pool: PostgresPool(configuration: PostgresConfiguration(url: cluster.url(database: ScaleFixture.database)), size: 2))
        let logID = pollID.bytes
        let size = try await store.head(logID: logID).size
        let root = try await store.treeHash(logID: logID, size: size)
        var latencies: [Double] = []
        for _ in 0..<1_000 {
            let index = Int64.random(in: 0..<size)
            let start = DispatchTime.now().uptimeNanoseconds
            let proof = try await store.inclusionProof(logID: logID, index: index, treeSize: size)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            let leaf = try await store.entries(logID: logID, index..<(index + 1))[0].entryHash
            _ = try MerkleProofVerification.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof, rootHash: root)
        }
        latencies.sort()
        figures.proofMs = latencies[latencies.count / 2]
        figures.context.append(("log.proof_p99_ms_10m", latencies[latencies.count * 99 / 100], "ms"))
        var consistency: [Double] = []
        for _ in 0..<200 {
            let old = Int64.random(in: 1..<size)
            let new = Int64.random(in: old...size)
            let start = DispatchTime.now().uptimeNanoseconds
            let proof = try await store.consistencyProof(logID: logID, oldSize: old, newSize: new)
            consistency.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            _ = try MerkleProofVerification.verifyConsistency(
                oldSize: old, newSize: new, oldRoot: try await store.treeHash(logID: logID, size: old),
                newRoot: try await store.treeHash(logID: logID, size: new), proof: proof)
        }
        consistency.sort()
        figures.context += [
            ("log.entries_10m", Double(size), "entries"),
            ("log.consistency_ms_10m", consistency[consistency.count / 2], "ms"),
            ("log.consistency_p99_ms_10m", consistency[consistency.count * 99 / 100], "ms"),
        ]
        await store.pool.close()

        // 2. A real service process on that database.
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("pnyx").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchFailure("\(executable) is missing: build the pnyx product next to pnyx-bench (make bench does)")
        }
        let port = Int.random(in: 20_000..<60_000)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = ["service", "serve", "--log-level", "warning"]
        var environment = ProcessInfo.processInfo.environment
        environment.merge([
            "PNYX_SERVICE_DATABASE_URL": cluster.url(database: ScaleFixture.database),
            "PNYX_BROKER_URL": "http://127.0.0.1:9",
            "PNYX_SERVICE_KEY_FILE": fixture.keyFile,
            "PNYX_SERVICE_KEY_NAME": ScaleFixture.keyName,
            "PNYX_SERVICE_LOG_ORIGIN_PREFIX": ScaleFixture.originPrefix,
            "PNYX_SERVICE_ADMIN_TOKENS": "bench:scale-bench-admin-token-0123456789",
            "PNYX_SERVICE_POOL_SIZE": "4",
            "PNYX_SERVICE_HOST": "127.0.0.1",
            "PNYX_SERVICE_PORT": "\(port)",
        ]) { _, new in new }
        child.environment = environment
        child.standardOutput = FileHandle.standardError
        child.standardError = FileHandle.standardError
        child.standardInput = FileHandle.nullDevice
        let launched = DispatchTime.now().uptimeNanoseconds
        try child.run()
        defer {
            if child.isRunning {
                kill(child.processIdentifier, SIGTERM)
                child.waitUntilExit()
            }
        }
        let api = try ServiceAPI(url: "http://127.0.0.1:\(port)", timeout: 120)
        var ready = false
        for _ in 0..<1_200 where child.isRunning {
            if (try? await api.info()) != nil { ready = true; break }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard ready else { throw BenchFailure("the service did not answer within 120 s") }
        figures.context.append(("service.startup_s_10m", Double(DispatchTime.now().uptimeNanoseconds - launched) / 1e9, "s"))
        let pid = child.processIdentifier
        figures.context.append(("service.rss_mb_10m_startup", memory(pid: pid, "VmRSS"), "MiB"))

        // New entries with real credentials (the fixture's class keys sign them).
        let directory = try await api.directory(pollID).directory
        let rsa = try manifest.rsaKeys.map { try BlindRSA.PrivateKey(derRepresentation: try Base64.decode($0)) }
        var signers: [(Credential, Ed25519.PrivateKey)] = []
        for i in 0..<20 {
            let which = i % manifest.classes.count
            let key = Ed25519.PrivateKey()
            let message = CredentialMessage(pollID: pollID, attributeClass: manifest.classes[which], oneTimeKey: key.publicKey)
            let request = try CredentialRequest(message: message, directory: directory)
            let credential = try request.finalize(blindSignature: try BlindRSA.blindSign(request.blindedMessage, privateKey: rsa[which]))
            _ = try await api.submit(try Entry(pollID: pollID, credential: credential, channel: .online, payload: .sign(nil), signingWith: key))
            signers.append((credential, key))
        }
        // Ten of them withdraw: the append transaction reads and rewrites their stored
        // contributions among 10 M rows (one primary-key probe each).
        let withdrawStart = DispatchTime.now().uptimeNanoseconds
        for (credential, key) in signers.prefix(10) {
            _ = try await api.submit(try Entry(pollID: pollID, credential: credential, channel: .online, payload: .withdraw, signingWith: key))
        }
        figures.context.append(("service.withdraw_ms_10m", Double(DispatchTime.now().uptimeNanoseconds - withdrawStart) / 1e6 / 10, "ms"))
        // Reads: the poll, its counts, the latest checkpoint, proofs at its size.
        let poll = try await api.poll(pollID)
        let tally: TallySummary = try await api.client.get("polls/\(pollID.hex)/tally")
        guard tally.logSize >= Int64(size) + 30, tally.participants >= UInt64(manifest.entries) + 10 else {
            throw BenchFailure("the service's counts (\(tally.participants) participants, size \(tally.logSize)) miss entries")
        }
        _ = poll
        let note = try await api.latestCheckpoint(pollID)
        guard let sizeLine = note.split(separator: "\n").dropFirst().first, let treeSize = UInt64(sizeLine) else {
            throw BenchFailure("unexpected checkpoint note")
        }
        for _ in 0..<200 {
            _ = try await api.inclusionProof(pollID, position: UInt64.random(in: 0..<treeSize), size: treeSize)
        }
        for _ in 0..<50 {
            _ = try await api.consistencyProof(pollID, from: UInt64.random(in: 1..<treeSize), to: treeSize)
        }
        figures.context.append(("service.rss_mb_10m_end", memory(pid: pid, "VmRSS"), "MiB"))
        figures.rssMB = memory(pid: pid, "VmHWM")
        kill(pid, SIGTERM)
        child.waitUntilExit()
        return figures
    }

    /// A `/proc/<pid>/status` memory line (`VmRSS`, `VmHWM`) in MiB, or -1.
    static func memory(pid: Int32, _ field: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kib = Double(parts[1]) { return kib / 1024 }
        }
        return -1
    }
}
