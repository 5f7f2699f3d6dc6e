import COpenSSL
import Foundation
import Logging
import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxPostgres

/// Identity broker benchmark, against a private durable PostgreSQL cluster (fsync and
/// synchronous_commit on) and the real broker over HTTP on loopback (`buildBrokerApplication`,
/// as served: since 2026-11-24 the credential route is answered by its fast path before the
/// router, with the same work and answers; earlier figures went through the router):
///
/// - `broker.issue_ratio`: credentials issued per second over HTTP ÷ the raw RSA-2048
///   private-key operation rate (OpenSSL `EVP_PKEY_decrypt`, no padding, one context per
///   thread) on the same cores, in the same run. Bar ≥ 0.5.
///
/// Before timing: the demo municipality (10 000 residents) is imported, ``rounds`` polls with
/// one class each are registered, `residents` residents enrol and log in, and each gets a
/// blinded credential message per poll made client-side; then the cluster settles
/// (``settle(_:)``). Timed, one round per poll: `POST /v1/polls/{poll}/credential` for every
/// one of them from `connections` keep-alive connections of ``HTTPLoadGenerator`` (pre-encoded
/// requests, its own thread), each sending its next request when the previous answer arrived
/// (closed loop). Every answer must be 200, and every issuance must have its row at the end.
/// The raw rate is measured on as many threads as cores before the first round and after
/// each round; a round's ratio
/// uses the mean of the raw rates just before and just after it, and `broker.issue_ratio`
/// is the median of the rounds' ratios (one round lasts about a second, so a single round
/// scatters by a few hundredths; `broker.issue_ratio_min`/`_max` show the spread). The
/// other figures are the median round's.
///
/// Context figures, less sensitive to other load on the machine than rates: the CPU time per
/// credential of the bench process (broker and load generator: `broker.issue_cpu_us`) and of
/// the PostgreSQL cluster (postmaster and its children: `broker.issue_pg_cpu_us`) during the
/// timed run, next to the CPU time of one raw private-key operation
/// (`broker.raw_private_op_cpu_us`, this thread's CPU over 500 operations). On an idle machine
/// with the run CPU-bound, the ratio is about
/// `raw_private_op_cpu_us ÷ (issue_cpu_us + issue_pg_cpu_us)`. `broker.issue_lookup_batch_mean`
/// is how many requests one lookup statement answered on average during the timed run (the
/// broker groups the concurrent requests' lookups). On a loaded machine the rates,
/// hence the ratio, mostly say how the scheduler shared the cores (the broker run has many more
/// threads than the raw run), so read the CPU figures there.
enum BrokerBenchmarks {
    /// Residents timed (`PNYX_BENCH_BROKER_RESIDENTS` overrides, for a smoke run).
    static let residents = ProcessInfo.processInfo.environment["PNYX_BENCH_BROKER_RESIDENTS"].flatMap(Int.init) ?? 4_000
    static let warmUp = min(200, residents)
    /// Keep-alive connections of the closed-loop load (`PNYX_BENCH_BROKER_CONNECTIONS`
    /// overrides, to explore; the recorded figures use the default). 128: with 64 the broker
    /// idled about a tenth of the time waiting for its group commits and its lookup batches
    /// were half as large (quiet machine, 2026-11-24: ratio 0.43 at 64, 0.56 at 128, 0.57 at
    /// 256 with a p99 of 91 ms); the bar is about the peak rate.
    static let connections = ProcessInfo.processInfo.environment["PNYX_BENCH_BROKER_CONNECTIONS"].flatMap(Int.init) ?? 128
    /// Timed rounds, one poll each (the same residents and sessions). Five, for a median that
    /// a round disturbed by the host (one round lasts about a second) does not move.
    static let rounds = 5

    static func run(_ report: inout BenchReport) throws {
        let figures = try LogBenchmarks.blocking { try await measure() }
        for (key, value, unit) in figures.context { report.record(key, value, unit: unit) }
        report.record("broker.issue_ratio", figures.ratio, unit: "ratio", atLeast: 0.5)
    }

    struct Figures: Sendable {
        var context: [(String, Double, String)] = []
        var ratio = 0.0
    }

    static func measure() async throws -> Figures {
        let cluster = try await startCluster()
        defer { try? cluster.stop() }
        var logger = Logger(label: "pnyx.bench.broker")
        logger.logLevel = .error
        let serviceKey = Ed25519.PrivateKey()
        var configuration = BrokerConfiguration(
            adminToken: "bench-admin-token-0123456789", signer: try BrokerSigner.generate(),
            trustedServiceKeys: [serviceKey.publicKey], databaseURL: cluster.url)
        configuration.argon2 = .unsafeTestOnly  // logins are prepared, not timed
        configuration.ratePerSecond = 1_000_000
        configuration.rateBurst = 1_000_000
        configuration.databasePoolSize = 16
        configuration.host = "127.0.0.1"
        configuration.port = 0
        let broker = try await Broker.start(configuration: configuration, logger: logger)

        // Register, poll, sessions and blinded messages, untimed.
        let demo = DemoMunicipality()
        _ = try await broker.residents.importRegister(areasCSV: demo.areasCSV, residentsCSV: demo.residentsCSV)
        let now = Int64(Date().timeIntervalSince1970)
        var sets: [PollKeySet] = []
        for round in 0..<rounds {
            let definition = PollDefinition(
                pollID: .random(), kind: .petition, title: "Benchmark \(round + 1)", text: "Issuance benchmark.",
                opensAt: now + 3600, closesAt: now + 86_400,
                eligibility: Eligibility(areaScope: [], minimumAge: 18, referenceDate: DemoMunicipality.referenceDate),
                disclosure: Disclosure(areaLevel: .none, ageBands: false), allowPartialNames: false,
                serviceKey: serviceKey.publicKey, brokerKey: broker.publicKey)
            sets.append(try await broker.polls.register(try SignedPollDefinition(signing: definition, with: serviceKey)))
        }
        let members = try await broker.pool.query(
            "SELECT resident_id FROM broker_poll_members WHERE poll_id = $1 ORDER BY resident_id LIMIT $2",
            [.bytea(sets[0].definition.pollID.bytes), .int64(Int64(residents + warmUp))]
        ).map { try $0.decode(String.self, at: 0) }
        precondition(members.count == residents + warmUp, "not enough eligible demo residents")
        let codes = try await broker.enrolment.issueCodes(residentIDs: members)
        // requests[round][resident], prepared 16 residents at a time (enrolment, login, one
        // blinded message per poll; the order does not matter).
        let prepareStart = DispatchTime.now().uptimeNanoseconds
        let keySets = sets
        let prepared = try await withThrowingTaskGroup(of: [HTTPLoadGenerator.Request].self) { group in
            var next = 0
            func add() {
                let code = codes[next]
                next += 1
                group.addTask {
                    _ = try await broker.enrolment.enrol(code: code.code, passphrase: "benchmark passphrase")
                    let token = try await broker.enrolment.login(residentID: code.residentID, passphrase: "benchmark passphrase").token
                    return try keySets.map { set in
                        let pollID = set.definition.pollID
                        let message = CredentialMessage(
                            pollID: pollID, attributeClass: .anonymous, oneTimeKey: Ed25519.PrivateKey().publicKey)
                        let blinded = try CredentialRequest(message: message, directory: set.directory.directory).blindedMessage
                        let body = Array(#"{"blindedMessage":"\#(Base64.encode(blinded))"}"#.utf8)
                        return HTTPLoadGenerator.postJSON(
                            "/v1/polls/\(pollID.hex)/credential", body, headers: [("Authorization", "Bearer \(token)")])
                    }
                }
            }
            for _ in 0..<min(16, codes.count) { add() }
            var perResident: [[HTTPLoadGenerator.Request]] = []
            while let one = try await group.next() {
                perResident.append(one)
                if next < codes.count { add() }
            }
            return perResident
        }
        let requests = (0..<rounds).map { round in prepared.map { $0[round] } }
        print(String(format: "  (prepared %d sessions and %d blinded messages in %.1f s)", codes.count, codes.count * rounds,
                     Double(DispatchTime.now().uptimeNanoseconds - prepareStart) / 1e9))
        let pollID = sets[0].definition.pollID
        if ProcessInfo.processInfo.environment["PNYX_BENCH_BROKER_SETTLE"] != "0" {
            try await settle(broker.pool)
        }

        // The raw private-key operation on the poll's own key.
        let privateKeyDER = try await broker.pool.query(
            "SELECT private_key FROM broker_poll_keys WHERE poll_id = $1", [.bytea(pollID.bytes)]
        ).scalar([UInt8].self)
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let raw = RawPrivateOperation(pkcs8: privateKeyDER, threads: threads)
        let input = Array(repeating: UInt8(1), count: 256)  // below any 2048-bit modulus
        let rawBefore = rawRate(raw, input: input, threads: threads)

        // The real broker on loopback, as `pnyx` serves it (the credential route answered by its
        // fast path before the router).
        let port = PortBox()
        let app = buildBrokerApplication(
            broker: broker, address: .hostname("127.0.0.1", port: 0),
            onServerRunning: { channel in port.set(channel.localAddress?.port ?? 0) })
        var figures = Figures()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            let serverPort = try await port.wait()
            // A closed-loop run of `requests` over `connections` (the load generator's own thread).
            func load(_ requests: [HTTPLoadGenerator.Request], connections: Int) async throws -> HTTPLoadGenerator.Result {
                try await HTTPLoadGenerator(.init(port: serverPort, connections: connections, duration: .seconds(600))).run(requests)
            }
            let metrics = broker.metrics
            var rounds: [(ratio: Double, context: [(String, Double, String)])] = []
            var rawBefore = rawBefore
            for (round, requests) in requests.enumerated() {
                // Warm-up on residents not counted.
                let warm = try await load(Array(requests.prefix(warmUp)), connections: min(connections, warmUp))
                guard warm.completed == warmUp, warm.errors == 0 else { throw BenchError("warm-up failed: \(warm.summary)") }
                let timed = Array(requests.dropFirst(warmUp))
                let lookupsBefore = (metrics.credentialLookupBatches.value, metrics.credentialLookups.value)
                let cpuBefore = (CPUTime.process(), CPUTime.cluster(cluster))
                let result = try await load(timed, connections: connections)
                let cpuAfter = (CPUTime.process(), CPUTime.cluster(cluster))
                let lookupBatches = metrics.credentialLookupBatches.value - lookupsBefore.0
                let lookups = metrics.credentialLookups.value - lookupsBefore.1
                guard result.completed == timed.count, result.errors == 0 else {
                    throw BenchError("credential requests failed: \(result.summary), statuses \(result.statuses)")
                }
                let rawAfter = rawRate(raw, input: input, threads: threads)
                let rawMean = (rawBefore + rawAfter) / 2
                let issued = Double(result.completed) / result.seconds
                let context: [(String, Double, String)] = [
                    ("broker.issue_per_s", issued, "issued/s"),
                    ("broker.issue_p50_ms", result.p50Ms, "ms"),
                    ("broker.issue_p99_ms", result.p99Ms, "ms"),
                    ("broker.raw_private_op_per_s", rawMean, "ops/s"),
                    ("broker.issue_cpu_us", (cpuAfter.0 - cpuBefore.0) / Double(result.completed) * 1e6, "µs/credential"),
                    ("broker.issue_pg_cpu_us", (cpuAfter.1 - cpuBefore.1) / Double(result.completed) * 1e6, "µs/credential"),
                    ("broker.raw_private_op_cpu_us", rawCPU(raw, input: input) * 1e6, "µs/op"),
                    ("broker.issue_lookup_batch_mean", lookupBatches > 0 ? lookups / lookupBatches : 0, "requests/statement"),
                ]
                rounds.append((issued / rawMean, context))
                print("  (round \(round + 1): \(result.completed) credentials over \(connections) connections in "
                      + "\(String(format: "%.2f", result.seconds)) s, ratio \(String(format: "%.3f", issued / rawMean)); "
                      + "raw private op \(Int(rawBefore)) before, \(Int(rawAfter)) after, on \(threads) threads)")
                rawBefore = rawAfter
            }
            let ordered = rounds.sorted { $0.ratio < $1.ratio }
            let median = ordered[ordered.count / 2]
            figures.ratio = median.ratio
            figures.context = median.context + [
                ("broker.issue_ratio_min", ordered.first!.ratio, "ratio"), ("broker.issue_ratio_max", ordered.last!.ratio, "ratio"),
            ]
            group.cancelAll()
        }
        let rows = try await broker.pool.query("SELECT count(*) FROM broker_issuances").scalar(Int.self)
        precondition(rows == requests.joined().count, "issuance rows \(rows) ≠ \(requests.joined().count)")
        await broker.shutdown()
        return figures
    }

    /// Lets the cluster settle after the bulk preparation (thousands of enrolments, sessions
    /// and poll members written in a few seconds), so that its aftermath — autovacuum and
    /// autoanalyze of those tables, a checkpoint writing their dirty pages — does not land in
    /// the first timed round: `VACUUM ANALYZE` then `CHECKPOINT`, as an operator's steady state.
    static func settle(_ pool: PostgresPool) async throws {
        let start = DispatchTime.now().uptimeNanoseconds
        try await pool.withBlockingConnection { conn in
            try conn.executeScript("VACUUM ANALYZE")
            try conn.executeScript("CHECKPOINT")
        }
        print(String(format: "  (settled: VACUUM ANALYZE and CHECKPOINT in %.1f s)",
                     Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
    }

    /// A private, durable cluster (fsync and synchronous_commit on) in a temporary folder,
    /// stopped and removed at exit.
    static func startCluster() async throws -> PrivateCluster {
        var template = Array("/tmp/pnyx-bench-broker-pg-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw PostgresError(.clusterFailed, "mkdtemp failed")
        }
        let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return try await PrivateCluster.start(PrivateCluster.Options(
            directory: directory, database: "bench", durable: true,
            settings: ["shared_buffers": "256MB", "max_wal_size": "4GB", "checkpoint_timeout": "30min"],
            stopAtExit: true, removeDirectoryOnStop: true))
    }

    /// The CPU time (this thread's) of one raw private-key operation, in seconds: the mean
    /// of 500.
    static func rawCPU(_ raw: RawPrivateOperation, input: [UInt8]) -> Double {
        func threadCPU() -> Double {
            var time = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
        }
        let start = threadCPU()
        for _ in 0..<500 { raw.run(thread: 0, input: input) }
        return (threadCPU() - start) / 500
    }

    /// Median of 5 half-second slices of the raw private-key operation on `threads` threads.
    static func rawRate(_ raw: RawPrivateOperation, input: [UInt8], threads: Int) -> Double {
        let rates = (0..<5).map { _ in Measure.opsPerSecond(seconds: 0.5, threads: threads) { raw.run(thread: $0, input: input) } }
        return CryptoBenchmarks.median(rates)
    }
}

/// CPU time (user + system) of processes, from the kernel's accounting.
enum CPUTime {
    /// This process, in seconds.
    static func process() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// The cluster's postmaster and its direct children (backends, WAL writer, checkpointer…),
    /// in seconds, from `/proc/<pid>/stat` (0 if it cannot be read).
    static func cluster(_ cluster: PrivateCluster) -> Double {
        guard let pidFile = try? String(contentsOfFile: cluster.dataDirectory + "/postmaster.pid", encoding: .utf8),
              let postmaster = pidFile.split(separator: "\n").first.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else { return 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var total = 0.0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After the command name: state, ppid, … utime (14th field), stime (15th).
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let ppid = Int(fields[1]), pid == postmaster || ppid == postmaster,
                  let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            total += (user + system) / ticks
        }
        return total
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The port the server bound, once it is known.
final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?

    func set(_ value: Int) { lock.withLock { port = value } }

    func wait() async throws -> Int {
        for _ in 0..<6000 {
            if let port = lock.withLock({ port }), port > 0 { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BenchError("the broker did not start listening")
    }
}

/// The raw RSA private-key operation (`EVP_PKEY_decrypt` with `RSA_NO_PADDING`), one
/// context and output buffer per thread.
final class RawPrivateOperation: @unchecked Sendable {
    let key: OpaquePointer
    var contexts: [OpaquePointer] = []
    var outputs: [UnsafeMutableBufferPointer<UInt8>] = []

    init(pkcs8: [UInt8], threads: Int) {
        key = pkcs8.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buffer.count)!
        }
        for _ in 0..<threads {
            let context = EVP_PKEY_CTX_new_from_pkey(nil, key, nil)!
            precondition(EVP_PKEY_decrypt_init(context) == 1 && EVP_PKEY_CTX_set_rsa_padding(context, RSA_NO_PADDING) == 1)
            contexts.append(context)
            let output = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 512)
            output.initialize(repeating: 0)
            outputs.append(output)
        }
    }

    deinit {
        contexts.forEach { EVP_PKEY_CTX_free($0) }
        outputs.forEach { $0.deallocate() }
        EVP_PKEY_free(key)
    }

    func run(thread: Int, input: [UInt8]) {
        var length = outputs[thread].count
        let status = input.withUnsafeBufferPointer {
            EVP_PKEY_decrypt(contexts[thread], outputs[thread].baseAddress, &length, $0.baseAddress, $0.count)
        }
        precondition(status == 1 && length == 256)
    }
}
