import Foundation
import PnyxCore
import PnyxTransparency

/// `pnyx-audit verify`: checks a poll from its public log alone, trusting neither the service
/// nor the broker, and reports every problem as a ``Finding``.
///
/// One pass over the log, bundle by bundle (memory grows with the number of distinct one-time
/// keys, not with the log): the transparency checks (``PnyxTransparency/LogExportVerifier``:
/// chain, leaves, tiles, every checkpoint's signature and root), then for each record the
/// order-dependent checks (``RecordChecker``, with PnyxCore's ``PnyxCore/Tally``) while the
/// signatures are verified on every core (``EntryVerificationPipeline``). Then: certificates,
/// the published tally, the broker's register, and the saved checkpoints (only growth).
public struct PollAuditor {
    /// What to trust and where to keep state.
    public struct Options {
        /// The log's checkpoint verifier key to pin (`<name>+<id>+<key>`); nil trusts the
        /// source's `verifier.txt` (which must still be the poll definition's service key).
        public var trustedLogKey: String?
        /// Where verified checkpoints are kept between runs; nil: none kept, none compared.
        public var state: CheckpointStore?
        /// Progress output; nil: none.
        public var progress: (any ProgressReporter)?
        /// Threads for signature checks (default: every core).
        public var concurrency: Int
        /// The broker's register record format (default: "pnyx/issuance/v1"); nil: the register is not read.
        public var issuanceDecoder: (any IssuanceRecordDecoder)?
        /// The register's checkpoint key to pin; nil trusts its `verifier.txt`.
        public var trustedRegisterKey: String?

        public init(trustedLogKey: String? = nil, state: CheckpointStore? = nil, progress: (any ProgressReporter)? = nil,
                    concurrency: Int? = nil,
                    issuanceDecoder: (any IssuanceRecordDecoder)? = PnyxIssuanceDecoder(), trustedRegisterKey: String? = nil) {
            self.trustedLogKey = trustedLogKey
            self.state = state
            self.progress = progress
            self.concurrency = concurrency ?? ProcessInfo.processInfo.activeProcessorCount
            self.issuanceDecoder = issuanceDecoder
            self.trustedRegisterKey = trustedRegisterKey
        }
    }

    public let source: PollSource
    public let options: Options

    public init(source: PollSource, options: Options = Options()) {
        self.source = source
        self.options = options
    }

    /// Runs every check. Throws ``AuditError`` only when the source cannot be fetched or read.
    public func run() throws(AuditError) -> AuditReport {
        let started = Date()
        let collector = FindingCollector()
        var notes: [String] = []
        var summary = AuditSummary()

        let published = try readPublishedTally(&notes)
        let total = (try? JSONDecoder().decode(LogExport.Manifest.self, from: Data(source.log.fetch(LogExport.manifestPath))))?.treeSize ?? 0
        let pipeline = EntryVerificationPipeline(collector: collector, concurrency: options.concurrency)
        var checker = RecordChecker(collector: collector, pipeline: pipeline, snapshotSize: published.map { Int64(clamping: $0.logSize) })
        let verification: LogExportVerification
        do {
            defer { options.progress?.finish() }
            verification = try LogExportVerifier(fetcher: source.log, trustedVerifierKey: options.trustedLogKey).verify(
                onProblem: { problem in collector.add(Self.finding(problem, log: "poll")) },
                onEntry: { position, leaf, _ in
                    checker.process(position: position, leaf: leaf)
                    options.progress?.update(done: position + 1, total: total)
                })
        } catch {
            _ = pipeline.finish()
            throw Self.auditError(error, what: "the poll's log")
        }
        let verified = pipeline.finish()

        summary.entries = verification.entriesRead
        summary.checkpoints = max(verification.checkpoints.filter(\.signatureVerified).count,
                                  verification.latest?.signatureVerified == true ? 1 : 0)
        summary.credentialsVerified = verified.credentialsVerified
        summary.entrySignaturesVerified = verified.signaturesVerified
        summary.credentials = checker.distinctKeys
        summary.tally = checker.tally.summary

        checkServiceKey(verification, checker.definition, collector)
        checkEligibleCounts(checker, collector)

        let tree = verification.latest.map {
            PublishedTree(size: $0.size, root: $0.rootHash, fetcher: source.log, publishedSize: verification.treeSize)
        }
        for finding in CertificateCheck.check(checker.certificates, definition: checker.definition, reachedAt: checker.reachedAt,
                                              tree: tree, notes: &notes) {
            collector.add(finding)
        }
        summary.certificates = checker.certificates.count

        if let published {
            if let snapshot = checker.snapshot {
                for finding in TallyComparison.compare(published: published, recomputed: snapshot) { collector.add(finding) }
                summary.publishedTallyCompared = true
            } else {
                notes.append("the published tally is at log size \(published.logSize), past the \(verification.treeSize) entries of the latest checkpoint: not compared")
                summary.publishedTallyCompared = false
            }
        } else {
            notes.append("no published tally found: the counts were recomputed but not compared")
            summary.publishedTallyCompared = false
        }

        try checkRegister(checker, collector, &summary, &notes)
        try checkHistory(verification, tree, collector, &summary, &notes)

        var report = AuditReport(command: "verify", source: source.description, collector: collector, summary: summary, notes: notes)
        report.origin = verification.origin
        report.treeSize = verification.treeSize
        report.rootHash = verification.latest?.rootHash.hex
        report.summary.seconds = (Date().timeIntervalSince(started) * 1000).rounded() / 1000
        return report
    }

    // MARK: Steps

    private func readPublishedTally(_ notes: inout [String]) throws(AuditError) -> TallySummary? {
        let bytes: [UInt8]?
        do { bytes = try source.publishedTally() } catch let error as AuditError { throw error } catch {
            throw AuditError(.fetchFailed, "the published tally: \(error)")
        }
        guard let bytes else { return nil }
        do { return try TallySummary(jsonBytes: bytes) } catch {
            throw AuditError(.unreadable, "the published tally is not tally JSON: \(error)")
        }
    }

    /// The checkpoints must be signed by the poll definition's service key.
    private func checkServiceKey(_ verification: LogExportVerification, _ definition: PollDefinition?, _ collector: FindingCollector) {
        guard let definition, let verifier = try? NoteVerifier(verifierKey: verification.verifierKey) else { return }
        if verifier.publicKey != definition.serviceKey {
            collector.add(Finding(.pollWrongServiceKey, position: 0,
                                  "the checkpoints are signed by a key other than the poll definition's service key",
                                  expected: Base64Text.encode(definition.serviceKey.rawRepresentation),
                                  computed: Base64Text.encode(verifier.publicKey.rawRepresentation)))
        }
    }

    /// No class has more distinct one-time keys than eligible residents.
    private func checkEligibleCounts(_ checker: RecordChecker, _ collector: FindingCollector) {
        guard let directory = checker.directory else { return }
        for (attributeClass, count) in checker.participantsByClass.sorted(by: { $0.key < $1.key }) {
            guard let entry = directory.entry(for: attributeClass), UInt64(count) > entry.eligibleCount else { continue }
            collector.add(Finding(.classExceedsEligible,
                                  "class \(attributeClass) has \(count) distinct credentials but \(entry.eligibleCount) eligible residents",
                                  expected: "at most \(entry.eligibleCount)", computed: "\(count)"))
        }
    }

    private func checkRegister(_ checker: RecordChecker, _ collector: FindingCollector, _ summary: inout AuditSummary,
                               _ notes: inout [String]) throws(AuditError) {
        guard let register = source.register else {
            notes.append("no issuance register given: entries per class were bounded by the key directory's eligible counts only")
            return
        }
        guard let decoder = options.issuanceDecoder else {
            notes.append("the broker's register record format is not known to this auditor: the register was not read")
            return
        }
        guard let pollID = checker.definition?.pollID else { return }
        let result = try RegisterCheck(fetcher: register, trustedVerifierKey: options.trustedRegisterKey, decoder: decoder)
            .run(pollID: pollID, participantsByClass: checker.participantsByClass, collector: collector)
        summary.registerEntries = result.entries
    }

    /// Only growth: the latest checkpoint extends the one saved by the previous run; then it is saved.
    private func checkHistory(_ verification: LogExportVerification, _ tree: PublishedTree?, _ collector: FindingCollector,
                              _ summary: inout AuditSummary, _ notes: inout [String]) throws(AuditError) {
        guard let state = options.state else { return }
        guard let latest = verification.latest, latest.signatureVerified, let tree else {
            notes.append("the latest checkpoint is not verified: it was not compared with saved checkpoints, nor saved")
            return
        }
        var forked = false
        if let saved = try state.latest(origin: verification.origin) {
            let verifiers = try? NoteVerifierSet([NoteVerifier(verifierKey: verification.verifierKey)])
            if let note = try? verifiers?.open(saved.note), let checkpoint = try? Checkpoint(note: note) {
                let old = HistoryCheck.Point(checkpoint)
                if let finding = HistoryCheck.check(old: old, new: HistoryCheck.Point(size: latest.size, root: latest.rootHash), newTree: tree) {
                    collector.add(finding)
                    forked = true
                } else {
                    summary.provedConsistentFrom = old.description
                }
            } else {
                notes.append("the saved checkpoint \(state.folder(origin: verification.origin))/\(saved.size) is not signed by the log's key: not compared")
            }
        } else {
            notes.append("first run for this log: nothing saved to compare with (the latest checkpoint is saved now)")
        }
        if !forked { try state.save(origin: verification.origin, size: latest.size, note: latest.note) }
    }

    // MARK: Helpers

    static func finding(_ problem: LogProblem, log: String) -> Finding {
        Finding(FindingCode(problem.code), log: log, position: problem.position, problem.reason,
                expected: problem.expected, computed: problem.computed, path: problem.path)
    }

    static func auditError(_ error: any Error, what: String) -> AuditError {
        if let error = error as? AuditError { return error }
        if let error = error as? TransparencyError {
            if error.code == .exportMissingFile {
                return AuditError(.fetchFailed, "\(what): \(error.reason)", hint: "check the folder or URL")
            }
            return AuditError(.unreadable, "\(what): \(error)")
        }
        return AuditError(.fetchFailed, "\(what): \(error)")
    }
}

/// Standard base64 for evidence strings.
enum Base64Text {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
