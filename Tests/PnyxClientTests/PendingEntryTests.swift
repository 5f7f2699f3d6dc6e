import Foundation
@testable import PnyxClient
import PnyxCore
import PnyxCrypto
import PnyxService
import Testing

/// Nothing is lost when a submission's answer is lost: the wallet keeps the signed entry's
/// bytes as pending before sending them, sends the same bytes again on the next run, and
/// when the service answers `entry.replayed` (the first send committed) it fetches that
/// entry's receipt by its digest. A real broker and service over real HTTP, through a
/// loopback relay that drops answers or requests (``LossyProxy``).
@Suite("Pending entries: a lost answer is recovered, never duplicated (real servers, real HTTP)")
struct PendingEntryTests {
    static func isEntryPost(_ method: String, _ path: String) -> Bool { method == "POST" && path.hasSuffix("/entries") }

    /// An open poll of `draft`, R1's wallet holding its credential, and the relay the wallet
    /// uses as its service from then on (stop it afterwards).
    static func start(_ world: WalletWorld, _ draft: PollDraft) async throws -> (PollID, WalletClient, LossyProxy) {
        let poll = try await world.openPolls([draft])[0]
        let wallet = try await world.enrolled("R1")
        let proxy = try LossyProxy(upstream: world.serviceURL)
        _ = try await wallet.credential(poll: poll, service: proxy.url)
        return (poll, wallet, proxy)
    }

    @Test("the answer is lost after the commit: the next run resends, gets entry.replayed, recovers the same receipt; one entry, counted once")
    func lostAnswerAfterCommit() async throws {
        try await WalletWorld.with { world in
            let (poll, wallet, proxy) = try await Self.start(world, world.petitionDraft())
            defer { proxy.stop() }
            let before = try await world.service.store.head(logID: poll.bytes).size

            // The service commits the entry; no answer reaches the wallet (nor that of its
            // lookup of the entry, nor of a resend by the HTTP client): this run ends without a receipt.
            proxy.lose { method, path in Self.isEntryPost(method, path) || path.contains("/entries/") ? .answer : .none }
            let lost = await clientError { () async throws(ClientError) in _ = try await wallet.sign(poll: poll) }
            #expect(lost?.code == "client.unreachable")
            let pending = try #require(try wallet.file.load().record(poll)?.pendingEntry)
            #expect(pending.kind == "sign")
            #expect(try wallet.file.load().record(poll)?.receipts.isEmpty == true)
            #expect(try wallet.pendingEntries(poll: poll).map(\.digest) == [pending.digest])
            #expect(try fileMode(wallet.file.path) == 0o600)
            #expect(try await world.service.tally(poll).summary().participants == 1)
            // The first send committed (201); any resend within the run was a replay (409).
            let posted = proxy.exchanges.filter { Self.isEntryPost($0.method, $0.path) }.map(\.status)
            #expect(posted.first == 201 && posted.dropFirst().allSatisfy { $0 == 409 })

            // The next run sends exactly the same bytes: refused as a replay, receipt recovered.
            proxy.lose { _, _ in .none }
            let delivered = try await wallet.retry(poll: poll)
            #expect(delivered.count == 1)
            let resent = proxy.exchanges.filter { Self.isEntryPost($0.method, $0.path) }
            #expect(resent.count == posted.count + 1 && resent.last?.status == 409 && resent.last?.loss == LossyProxy.Loss.none)
            let lookup = try #require(proxy.exchanges.last { $0.path.hasSuffix("/entries/\(pending.digest)") })
            #expect(lookup.method == "GET" && lookup.status == 200 && lookup.loss == LossyProxy.Loss.none)

            let record = try #require(try wallet.file.load().record(poll))
            #expect(record.pendingEntry == nil)
            #expect(record.receipts.count == 1)
            let receipt = record.receipts[0].receipt
            #expect(receipt.position == UInt64(before))
            #expect(record.receipts[0].kind == "sign" && record.receipts[0].payload == .sign(nil))
            // The same meaning as the service's own receipt of that position; it verifies.
            let fresh = try await world.service.receipt(poll, position: Int64(receipt.position))
            #expect(fresh.entryHash == receipt.entryHash)
            let info = try await ServiceAPI(url: world.serviceURL).info()
            _ = try ReceiptCheck.verify(receipt, verifierKey: info.verifierKey, serviceKey: info.publicKey,
                                        origin: info.originPrefix + poll.hex)
            #expect(allOK(try await wallet.check(poll: poll)))

            // The log holds exactly one entry of this credential, counted once.
            #expect(try await world.service.store.head(logID: poll.bytes).size == before + 1)
            let summary = try await world.service.tally(poll).summary()
            #expect(summary.participants == 1)
            #expect(summary.entriesRecorded == 1)
            #expect(try wallet.pendingEntries().isEmpty)
            #expect(try await wallet.retry().isEmpty)
        }
    }

    @Test("the request is lost before the service: the pending entry is sent by the next command and gets a normal receipt")
    func lostRequest() async throws {
        try await WalletWorld.with { world in
            let (poll, wallet, proxy) = try await Self.start(world, world.consultationDraft())
            defer { proxy.stop() }

            proxy.lose { method, path in Self.isEntryPost(method, path) ? .request : .none }
            let first = [Answer(questionID: 1, choices: [0]), Answer(questionID: 2, choices: [1])]
            let lost = await clientError { () async throws(ClientError) in
                _ = try await wallet.vote(poll: poll, answers: first)
            }
            #expect(lost?.code == "client.unreachable")
            let pending = try #require(try wallet.file.load().record(poll)?.pendingEntry)
            #expect(pending.payload == .vote(first))
            #expect(try await world.service.tally(poll).summary().entriesRecorded == 0)

            // The next vote (a change) first delivers the pending one, then its own: both receipted, in order.
            proxy.lose { _, _ in .none }
            let second = [Answer(questionID: 1, choices: [2]), Answer(questionID: 2, choices: [])]
            let stored = try await wallet.vote(poll: poll, answers: second)
            #expect(stored.payload == .vote(second))
            let record = try #require(try wallet.file.load().record(poll))
            #expect(record.pendingEntry == nil)
            #expect(record.receipts.map(\.payload) == [.vote(first), .vote(second)])
            #expect(record.receipts[0].receipt.position < record.receipts[1].receipt.position)
            #expect(proxy.exchanges.filter { Self.isEntryPost($0.method, $0.path) }.map(\.status) == [nil, 201, 201])
            #expect(allOK(try await wallet.check(poll: poll)))
            let summary = try await world.service.tally(poll).summary()
            #expect(summary.participants == 1)
            #expect(summary.entriesRecorded == 2)
        }
    }

    @Test("a pending entry the service refuses for good (poll closed, never committed) is dropped with the service's code")
    func definitiveRefusalDropsPending() async throws {
        try await WalletWorld.with { world in
            let (poll, wallet, proxy) = try await Self.start(world, world.petitionDraft())
            defer { proxy.stop() }
            proxy.lose { method, path in Self.isEntryPost(method, path) ? .request : .none }
            _ = await clientError { () async throws(ClientError) in _ = try await wallet.sign(poll: poll) }
            #expect(try wallet.file.load().record(poll)?.pendingEntry != nil)

            _ = try await world.service.close(poll)
            proxy.lose { _, _ in .none }
            let refused = await clientError { () async throws(ClientError) in _ = try await wallet.retry(poll: poll) }
            #expect(refused?.code == "poll.not_open")
            #expect(try wallet.file.load().record(poll)?.pendingEntry == nil)
            #expect(try await world.service.tally(poll).summary().entriesRecorded == 0)
        }
    }
}
