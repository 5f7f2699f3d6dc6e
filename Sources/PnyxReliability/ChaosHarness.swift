import Foundation
import PnyxCore
#if canImport(Glibc)
import Glibc
#endif

/// The crash-safety harness (`make chaos`, and its short form in `make test`).
///
/// Starts a durable private PostgreSQL, the broker and the service as separate OS processes
/// (the built `pnyx` executable), prepares valid entries through the broker's HTTP API, then:
/// 1. **kill runs**: drives load at the service and SIGKILLs it at a random moment, restarts it;
/// 2. **outages**: stops PostgreSQL with `pg_ctl stop -m immediate` under load, checks that
///    `/healthz` and a submission answer 503 with a `db.*` code, restarts PostgreSQL and waits
///    for the service to recover by itself (same process);
/// 3. **two services**: a second service process on the same database, load on both, same polls;
/// 4. **abuse**: replayed, forged and oversized entries in bulk, the broker's login lockout,
///    its per-address rate limit and body limit;
/// and at the end checks that every receipt returned is included under the latest checkpoint
/// and that `pnyx-audit verify` passes on every poll.
public struct ChaosHarness: Sendable {
    /// What to run.
    public struct Options: Sendable {
        public var seed: UInt64
        /// SIGKILL runs of the service.
        public var killRuns: Int
        /// PostgreSQL outages under load.
        public var outages: Int
        /// Residents enrolled (each gets one credential per poll).
        public var residents: Int
        /// Petitions appended to concurrently.
        public var polls: Int
        /// Concurrent submitters.
        public var width: Int
        /// Submissions per second at most (the prepared entries must last every phase).
        public var rate: Double
        /// A kill happens this many seconds after the load starts (uniform, seeded).
        public var killWindow: ClosedRange<Double>
        /// Seconds of load on two service processes.
        public var twoServiceSeconds: Double
        /// Entries sent in each abuse class (replayed, forged).
        public var abuseCount: Int
        /// The `pnyx` and `pnyx-audit` executables.
        public var pnyxPath: String
        public var auditorPath: String
        /// The folder of the cluster, keys and process logs (deleted after a successful run).
        public var directory: String

        /// `make chaos`: 20 kill runs, 2 outages.
        public static func full(seed: UInt64, binDirectory: String) -> Options {
            Options(seed: seed, killRuns: 20, outages: 2, residents: 120, polls: 30, width: 8, rate: 100, killWindow: 0.3...1.5,
                    twoServiceSeconds: 4, abuseCount: 300, pnyxPath: binDirectory + "/pnyx",
                    auditorPath: binDirectory + "/pnyx-audit", directory: temporaryDirectory())
        }

        /// The short version in `make test`: 3 kills, 1 outage.
        public static func short(seed: UInt64, binDirectory: String) -> Options {
            Options(seed: seed, killRuns: 3, outages: 1, residents: 30, polls: 16, width: 6, rate: 80, killWindow: 0.2...0.8,
                    twoServiceSeconds: 1.5, abuseCount: 30, pnyxPath: binDirectory + "/pnyx",
                    auditorPath: binDirectory + "/pnyx-audit", directory: temporaryDirectory())
        }

        static func temporaryDirectory() -> String {
            var template = Array("/tmp/pnyx-chaos-XXXXXX".utf8CString)
            _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            chmod(path, 0o755)  // PostgreSQL runs as `postgres` when we are root: it must enter the folder
            return path
        }
    }

    /// The figures of a run.
    public struct Report: Sendable, CustomStringConvertible {
        public var seed: UInt64 = 0
        public var killRuns = 0
        public var outages = 0
        public var entriesPrepared = 0
        /// Receipts returned (each one an acknowledged entry).
        public var acknowledged = 0
        /// Acknowledged entries by service process (two-process phase: A and B).
        public var acknowledgedByService: [Int] = [0, 0]
        /// Acknowledged entries not found in the log under the latest checkpoint (must be 0).
        public var lost = 0
        /// Entries whose submission broke (kill, outage) and that a resubmission found committed.
        public var committedInDoubt = 0
        /// Entries left in doubt at the end (never resubmitted).
        public var stillInDoubt = 0
        /// Polls audited with `pnyx-audit verify` and how many passed.
        public var pollsAudited = 0
        public var auditsPassed = 0
        /// Log entries over all polls at the end.
        public var logEntries: Int64 = 0
        /// Outages: codes seen on /healthz and on a submission during the outage; recovery seconds.
        public var outageCodes: [String] = []
        public var recoverySeconds: [Double] = []
        /// Restart-to-healthy seconds after each kill.
        public var restartSeconds: [Double] = []
        /// Abuse: requests sent and how they were answered.
        public var abuseSent = 0
        public var abuseAnswers: [String: Int] = [:]
        public var abuseAccepted = 0
        /// Answers to the load, by code.
        public var answers: [String: Int] = [:]
        public var problems: [String] = []
        public var seconds: Double = 0

        public var description: String {
            var lines = [
                "chaos seed \(seed)",
                "  kill runs:                 \(killRuns) (restart to healthy: \(Self.range(restartSeconds)) s)",
                "  PostgreSQL outages:        \(outages) (codes: \(outageCodes.joined(separator: ", ")); recovered in \(Self.range(recoverySeconds)) s)",
                "  entries prepared:          \(entriesPrepared)",
                "  entries acknowledged:      \(acknowledged) (service A \(acknowledgedByService[0]), service B \(acknowledgedByService[1]))",
                "  acknowledged entries lost: \(lost)",
                "  in doubt, found committed: \(committedInDoubt); still in doubt: \(stillInDoubt)",
                "  log entries (all polls):   \(logEntries)",
                "  polls audited:             \(auditsPassed)/\(pollsAudited) passed pnyx-audit verify",
                "  abuse requests:            \(abuseSent), accepted: \(abuseAccepted); answers: \(Self.sorted(abuseAnswers))",
                "  load answers:              \(Self.sorted(answers))",
                String(format: "  duration:                  %.0f s", seconds),
            ]
            if !problems.isEmpty { lines.append("  PROBLEMS:\n" + problems.map { "    - \($0)" }.joined(separator: "\n")) }
            return lines.joined(separator: "\n")
        }

        /// True when every guarantee held.
        public var passed: Bool { problems.isEmpty && lost == 0 && auditsPassed == pollsAudited && abuseAccepted == 0 }

        static func range(_ values: [Double]) -> String {
            guard let low = values.min(), let high = values.max() else { return "–" }
            return String(format: "%.2f–%.2f", low, high)
        }

        static func sorted(_ counts: [String: Int]) -> String {
            counts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
        }
    }

    public let options: Options
    let say: @Sendable (String) -> Void

    public init(options: Options, say: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.options = options
        self.say = say
    }

    /// Runs every phase and returns the figures; throws only when the setup fails.
    public func run() async throws -> Report {
        let started = Date()
        var random = SeededGenerator(seed: options.seed)
        var report = Report()
        report.seed = options.seed
        say("chaos: seed \(options.seed) (replay with --seed \(options.seed)), folder \(options.directory)")
        for path in [options.pnyxPath, options.auditorPath] where !FileManager.default.isExecutableFile(atPath: path) {
            throw ReliabilityError(.setupFailed, "\(path) is not built (swift build --product pnyx --product pnyx-audit)")
        }
        let world = try await ChaosWorld.start(directory: options.directory, pnyxPath: options.pnyxPath, say: say)
        do {
            try await phases(world: world, random: &random, report: &report)
        } catch {
            await world.shutdown()
            throw error
        }
        await world.shutdown()
        report.seconds = Date().timeIntervalSince(started)
        if report.passed { try? FileManager.default.removeItem(atPath: options.directory) }
        return report
    }

    private func phases(world: ChaosWorld, random: inout SeededGenerator, report: inout Report) async throws {
        // Entries, prepared through the real protocol before any load.
        let tokens = try await world.enrolResidents(options.residents, say: say)
        let (polls, opensAt) = try await world.openPolls(options.polls, lead: 20)
        var entries = try await world.prepareEntries(tokens: tokens, polls: polls)
        entries.shuffle(using: &random)
        report.entriesPrepared = entries.count
        say("prepared \(entries.count) entries for \(polls.count) petitions (credentials over the broker's HTTP API)")
        let wait = Double(opensAt) + 1 - Date().timeIntervalSince1970
        if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
        let ledger = ChaosLedger(entries: entries)

        // 1. SIGKILL runs.
        for run in 1...max(options.killRuns, 1) where options.killRuns > 0 {
            let delay = Double.random(in: options.killWindow, using: &random)
            let driver = LoadDriver(ledger: ledger, clients: [(0, world.serviceClient(timeout: 10))], rate: options.rate)
            let load = Task { await driver.run(width: options.width) }
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            let before = await ledger.acknowledged.count
            await world.services[0].stop(signal: SIGKILL)
            driver.stop()
            await load.value
            let restart = Date()
            try await world.startService(0)
            report.restartSeconds.append(Date().timeIntervalSince(restart))
            report.killRuns += 1
            say(String(format: "kill run %d/%d: SIGKILL after %.2f s of load; %d acknowledged so far (+%d before the kill), %d in doubt, %d left",
                       run, options.killRuns, delay, await ledger.acknowledged.count, before, await ledger.inDoubt, await ledger.remaining))
            if await ledger.remaining == 0 { report.problems.append("the prepared entries ran out at kill run \(run)"); break }
        }

        // 2. PostgreSQL outages under load.
        for outage in 1...max(options.outages, 1) where options.outages > 0 {
            try await pgOutage(world: world, ledger: ledger, number: outage, random: &random, report: &report)
        }

        // 3. Two service processes on one database, same polls.
        try await world.startService(1)
        let driver = LoadDriver(ledger: ledger, clients: [(0, world.serviceClient(timeout: 10)), (1, world.serviceClient(1, timeout: 10))], rate: options.rate)
        let load = Task { await driver.run(width: options.width) }
        try await Task.sleep(for: .milliseconds(Int(options.twoServiceSeconds * 1000)))
        driver.stop()
        await load.value
        // Whatever is still in doubt is resubmitted to A (both up now).
        var rounds = 0
        while await ledger.inDoubt > 0, rounds < 50 {
            let settle = LoadDriver(ledger: ledger, clients: [(0, world.serviceClient(timeout: 10))], rate: options.rate)
            let once = Task { await settle.run(width: 1) }
            try await Task.sleep(for: .milliseconds(100))
            settle.stop()
            await once.value
            rounds += 1
        }
        let byService = await ledger.acknowledged.reduce(into: [0, 0]) { $0[$1.service] += 1 }
        say("two services: A acknowledged \(byService[0]) entries in all, B \(byService[1]) (B only ran in this phase)")
        if byService[1] == 0 { report.problems.append("service B acknowledged nothing in the two-process phase") }

        // 4. Abuse.
        try await ChaosAbuse(world: world, count: options.abuseCount, say: say)
            .run(acknowledged: await ledger.acknowledged, polls: polls, report: &report)

        // Final checks: every receipt included under the latest checkpoint, every poll audited.
        let acknowledged = await ledger.acknowledged
        report.acknowledged = acknowledged.count
        report.acknowledgedByService = byService
        report.committedInDoubt = await ledger.committedInDoubt
        report.stillInDoubt = await ledger.inDoubt
        report.answers = await ledger.answers
        for problem in await ledger.unexpected.prefix(20) { report.problems.append("refused a valid entry: \(problem)") }
        try await waitForCheckpoints(world: world, polls: polls)
        let failures = try await world.verifyAcknowledged(acknowledged, polls: polls)
        report.lost = failures.count
        for failure in failures.prefix(20) { report.problems.append("lost: \(failure)") }
        say("verified \(acknowledged.count) receipts against the latest checkpoints: \(failures.count) missing")
        for poll in polls {
            let (status, output) = try await world.audit(poll, auditorPath: options.auditorPath, service: Int(poll.bytes[0]) % 2)
            report.pollsAudited += 1
            if status == 0 { report.auditsPassed += 1 } else {
                report.problems.append("pnyx-audit verify \(poll.hex) exited \(status):\n" + output.split(separator: "\n").suffix(15).joined(separator: "\n"))
            }
            report.logEntries += Int64(try await world.latestCheckpoint(poll).size)
        }
        say("pnyx-audit verify: \(report.auditsPassed)/\(report.pollsAudited) polls pass")
    }

    /// Stops PostgreSQL immediately under load, checks the 503 answers, restarts it and waits
    /// until the same service process answers `/healthz` with 200 again.
    private func pgOutage(world: ChaosWorld, ledger: ChaosLedger, number: Int, random: inout SeededGenerator,
                          report: inout Report) async throws {
        let delay = Double.random(in: options.killWindow, using: &random)
        let driver = LoadDriver(ledger: ledger, clients: [(0, world.serviceClient(timeout: 10))], rate: options.rate)
        let load = Task { await driver.run(width: options.width) }
        try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        let pid = world.services[0].pid
        try await world.cluster.stopImmediately()

        // During the outage: /healthz and a submission answer 503 with a db.* code.
        let health = HTTPProbe(world.serviceURLs[0], timeout: 10)
        do {
            _ = try await health.send("GET", "healthz")
            report.problems.append("outage \(number): /healthz answered 200 with PostgreSQL stopped")
        } catch {
            let failure = probeFailure(error)
            report.outageCodes.append("healthz \(failure.status) \(failure.code)")
            if failure.status != 503 || !failure.code.hasPrefix("db.") {
                report.problems.append("outage \(number): /healthz answered \(failure) instead of 503 db.*")
            }
        }
        if let probe = await ledger.take() {
            do {
                let _: Receipt = try await world.serviceClient(timeout: 10).json("POST", "polls/\(probe.poll.hex)/entries", probe.entry)
                report.problems.append("outage \(number): a submission was acknowledged with PostgreSQL stopped")
            } catch {
                let failure = probeFailure(error)
                report.outageCodes.append("submit \(failure.status) \(failure.code)")
                if failure.status != 503 || !failure.code.hasPrefix("db.") {
                    report.problems.append("outage \(number): a submission answered \(failure) instead of 503 db.*")
                }
            }
            await ledger.giveBack(probe)
        }
        try await Task.sleep(for: .milliseconds(Int(Double.random(in: 0.5...1.5, using: &random) * 1000)))
        try await world.cluster.restart()
        let restarted = Date()
        try await world.waitHealthy(world.serviceURLs[0], process: world.services[0], seconds: 60)
        let recovery = Date().timeIntervalSince(restarted)
        report.recoverySeconds.append(recovery)
        // Keep the load on a little after the recovery, then stop.
        try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        driver.stop()
        await load.value
        if world.services[0].pid != pid || pid == nil {
            report.problems.append("outage \(number): the service process did not survive the outage")
        }
        report.outages += 1
        say(String(format: "outage %d: PostgreSQL stopped -m immediate after %.2f s of load; service healthy %.2f s after the restart; %d acknowledged, %d in doubt",
                   number, delay, recovery, await ledger.acknowledged.count, await ledger.inDoubt))
    }

    /// Waits (≤ 30 s) until every poll's latest checkpoint covers its whole log.
    private func waitForCheckpoints(world: ChaosWorld, polls: [PollID]) async throws {
        let deadline = Date().addingTimeInterval(30)
        for poll in polls {
            var previous: UInt64 = 0
            while Date() < deadline {
                let size = try await world.latestCheckpoint(poll).size
                if size == previous { break }
                previous = size
                try await Task.sleep(for: .milliseconds(600))
            }
        }
    }
}
