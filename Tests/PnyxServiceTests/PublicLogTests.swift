import Foundation
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
@testable import PnyxService
import PnyxTransparency
import Testing

@Suite("Public log, proofs and caching headers")
struct PublicLogTests {
    @Test("tiles, entry bundles, checkpoints and manifest in the export layout, with caching headers and 304")
    func tilesAndCaching() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let voter = try await world.citizen("R1", poll: poll)
            let receipt = try await world.submit(try voter.entry(.sign(nil))).decode(Receipt.self)
            // Grow the log past one full tile with answers (lifecycle records any time).
            for index in 0..<260 { _ = try await world.service.answer(poll.id, text: "Réponse \(index)", links: []) }
            let size = try await world.logSize(poll.id)
            #expect(size == 264)
            let checkpoint = try #require(try await world.service.latestCheckpoint(poll.id))
            #expect(checkpoint.treeSize == size)
            let base = "/v1/polls/\(poll.id.hex)/log"

            // The latest checkpoint: short max-age, ETag, 304 on If-None-Match.
            let latest = try await world.client.get("\(base)/checkpoint")
            #expect(latest.status == .ok)
            #expect(latest.headers[.cacheControl] == "public, max-age=1")
            let etag = try #require(latest.headers[.eTag])
            let again = try await world.client.get("\(base)/checkpoint", headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            #expect(String(buffer: latest.body) == checkpoint.note)
            let numbered = try await world.client.get("\(base)/checkpoints/\(size)")
            #expect(numbered.headers[.cacheControl] == "public, max-age=31536000, immutable")

            // A full tile is immutable; the hashes and the entries verify against the checkpoint.
            let full = try await world.client.get("\(base)/tile/0/000")
            #expect(full.status == .ok)
            #expect(full.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(full.bytes.count == 256 * 32)
            let bundle = try await world.client.get("\(base)/tile/entries/000")
            #expect(bundle.headers[.cacheControl] == "public, max-age=31536000, immutable")
            let leaves = try LogExport.parseEntryBundle(bundle.bytes, count: 256, path: "tile/entries/000")
            let leaf = try LogLeaf(bytes: leaves[Int(receipt.position)])
            #expect(MerkleHash.leafHash(leaves[Int(receipt.position)]).hex == receipt.entryHash)
            guard case .entry(let logged) = try LogRecord(leafPayload: leaf.payload).body else {
                Issue.record("position \(receipt.position) is not an entry")
                return
            }
            #expect(logged.credential == voter.credential)
            let hashes = try Tile(level: 0, index: 0).hashes(data: full.bytes)
            #expect(hashes[Int(receipt.position)].hex == receipt.entryHash)
            // A partial tile: short max-age; a tile beyond the log: 404 log.not_found.
            let partial = try await world.client.get("\(base)/tile/0/001.p/8")
            #expect(partial.status == .ok)
            #expect(partial.headers[.cacheControl] == "public, max-age=60")
            let beyond = try await world.client.get("\(base)/tile/0/002")
            #expect(beyond.status == .notFound)
            #expect(beyond.errorCode == "log.not_found")
            let garbage = try await world.client.get("\(base)/tile/0/x12")
            #expect(garbage.status == .notFound)

            // Manifest and verifier key.
            let manifest = try await world.client.get("\(base)/log.json").decode(LogExport.Manifest.self)
            #expect(manifest.treeSize == size)
            #expect(manifest.checkpoints.contains(size))
            let verifier = try await world.client.get("\(base)/verifier.txt")
            #expect(String(buffer: verifier.body) == world.service.verifierKey + "\n")

            // The counts: short max-age + ETag + 304.
            let tally = try await world.client.get("/v1/polls/\(poll.id.hex)/tally")
            #expect(tally.headers[.cacheControl] == "public, max-age=2")
            let tallyETag = try #require(tally.headers[.eTag])
            #expect(try await world.client.get("/v1/polls/\(poll.id.hex)/tally", headers: [.ifNoneMatch: tallyETag]).status == .notModified)
            let page = try await world.client.get("/v1/polls/\(poll.id.hex)")
            #expect(page.headers[.eTag] != nil)
        }
    }

    @Test("fresh inclusion proofs and consistency proofs between any two checkpoints")
    func proofs() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let first = try await world.submit(try await world.citizen("R1", poll: poll).entry(.sign(nil))).decode(Receipt.self)
            let old = try verifyReceipt(first, verifierKey: world.service.verifierKey)
            for id in ["R2", "R3", "R4"] {
                #expect(try await world.submit(try await world.citizen(id, poll: poll).entry(.sign(nil))).status == .created)
            }
            let newer = try #require(try await world.service.latestCheckpoint(poll.id))
            #expect(newer.treeSize > Int64(old.size))

            // A fresh inclusion proof of the first entry against the newest checkpoint.
            let fresh = try await world.client.get("/v1/polls/\(poll.id.hex)/proofs/inclusion?position=\(first.position)")
            #expect(fresh.status == .ok)
            let inclusion = try fresh.decode(InclusionProofAnswer.self)
            #expect(inclusion.entryHash == first.entryHash)
            #expect(inclusion.treeSize == newer.treeSize)
            let receipt = Receipt(pollID: poll.id, position: first.position, entryHash: inclusion.entryHash,
                                  checkpoint: try #require(inclusion.checkpoint), inclusionProof: inclusion.proof)
            _ = try verifyReceipt(receipt, verifierKey: world.service.verifierKey)

            // The log only grew: consistency from the receipt's checkpoint to the newest.
            let answer = try await world.client.get("/v1/polls/\(poll.id.hex)/proofs/consistency?from=\(old.size)&to=\(newer.treeSize)")
            #expect(answer.status == .ok)
            #expect(answer.headers[.cacheControl] == "public, max-age=31536000, immutable")
            let consistency = try answer.decode(ConsistencyProofAnswer.self)
            #expect(consistency.oldCheckpoint == first.checkpoint)
            try MerkleProofVerification.verifyConsistency(
                oldSize: Int64(old.size), newSize: newer.treeSize, oldRoot: try MerkleHash(bytes: old.rootHash),
                newRoot: newer.rootHash, proof: try consistency.proof.map { try MerkleHash(hex: $0) })

            // Out-of-range requests.
            let beyond = try await world.client.get("/v1/polls/\(poll.id.hex)/proofs/inclusion?position=999")
            #expect(beyond.errorCode == "proof.invalid_range")
            let backwards = try await world.client.get("/v1/polls/\(poll.id.hex)/proofs/consistency?from=9&to=3")
            #expect(backwards.errorCode == "proof.invalid_range")
            let missing = try await world.client.get("/v1/polls/\(poll.id.hex)/proofs/inclusion")
            #expect(missing.errorCode == "request.malformed")
        }
    }
}
