import Foundation
import HummingbirdTesting
import PnyxAudit
import PnyxCore
import PnyxCrypto
import PnyxService
import PnyxTransparency
import Testing

/// The auditor against the real broker and service (PostgreSQL, HTTP on loopback): a poll run
/// end to end, its export verified clean, one altered copy per class of tampering of issue 6
/// each named by its code, and the witness cosigning the live service.
@Suite("real service: tamper matrix and witness", .serialized)
struct RealServiceTests {
    /// Verifies an export folder (and a register folder) as `pnyx-audit verify --export` does.
    static func verify(_ folder: String, register: String?, state: String? = nil) async throws -> AuditReport {
        try await offPool {
            try PollAuditor(source: .export(directory: folder, registerDirectory: register),
                            options: .init(state: state.map { CheckpointStore(root: $0) })).run()
        }
    }

    /// A copy of `folder`.
    static func copy(_ folder: String) throws -> String {
        let copy = TestFolders.make("copy")
        try FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: folder, toPath: copy)
        return copy
    }

    @Test("a real poll verifies clean; each tampered copy of its export yields its own code")
    func tamperMatrix() async throws {
        try await RealWorld.with { world in
            let real = try await RealPoll.run(world)
            let register = real.register

            // The valid export: no finding, every check ran.
            let clean = try await Self.verify(real.export, register: register)
            #expect(clean.findings.isEmpty, "\(clean.humanText)")
            #expect(clean.exitStatus == 0)
            #expect(clean.summary.publishedTallyCompared == true)
            #expect((clean.summary.credentialsVerified ?? 0) >= 3)
            #expect(clean.summary.certificates == 1)

            let records = try real.records()
            let leaves = try real.leaves()
            let target = real.firstEntry
            let bundle = real.entryBundlePath
            var cases: [(name: String, folder: String, register: String?, code: FindingCode, position: Int64?)] = []

            // An attacker editing the published files (no key).
            func edited(_ change: (inout [[UInt8]]) throws -> Void) throws -> String {
                let folder = try Self.copy(real.export)
                var changed = leaves
                try change(&changed)
                try Audit.write(folder + "/" + bundle, LogExport.entryBundle(leaves: changed))
                return folder
            }
            cases.append(("payload changed", try edited { $0[Int(target)][$0[Int(target)].count - 3] ^= 0x01 },
                          register, .chainBroken, target + 1))
            cases.append(("entry deleted", try edited { $0.remove(at: Int(target) + 1) }, register, .leafPositionMismatch, target + 1))
            cases.append(("two entries swapped", try edited { $0.swapAt(Int(target), Int(target) + 1) }, register,
                          .leafPositionMismatch, target))
            cases.append(("entry inserted", try edited { leaves in
                let record = LogRecord(recordedAt: records[Int(target)].recordedAt, body: .entry(try real.spare.entry()))
                let leaf = try LogLeaf(position: UInt64(target + 1), previousHash: MerkleHash.leafHash(leaves[Int(target)]),
                                       payload: record.leafPayload())
                leaves.insert(leaf.bytes, at: Int(target) + 1)
            }, register, .chainBroken, target + 2))
            let badSignature = try Self.copy(real.export)
            var checkpoint = try Audit.read(badSignature + "/checkpoint")
            let i = checkpoint.count - 10
            checkpoint[i] = checkpoint[i] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            try Audit.write(badSignature + "/checkpoint", checkpoint)
            cases.append(("forged checkpoint signature", badSignature, register, .checkpointBadSignature, nil))
            let misreported = try Self.copy(real.export)
            var tally = try JSONSerialization.jsonObject(with: Data(try Audit.read(misreported + "/tally.json"))) as! [String: Any]
            tally["participants"] = (tally["participants"] as! Int) + 1
            try Audit.write(misreported + "/tally.json", [UInt8](try JSONSerialization.data(withJSONObject: tally, options: [.sortedKeys])))
            cases.append(("misreported tally", misreported, register, .tallyMismatch, nil))

            // A lying service (it holds the key: chain, tree and checkpoint signatures valid).
            let close = real.closePosition
            func injected(_ record: LogRecord) throws -> String {
                var changed = records
                changed.insert(record, at: close)
                return try real.rewritten(changed, world: world)
            }
            let lastTime = records[close - 1].recordedAt
            let directory = real.poll.directory!.directory
            let forgedKey = Ed25519.PrivateKey()
            let forged = Credential(attributeClass: directory.entries[0].attributeClass, keyID: directory.entries[0].keyID,
                                    oneTimeKey: forgedKey.publicKey, prefix: SystemRandom().bytes(BlindRSA.prefixLength),
                                    signature: SystemRandom().bytes(256))
            cases.append(("forged credential", try injected(LogRecord(recordedAt: lastTime, body: .entry(
                try Entry(pollID: real.poll.id, credential: forged, channel: .online, payload: .sign(nil), signingWith: forgedKey)))),
                register, .credentialInvalidSignature, Int64(close)))
            cases.append(("reused one-time key", try injected(LogRecord(recordedAt: lastTime, body: .entry(try real.spareWithReusedKey.entry()))),
                          register, .nullifierReused, Int64(close)))
            cases.append(("entry outside the window", try injected(LogRecord(recordedAt: real.closesAt + 60, body: .entry(try real.spare.entry()))),
                          register, .entryOutsideWindow, Int64(close)))
            let ineligibleKey = Ed25519.PrivateKey()
            let ineligible = Credential(attributeClass: try AttributeClass(areaCode: "C9", ageBand: nil), keyID: directory.entries[0].keyID,
                                        oneTimeKey: ineligibleKey.publicKey, prefix: SystemRandom().bytes(BlindRSA.prefixLength),
                                        signature: SystemRandom().bytes(256))
            cases.append(("ineligible class", try injected(LogRecord(recordedAt: lastTime, body: .entry(
                try Entry(pollID: real.poll.id, credential: ineligible, channel: .online, payload: .sign(nil), signingWith: ineligibleKey)))),
                register, .classIneligible, Int64(close)))
            var falseCertificate = records
            guard case .lifecycle(let event) = records[Int(real.certificatePosition)].body, case .certified(let signed) = event.kind else {
                Issue.record("no certificate at \(real.certificatePosition)")
                return
            }
            let c = signed.certificate
            let lie = Certificate(pollID: c.pollID, thresholdIndex: c.thresholdIndex, reachedAtSize: c.reachedAtSize - 1,
                                  rootAtReached: c.rootAtReached, checkpointSize: c.checkpointSize, checkpointRoot: c.checkpointRoot,
                                  date: c.date, statement: c.statement)
            falseCertificate[Int(real.certificatePosition)] = LogRecord(
                recordedAt: records[Int(real.certificatePosition)].recordedAt,
                body: .lifecycle(LifecycleEvent(kind: .certified(SignedCertificate(signing: lie, with: world.serviceKey)), at: event.at)))
            cases.append(("misreported certificate", try real.rewritten(falseCertificate, world: world, checkpointAt: [Int(c.checkpointSize)]),
                          register, .certificateFalse, real.certificatePosition))
            // The register the broker showed when one credential of C1 was issued: two C1 entries.
            cases.append(("more entries in a class than the register issued", real.export, real.earlyRegister, .registerExceeded, nil))

            for (name, folder, register, code, position) in cases {
                let report = try await Self.verify(folder, register: register)
                #expect(Audit.has(report, code, at: position), "\(name): expected \(code) at \(position.map(String.init) ?? "-"): \(report.humanText)")
                #expect(report.exitStatus == 1, "\(name)")
            }

            // A fork after truncation: the service cuts its log back to the certificate and
            // grows another history; the auditor that saved the clean checkpoint names it.
            let state = TestFolders.make("real-state")
            let first = try await Self.verify(real.export, register: register, state: state)
            #expect(first.findings.isEmpty, "\(first.humanText)")
            var fork = Array(records.prefix(Int(real.certificatePosition) + 1))
            fork.append(LogRecord(recordedAt: records[Int(real.certificatePosition)].recordedAt, body: .entry(try real.spare.entry())))
            fork += records[(Int(real.certificatePosition) + 1)...]
            let forked = try await Self.verify(try real.rewritten(fork, world: world), register: register, state: state)
            #expect(Audit.has(forked, .historyForked, at: nil), "fork after truncation: \(forked.humanText)")
        }
    }

    @Test("the witness cosigns the live service; the service serves the cosignature and refuses forged and unknown ones")
    func witnessOnTheService() async throws {
        try await RealWorld.with { world in
            let real = try await RealPoll.run(world)
            let id = real.poll.id
            let submit = URL(string: world.serviceURL.absoluteString + "polls/\(id.hex)/log/cosignatures")!
            let state = TestFolders.make("witness-state")
            let serviceURL = world.serviceURL
            let cosigner = world.witness
            func step(_ time: UInt64) async throws -> Witness.Outcome {
                try await offPool {
                    let log = try SourceLog(fetcher: PollSource.service(serviceURL, poll: id.hex).log, trustedKey: nil)
                    return try Witness(cosigner: cosigner, log: log, state: CheckpointStore(root: state), submitURL: submit).step(timestamp: time)
                }
            }

            // 1. The witness cosigns the latest checkpoint and submits the line.
            guard case .cosigned(let line, let cosigned) = try await step(1_790_000_000) else {
                Issue.record("the live service's checkpoint was not cosigned")
                return
            }
            // 2. The service serves it with the cosignature, at /checkpoint and /checkpoints/N.
            for path in ["checkpoint", "checkpoints/\(cosigned.size)"] {
                let served = try await world.client.execute(uri: "/v1/polls/\(id.hex)/log/\(path)", method: .get)
                #expect(served.status == .ok)
                let note = try Note(parsing: served.text)
                #expect(try world.witness.verifier.verifiedTimestamp(in: note) == 1_790_000_000, "\(path)")
                #expect(note.signatures.count == 2)
                #expect(served.text.hasSuffix(line))
            }

            // 3. Refusals, each with its code: a forged line, an unknown witness, another
            // checkpoint, a checkpoint that does not exist, not a line at all.
            var forgedBytes = Array(line.utf8)
            let flip = forgedBytes.count - 6
            forgedBytes[flip] = forgedBytes[flip] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            let forged = try await world.text(.post, "/v1/polls/\(id.hex)/log/cosignatures?size=\(cosigned.size)",
                                              String(decoding: forgedBytes, as: UTF8.self))
            #expect(forged.status == .unprocessableContent && forged.errorCode == "cosignature.invalid", "\(forged.text)")
            let stranger = try Cosigner(name: "witness.audit.test", privateKey: Ed25519.PrivateKey())
            let unknown = try await world.text(.post, "/v1/polls/\(id.hex)/log/cosignatures?size=\(cosigned.size)",
                                               try stranger.cosign(cosigned, timestamp: 1_790_000_000).line)
            #expect(unknown.status == .forbidden && unknown.errorCode == "cosignature.unknown_witness", "\(unknown.text)")
            let earlier = try await world.text(.post, "/v1/polls/\(id.hex)/log/cosignatures?size=\(real.certificatePosition)", line)
            #expect(earlier.errorCode == "cosignature.invalid" || earlier.errorCode == "cosignature.unknown_checkpoint", "\(earlier.text)")
            let missing = try await world.text(.post, "/v1/polls/\(id.hex)/log/cosignatures?size=\(cosigned.size + 50)", line)
            #expect(missing.status == .notFound && missing.errorCode == "cosignature.unknown_checkpoint", "\(missing.text)")
            let garbage = try await world.text(.post, "/v1/polls/\(id.hex)/log/cosignatures", "hello\n")
            #expect(garbage.status == .badRequest && garbage.errorCode == "cosignature.malformed", "\(garbage.text)")
            // A cosigned note with a rewritten root is not a checkpoint the service signed.
            let otherRoot = try Checkpoint(origin: cosigned.origin, size: cosigned.size, rootHash: [UInt8](repeating: 7, count: 32))
            let otherNote = try Note(text: otherRoot.text, signatures: [try world.witness.cosign(otherRoot, timestamp: 1_790_000_001)])
            let rewritten = try await world.text(.post, "/v1/polls/\(id.hex)/log/cosignatures", try otherNote.serializedString())
            #expect(rewritten.status == .notFound && rewritten.errorCode == "cosignature.unknown_checkpoint", "\(rewritten.text)")
            // Still exactly one cosignature served.
            let after = try await world.client.execute(uri: "/v1/polls/\(id.hex)/log/checkpoint", method: .get)
            #expect(try Note(parsing: after.text).signatures.count == 2)

            // 4. A receipt fetched now carries the cosignature; `pnyx-audit receipt` shows it.
            let fetched = try await world.client.execute(uri: "/v1/polls/\(id.hex)/receipts/\(real.firstEntry)", method: .get)
            #expect(fetched.status == .ok, "\(fetched.text)")
            let receipt = try fetched.decode(Receipt.self)
            #expect(receipt.checkpoint.hasSuffix(line))
            let verifier = world.witness.verifier
            let report = try await offPool {
                let log = try SourceLog(fetcher: PollSource.service(serviceURL, poll: id.hex).log, trustedKey: nil)
                return try ReceiptAuditor(log: log, witnesses: [verifier]).run(receipt: Array(try JSONEncoder().encode(receipt)), source: "test")
            }
            #expect(report.findings.isEmpty, "\(report.humanText)")
            #expect(report.established.contains { $0.contains("witness witness.audit.test cosigned that checkpoint") }, "\(report.humanText)")
            let noReceipt = try await world.client.execute(uri: "/v1/polls/\(id.hex)/receipts/9999", method: .get)
            #expect(noReceipt.status == .notFound && noReceipt.errorCode == "proof.invalid_range")

            // 5. The log grows (the poll is closed: an official answer is logged); the witness
            // proves the new checkpoint consistent with the one it cosigned, and cosigns it.
            struct Answer: Encodable { let text: String; let links: [String] }
            let answered = try await world.call(.post, "/v1/admin/polls/\(id.hex)/answer", token: RealWorld.adminToken,
                                                body: Answer(text: "Merci, nous plantons.", links: []))
            #expect(answered.status == .created, "\(answered.text)")
            _ = try await world.service.latestCheckpoint(id)
            guard case .cosigned(_, let grown) = try await step(1_790_000_100) else {
                Issue.record("the grown log was not cosigned")
                return
            }
            #expect(grown.size == cosigned.size + 1)
            guard case .unchanged = try await step(1_790_000_200) else {
                Issue.record("the same checkpoint was cosigned twice")
                return
            }
            // And the auditor verifies the cosigned service over HTTP: extra signature lines are fine.
            let verified = try await offPool {
                try PollAuditor(source: .service(serviceURL, poll: id.hex)).run()
            }
            #expect(verified.findings.isEmpty, "\(verified.humanText)")
        }
    }
}
