import Foundation
import PnyxAudit
import PnyxCore
import PnyxCrypto
import PnyxTransparency
import Testing

@Suite("HTTP source and witness (loopback)", .serialized)
struct HTTPAndWitnessTests {
    @Test("verify over HTTP finds exactly what verify over the export folder finds")
    func httpEqualsExport() throws {
        let fixture = try PollFixture(tampers: [.badEntrySignature])
        let folder = try fixture.export()
        let server = try LoopbackHTTPServer(root: folder)
        defer { server.stop() }
        let overHTTP = try PollAuditor(source: .service(server.baseURL, poll: fixture.pollID.hex)).run()
        let overFolder = try Audit.verify(folder)
        #expect(overHTTP.findings.map(\.code) == overFolder.findings.map(\.code))
        #expect(overHTTP.findings.map(\.position) == overFolder.findings.map(\.position))
        #expect(Audit.has(overHTTP, .entryInvalidSignature, at: fixture.positions[.badEntrySignature]))
        #expect(overHTTP.summary.publishedTallyCompared == true)
        #expect(overHTTP.source.hasPrefix("http://127.0.0.1:"))
    }

    @Test("a source that cannot be fetched is an AuditError (exit status 2), not a finding")
    func fetchFailure() throws {
        let server = try LoopbackHTTPServer(root: TestFolders.make("empty"))
        defer { server.stop() }
        do {
            _ = try PollAuditor(source: .service(server.baseURL, poll: "00")).run()
            Issue.record("an empty service verified")
        } catch {
            #expect(error.code == .fetchFailed && error.exitStatus == 2, "\(error)")
        }
    }

    @Test("the witness decision: cosign the first, then only checkpoints that extend the last")
    func witnessDecision() throws {
        let fixture = SharedFixture.clean
        let cosigner = try Cosigner(name: "witness.test", privateKey: Ed25519.PrivateKey())
        let log = try SourceLog(fetcher: DirectoryLogFetcher(directory: SharedFixture.cleanExport), trustedKey: nil)
        let mid = try Checkpoint(note: try Note(parsing: fixture.builder.checkpoints[0].note))
        let latest = try log.latest().checkpoint
        let tree = log.tree(latest, publishedSize: Int64(latest.size))

        guard case .cosigned(let line, _) = Witness.decide(previous: nil, latest: latest, tree: tree, cosigner: cosigner, timestamp: 1_750_000_000) else {
            Issue.record("first checkpoint not cosigned")
            return
        }
        // The line is a valid tlog-cosignature over the checkpoint.
        var note = latest.note()
        note.signatures = [try Note(parsing: Array((latest.text + "\n" + line).utf8)).signatures[0]]
        #expect(try cosigner.verifier.verifiedTimestamp(in: note) == 1_750_000_000)

        guard case .cosigned = Witness.decide(previous: mid, latest: latest, tree: tree, cosigner: cosigner, timestamp: 1) else {
            Issue.record("a consistent checkpoint was not cosigned")
            return
        }
        guard case .unchanged = Witness.decide(previous: latest, latest: latest, tree: tree, cosigner: cosigner, timestamp: 1) else {
            Issue.record("the same checkpoint twice")
            return
        }
        let forked = try PollFixture(pollID: fixture.pollID)
        let forkedMid = try Checkpoint(note: try Note(parsing: forked.builder.checkpoints[0].note))
        guard case .refused(let finding) = Witness.decide(previous: forkedMid, latest: latest, tree: tree, cosigner: cosigner, timestamp: 1) else {
            Issue.record("a forked checkpoint was cosigned")
            return
        }
        #expect(finding.code == .historyForked)
    }

    @Test("witness --once over HTTP: cosigns, POSTs the line, then refuses a forked log and posts nothing")
    func witnessOverHTTP() throws {
        let fixture = try PollFixture()
        let server = try LoopbackHTTPServer(root: try fixture.export())
        defer { server.stop() }
        let cosigner = try Cosigner(name: "witness.test", privateKey: Ed25519.PrivateKey())
        let source = PollSource.service(server.baseURL, poll: fixture.pollID.hex)
        let submit = URL(string: server.baseURL.absoluteString + "polls/\(fixture.pollID.hex)/log/cosignatures")!
        let witness = Witness(cosigner: cosigner, log: try SourceLog(fetcher: source.log, trustedKey: nil),
                              state: CheckpointStore(root: TestFolders.make("witness")), submitURL: submit)

        guard case .cosigned(let line, let checkpoint) = try witness.step(timestamp: 1_750_000_100) else {
            Issue.record("not cosigned")
            return
        }
        #expect(server.posts.count == 1)
        #expect(server.posts.first?.path == "/polls/\(fixture.pollID.hex)/log/cosignatures?size=\(checkpoint.size)")
        #expect(server.posts.first?.body == line)
        var note = checkpoint.note()
        note.signatures = [try Note(parsing: Array((checkpoint.text + "\n" + line).utf8)).signatures[0]]
        #expect(try cosigner.verifier.verifiedTimestamp(in: note) == 1_750_000_100)

        guard case .unchanged = try witness.step(timestamp: 1_750_000_200) else {
            Issue.record("unchanged log cosigned again")
            return
        }
        // The service now shows another history of the same poll (a split view).
        server.serve(try PollFixture(pollID: fixture.pollID).export())
        guard case .refused(let finding) = try witness.step(timestamp: 1_750_000_300) else {
            Issue.record("forked log cosigned")
            return
        }
        #expect(finding.code == .historyForked)
        #expect(server.posts.count == 1)
    }
}
