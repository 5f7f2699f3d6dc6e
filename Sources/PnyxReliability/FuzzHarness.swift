import Foundation
import PnyxAudit
import PnyxCore
import PnyxCrypto
import PnyxTransparency

/// The seeded mutation fuzzer (`make fuzz`, and its short form in `make test`).
///
/// Targets, each fed mutations of valid inputs from ``FuzzFixture``:
/// - `entry.canonical`: the canonical entry decoder, then `Entry.verify` under the poll's
///   definition and key directory;
/// - `entry.json`: `Entry` JSON decoding (what `POST /v1/polls/{id}/entries` runs), then
///   `Entry.verify`;
/// - `api.json`: poll definitions (the JSON of `POST /v1/admin/polls` and `/v1/proposals`
///   becomes one) with their validation, and `LogRecord` leaf payloads;
/// - `export`: one file of a poll's export mutated, then the auditor's `PollAuditor` on it.
///
/// Oracles: no crash (a fatal signal writes the input to the crash file), no hang (the
/// per-input guard), no accepted invalid entry (an entry that decodes and verifies must be
/// byte-identical to a valid one), canonical decoding is unique (a decoded entry re-encodes
/// to the input bytes), and a mutated export the auditor passes has the original tree.
public struct FuzzHarness {
    public struct Options: Sendable {
        public var seed: UInt64
        /// Inputs in all (shared among the targets by weight).
        public var inputs: Int
        /// Seconds one input may take before it counts as a hang.
        public var guardSeconds: Double
        /// Where a crashing or hanging input is written.
        public var crashFile: String

        public init(seed: UInt64, inputs: Int, guardSeconds: Double = 10, crashFile: String = "fuzz-crash.bin") {
            self.seed = seed
            self.inputs = inputs
            self.guardSeconds = guardSeconds
            self.crashFile = crashFile
        }
    }

    /// Figures per target.
    public struct TargetFigures: Sendable {
        public var inputs = 0
        /// Inputs that decoded (or, for exports, that the auditor read to the end).
        public var decoded = 0
        /// Inputs accepted (verified) — all must be byte-identical to valid ones.
        public var accepted = 0
        public var invalidAccepted = 0
        public var nonCanonical = 0
        public var slowestSeconds = 0.0
        public var seconds = 0.0

        mutating func count(_ elapsed: Double) {
            inputs += 1
            if elapsed > slowestSeconds { slowestSeconds = elapsed }
        }
    }

    public struct Report: Sendable, CustomStringConvertible {
        public var seed: UInt64 = 0
        public var targets: [(String, TargetFigures)] = []
        public var problems: [String] = []
        public var seconds = 0.0

        public var inputs: Int { targets.reduce(0) { $0 + $1.1.inputs } }
        public var passed: Bool { problems.isEmpty }

        public var description: String {
            var lines = ["fuzz seed \(seed): \(inputs) inputs, 0 crashes, 0 hangs (the process would have stopped), \(String(format: "%.0f", seconds)) s"]
            for (name, figures) in targets {
                let padded = name.padding(toLength: 16, withPad: " ", startingAt: 0)
                lines.append("  " + padded + String(format: " %8d inputs  %8d decoded  %6d accepted  %d invalid accepted  %d non-canonical  slowest %.1f ms  %.1f s",
                                    figures.inputs, figures.decoded, figures.accepted, figures.invalidAccepted,
                                    figures.nonCanonical, figures.slowestSeconds * 1000, figures.seconds))
            }
            if !problems.isEmpty { lines.append("  PROBLEMS:\n" + problems.prefix(30).map { "    - \($0)" }.joined(separator: "\n")) }
            return lines.joined(separator: "\n")
        }
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Shares of the inputs: canonical entries, JSON entries, other API bodies, exports.
    static let weights: [(String, Double)] = [("entry.canonical", 0.50), ("entry.json", 0.36), ("api.json", 0.12), ("export", 0.02)]

    public func run(progress: (String) -> Void = { _ in }) throws -> Report {
        let started = Date()
        FuzzGuard.install(crashFile: options.crashFile, guardSeconds: options.guardSeconds)
        var random = SeededGenerator(seed: options.seed)
        let fixture = try FuzzFixture(random: &random)
        var report = Report()
        report.seed = options.seed
        for (index, (name, weight)) in Self.weights.enumerated() {
            let count = max(1, Int(Double(options.inputs) * weight))
            var mutator = Mutator(random: SeededGenerator(seed: options.seed &+ UInt64(index + 1) &* 0x1000_0000_01B3), corpus: [])
            let targetStarted = Date()
            var figures: TargetFigures
            switch name {
            case "entry.canonical": figures = canonicalEntries(count, fixture: fixture, mutator: &mutator, report: &report)
            case "entry.json": figures = jsonEntries(count, fixture: fixture, mutator: &mutator, report: &report)
            case "api.json": figures = apiBodies(count, fixture: fixture, mutator: &mutator, report: &report)
            default: figures = exports(count, fixture: fixture, mutator: &mutator, report: &report)
            }
            figures.seconds = Date().timeIntervalSince(targetStarted)
            report.targets.append((name, figures))
            progress("fuzz: \(name) — \(figures.inputs) inputs in " + String(format: "%.1f s", figures.seconds))
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    // MARK: Targets

    /// Times one input under the guard.
    private func timed(_ input: [UInt8], _ target: StaticString, _ body: () -> Void) -> Double {
        FuzzGuard.begin(input, target: target)
        let start = FuzzGuard.monotonicNanoseconds()
        body()
        let elapsed = Double(FuzzGuard.monotonicNanoseconds() - start) / 1e9
        FuzzGuard.end()
        return elapsed
    }

    private func checkAccepted(_ entry: Entry, fixture: FuzzFixture, figures: inout TargetFigures, report: inout Report, what: String, input: [UInt8]) {
        guard (try? entry.verify(definition: fixture.definition, directory: fixture.directory)) != nil else { return }
        figures.accepted += 1
        if !fixture.validEntryBytes.contains(entry.canonicalBytes) {
            figures.invalidAccepted += 1
            report.problems.append("\(ReliabilityError.Code.invalidAccepted.rawValue): \(what) accepted an entry that is not a valid one: \(Base64.encode(input.prefix(400)))")
        }
    }

    private func canonicalEntries(_ count: Int, fixture: FuzzFixture, mutator: inout Mutator, report: inout Report) -> TargetFigures {
        var figures = TargetFigures()
        let corpus = fixture.entries.map(\.canonicalBytes)
        mutator = Mutator(random: mutator.random, corpus: corpus)
        for index in 0..<count {
            let input = index < corpus.count ? corpus[index] : mutator.mutate(corpus[mutator.int(0..<corpus.count)])
            let elapsed = timed(input, "entry.canonical") {
                guard let entry = try? Entry(canonicalBytes: input) else { return }
                figures.decoded += 1
                if entry.canonicalBytes != input {
                    figures.nonCanonical += 1
                    report.problems.append("reliability.non_canonical: an entry decoded from bytes it does not re-encode to: \(Base64.encode(input.prefix(400)))")
                }
                checkAccepted(entry, fixture: fixture, figures: &figures, report: &report, what: "the canonical decoder", input: input)
            }
            figures.count(elapsed)
        }
        return figures
    }

    private func jsonEntries(_ count: Int, fixture: FuzzFixture, mutator: inout Mutator, report: inout Report) -> TargetFigures {
        var figures = TargetFigures()
        let corpus = fixture.entries.map { Array(try! JSONEncoder().encode($0)) }
        mutator = Mutator(random: mutator.random, corpus: corpus)
        let decoder = JSONDecoder()
        for index in 0..<count {
            let seed = corpus[mutator.int(0..<corpus.count)]
            let input = index < corpus.count ? corpus[index] : mutator.mutateJSON(seed)
            let elapsed = timed(input, "entry.json") {
                guard let entry = try? decoder.decode(Entry.self, from: Data(input)) else { return }
                figures.decoded += 1
                checkAccepted(entry, fixture: fixture, figures: &figures, report: &report, what: "Entry JSON decoding", input: input)
            }
            figures.count(elapsed)
        }
        return figures
    }

    private func apiBodies(_ count: Int, fixture: FuzzFixture, mutator: inout Mutator, report: inout Report) -> TargetFigures {
        var figures = TargetFigures()
        let consultation = PollDefinition(
            pollID: fixture.pollID, kind: .consultation, title: "Budget", text: "Choose.", opensAt: 1_800_000_000, closesAt: 1_800_086_400,
            eligibility: Eligibility(areaScope: ["C1"], minimumAge: 16, referenceDate: CivilDate("2025-01-01")!),
            disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: false,
            questions: [Question(id: 1, text: "Which?", kind: .multiple, maxChoices: 2, options: ["A", "B", "C"])],
            thresholds: [.absolute(count: 10), .shareOfEligible(basisPoints: 150), .areas(minimumPerArea: 2, minimumAreas: 2, areaLevel: .commune)],
            serviceKey: fixture.serviceKey.publicKey, brokerKey: fixture.brokerKey.publicKey)
        let drafts = [Array(try! JSONEncoder().encode(consultation)), Array(try! JSONEncoder().encode(fixture.definition))]
        let payloads = fixture.entries.compactMap { try? LogRecord(recordedAt: 1_750_000_000, body: .entry($0)).leafPayload() }
        mutator = Mutator(random: mutator.random, corpus: drafts + payloads)
        let decoder = JSONDecoder()
        for index in 0..<count {
            if index % 2 == 0 {
                let input = mutator.mutateJSON(drafts[index / 2 % drafts.count])
                let elapsed = timed(input, "api.json") {
                    guard let decoded = try? decoder.decode(PollDefinition.self, from: Data(input)) else { return }
                    figures.decoded += 1
                    if (try? decoded.validate()) != nil { figures.accepted += 1 }
                }
                figures.count(elapsed)
            } else {
                let input = mutator.mutate(payloads[mutator.int(0..<payloads.count)])
                let elapsed = timed(input, "api.json") {
                    guard let record = try? LogRecord(leafPayload: input) else { return }
                    figures.decoded += 1
                    if case .entry(let entry) = record.body {
                        checkAccepted(entry, fixture: fixture, figures: &figures, report: &report, what: "the log record decoder", input: input)
                    }
                }
                figures.count(elapsed)
            }
        }
        return figures
    }

    private func exports(_ count: Int, fixture: FuzzFixture, mutator: inout Mutator, report: inout Report) -> TargetFigures {
        var figures = TargetFigures()
        let paths = fixture.export.keys.sorted()
        mutator = Mutator(random: mutator.random, corpus: Array(fixture.export.values))
        let trusted = fixture.signer.verifier.verifierKey
        let original = (try? JSONDecoder().decode(TallySummary.self, from: Data(fixture.export["tally.json"]!)))
        for index in 0..<count {
            var files = fixture.export
            var changed = "none"
            if index > 0 {
                var mutated: [UInt8]
                repeat {  // a mutation that changes nothing is drawn again: every input differs
                    changed = paths[mutator.int(0..<paths.count)]
                    mutated = changed == LogExport.manifestPath || changed == "tally.json"
                        ? mutator.mutateJSON(files[changed]!) : mutator.mutate(files[changed]!)
                } while mutated == files[changed]!
                files[changed] = mutated
                if mutator.int(0..<8) == 0 { files[paths[mutator.int(0..<paths.count)]] = nil }
            }
            let input = Array(changed.utf8) + [0] + (files[changed] ?? [])
            let snapshot = files
            let elapsed = timed(input, "export") {
                let source = PollSource(description: "fuzzed export", log: MemoryLogFetcher(files: snapshot),
                                        publishedTally: { snapshot["tally.json"] })
                guard let audit = try? PollAuditor(source: source, options: .init(trustedLogKey: trusted, concurrency: 1)).run() else { return }
                figures.decoded += 1
                guard audit.verified else {
                    if index == 0 { report.problems.append("the unmutated export does not verify: \(audit.humanText)") }
                    return
                }
                figures.accepted += 1
                let sameTree = audit.treeSize == fixture.exportSize && audit.rootHash == fixture.exportRoot.hex
                let tally = snapshot["tally.json"].flatMap { try? JSONDecoder().decode(TallySummary.self, from: Data($0)) }
                // A published tally past the latest checkpoint is not compared (the auditor says so in a
                // note): only a compared tally must equal the original.
                let compared = audit.summary.publishedTallyCompared == true
                if !sameTree || (compared && snapshot["tally.json"] != nil && tally != original) {
                    figures.invalidAccepted += 1
                    report.problems.append("\(ReliabilityError.Code.invalidAccepted.rawValue): the auditor passed an export with \(changed) mutated (size \(audit.treeSize ?? -1), root \(audit.rootHash ?? "?")): \(String(decoding: (snapshot[changed] ?? []).prefix(700), as: UTF8.self))")
                }
            }
            figures.count(elapsed)
        }
        return figures
    }
}
