import Foundation
import PnyxAudit
import PnyxCore
import PnyxTransparency
import Testing

@Suite("verify: a clean log")
struct VerifyTests {
    @Test("a clean log verifies: no findings, every signature checked, tally recomputed and compared")
    func cleanLogVerifies() throws {
        let report = try Audit.verify(SharedFixture.cleanExport)
        #expect(report.findings.isEmpty, "\(report.humanText)")
        #expect(report.exitStatus == 0)
        let fixture = SharedFixture.clean
        #expect(report.treeSize == fixture.builder.size)
        #expect(report.rootHash == fixture.builder.tree.rootHash.hex)
        #expect(report.summary.entries == fixture.builder.size)
        // Six entries, five credentials (one withdrawal re-uses a credential, not re-verified).
        #expect(report.summary.entrySignaturesVerified == 6)
        #expect(report.summary.credentialsVerified == 5)
        #expect(report.summary.credentials == 5)
        #expect(report.summary.checkpoints == 2)
        #expect(report.summary.certificates == 1)
        #expect(report.summary.publishedTallyCompared == true)
        let tally = try #require(report.summary.tally)
        #expect(tally.participants == 4 && tally.named == 1)
        #expect(tally.byChannel == ["online": 3, "kiosk": 1])
        #expect(tally.thresholds.first?.reached?.logSize == UInt64(fixture.midCheckpointSize))
    }

    @Test("the same checks run with one thread and with many", arguments: [1, 4])
    func concurrencyDoesNotChangeTheResult(threads: Int) throws {
        let fixture = try PollFixture(tampers: [.forgedCredential, .badEntrySignature])
        let report = try Audit.verify(try fixture.export(), concurrency: threads)
        #expect(Audit.has(report, .credentialInvalidSignature, at: fixture.positions[.forgedCredential]))
        #expect(Audit.has(report, .entryInvalidSignature, at: fixture.positions[.badEntrySignature]))
        #expect(report.findings.count == 2, "\(report.humanText)")
    }

    @Test("a log longer than one tile verifies, and a progress reporter sees every entry")
    func longLogVerifies() throws {
        let fixture = try PollFixture(entryPadding: 300)
        let progress = RecordingProgress()
        let report = try PollAuditor(source: .export(directory: try fixture.export()),
                                     options: .init(progress: progress)).run()
        #expect(report.findings.isEmpty, "\(report.humanText)")
        #expect(report.summary.entrySignaturesVerified == 306)
        #expect(progress.last == (fixture.builder.size, fixture.builder.size))
        #expect(progress.finished)
    }

    @Test("without a published tally, counts are recomputed and the report says it did not compare")
    func noPublishedTally() throws {
        let report = try Audit.verify(try SharedFixture.clean.export(publishTally: false))
        #expect(report.findings.isEmpty)
        #expect(report.summary.publishedTallyCompared == false)
        #expect(report.notes.contains { $0.contains("no published tally") })
    }
}

/// Records progress updates.
final class RecordingProgress: ProgressReporter, @unchecked Sendable {
    private let lock = NSLock()
    private var _last: (Int64, Int64) = (0, 0)
    private var _finished = false
    var last: (Int64, Int64) { lock.withLock { _last } }
    var finished: Bool { lock.withLock { _finished } }
    func update(done: Int64, total: Int64) { lock.withLock { _last = (done, total) } }
    func finish() { lock.withLock { _finished = true } }
}
