import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxCore
import PnyxHTTP
@testable import PnyxService
import PnyxTransparency
import Testing

/// The crowd's reads served from memory (``ReadCache``): same bytes as uncached reads, ETag
/// and 304, refreshed from the database (appends of this process and of another one) once
/// due, tiles kept. The refresh is driven explicitly (the cache's clock is moved, or
/// ``PetitionService/refreshReads(_:)`` is called): no sleeping, no timing.
@Suite("Crowd reads from memory")
struct CrowdReadTests {
    /// A refresh interval no test reaches without moving the cache's clock.
    static let hour: Duration = .seconds(3600)

    /// The crowd's paths of `poll`.
    static func paths(_ poll: PollID) -> [String] {
        let base = "/v1/polls/\(poll.hex)"
        return [base, base + "/tally", base + "/log/checkpoint"]
    }

    /// Runs `body` with a client of a second, uncached service on the world's database.
    static func withUncached(_ world: PnyxWorld, _ body: @Sendable (any TestClientProtocol, PetitionService) async throws -> Void) async throws {
        var configuration = world.service.configuration
        configuration.readRefreshInterval = nil
        let other = try await PetitionService.start(configuration: configuration, now: { world.clock.now })
        do {
            try await buildServiceApplication(service: other).test(.router) { client in try await body(client, other) }
        } catch {
            await other.shutdown()
            throw error
        }
        await other.shutdown()
    }

    @Test("cached page data, counts, latest checkpoint and tiles are the uncached bytes, with the same ETag and 304")
    func sameBytes() async throws {
        try await PnyxWorld.with(readRefresh: Self.hour) { world in
            let poll = try await world.openPoll(world.petitionDraft())
            #expect(try await world.submit(try await world.citizen("R1", poll: poll).entry(.sign(nil))).status == .created)
            let tilePath = "/v1/polls/\(poll.id.hex)/log/tile/0/000.p/3"
            try await Self.withUncached(world) { uncached, _ in
                for path in Self.paths(poll.id) + [tilePath] {
                    let cached = try await world.client.get(path)
                    let again = try await world.client.get(path)
                    let reference = try await uncached.get(path)
                    #expect(cached.status == .ok, "\(path)")
                    #expect(Array(cached.body.readableBytesView) == Array(reference.body.readableBytesView), "\(path)")
                    #expect(Array(again.body.readableBytesView) == Array(reference.body.readableBytesView), "\(path)")
                    let etag = try #require(cached.headers[.eTag])
                    #expect(etag == reference.headers[.eTag], "\(path)")
                    #expect(cached.headers[.contentType] == reference.headers[.contentType], "\(path)")
                    let notModified = try await world.client.get(path, headers: [.ifNoneMatch: etag])
                    #expect(notModified.status == .notModified, "\(path)")
                    #expect(notModified.body.readableBytes == 0)
                    #expect(notModified.headers[.eTag] == etag)
                    let other = try await world.client.get(path, headers: [.ifNoneMatch: "\"00\""])
                    #expect(other.status == .ok)
                }
                // Counts and page data: max-age of the refresh interval; the checkpoint: 1 s.
                #expect(try await world.client.get(Self.paths(poll.id)[1]).headers[.cacheControl] == "public, max-age=3600")
                #expect(try await world.client.get(Self.paths(poll.id)[2]).headers[.cacheControl] == "public, max-age=1")
                #expect(try await uncached.get(Self.paths(poll.id)[1]).headers[.cacheControl] == "public, max-age=2")
            }
        }
    }

    @Test("after an append the counts, page data and latest checkpoint change once the refresh is due")
    func refreshAfterAppend() async throws {
        try await PnyxWorld.with(readRefresh: Self.hour) { world in
            let poll = try await world.openPoll(world.petitionDraft())
            #expect(try await world.submit(try await world.citizen("R1", poll: poll).entry(.sign(nil))).status == .created)
            var read: [String: [UInt8]] = [:]
            for path in Self.paths(poll.id) { read[path] = Array(try await world.client.get(path).body.readableBytesView) }
            let before = read
            #expect(try await world.submit(try await world.citizen("R2", poll: poll).entry(.sign(nil))).status == .created)

            // Due: the next reader starts the refresh (and may get the previous copy); once
            // it ended, every reader gets the new data.
            world.service.readCache.advanceClock(by: Self.hour)
            for path in Self.paths(poll.id) { #expect(try await world.client.get(path).status == .ok) }
            await world.service.readCache.idle()
            try await Self.withUncached(world) { uncached, _ in
                for path in Self.paths(poll.id) {
                    let now = Array(try await world.client.get(path).body.readableBytesView)
                    #expect(now != before[path], "\(path) did not change")
                    #expect(now == Array(try await uncached.get(path).body.readableBytesView), "\(path)")
                }
            }
            let tally = try await world.client.get(Self.paths(poll.id)[1]).decode(TallySummary.self)
            #expect(tally == (try await world.tally(poll.id)))
            #expect(Array(try await world.client.get(Self.paths(poll.id)[1]).body.readableBytesView)
                    == (try await world.service.tally(poll.id).summaryJSON))
        }
    }

    @Test("an append by a second service process on the same database is seen after a refresh")
    func secondProcess() async throws {
        try await PnyxWorld.with(readRefresh: Self.hour) { world in
            let poll = try await world.openPoll(world.petitionDraft())
            #expect(try await world.submit(try await world.citizen("R1", poll: poll).entry(.sign(nil))).status == .created)
            let tallyPath = Self.paths(poll.id)[1]
            let checkpointPath = Self.paths(poll.id)[2]
            let oldTally = Array(try await world.client.get(tallyPath).body.readableBytesView)
            let oldCheckpoint = Array(try await world.client.get(checkpointPath).body.readableBytesView)
            _ = try await world.client.get(Self.paths(poll.id)[0])

            try await Self.withUncached(world) { uncached, other in
                let voter = try await world.citizen("R3", poll: poll)
                let size = try await world.logSize(poll.id)
                let receipt = try await other.submit(try voter.entry(.sign(nil)), to: poll.id)
                #expect(Int64(receipt.position) == Int64(size))
                try await world.service.refreshReads(poll.id)
                let tally = Array(try await world.client.get(tallyPath).body.readableBytesView)
                #expect(tally != oldTally)
                #expect(tally == (try await other.tally(poll.id).summaryJSON))
                let checkpoint = Array(try await world.client.get(checkpointPath).body.readableBytesView)
                #expect(checkpoint != oldCheckpoint)
                for path in Self.paths(poll.id) {
                    #expect(Array(try await world.client.get(path).body.readableBytesView)
                            == Array(try await uncached.get(path).body.readableBytesView), "\(path)")
                }
            }
        }
    }

    @Test("full tiles are immutable, partial tiles are not; refusals are not cached")
    func tilesAndRefusals() async throws {
        try await PnyxWorld.with(readRefresh: Self.hour) { world in
            let poll = try await world.openPoll(world.petitionDraft())
            #expect(try await world.submit(try await world.citizen("R1", poll: poll).entry(.sign(nil))).status == .created)
            let base = "/v1/polls/\(poll.id.hex)/log"
            let partial = try await world.client.get("\(base)/tile/0/000.p/2")
            #expect(partial.status == .ok)
            #expect(partial.headers[.cacheControl] == "public, max-age=60")
            #expect(partial.headers[.cacheControl]?.contains("immutable") == false)
            let entries = try await world.client.get("\(base)/tile/entries/000.p/2")
            #expect(entries.status == .ok)
            #expect(entries.headers[.cacheControl]?.contains("immutable") == false)
            // A full tile does not exist yet (2 entries): refused, and refused again (not cached).
            for _ in 0..<2 {
                let full = try await world.client.get("\(base)/tile/0/000")
                #expect(full.status == .notFound)
                #expect(full.errorCode == "log.not_found")
            }
            // Fill the first tile (answers are lifecycle records: leaves too): now full and immutable.
            for index in 0..<256 { _ = try await world.service.answer(poll.id, text: "Réponse \(index)", links: []) }
            try await Self.withUncached(world) { uncached, _ in
                for path in ["\(base)/tile/0/000", "\(base)/tile/entries/000"] {
                    let full = try await world.client.get(path)
                    #expect(full.status == .ok)
                    #expect(full.headers[.cacheControl] == "public, max-age=31536000, immutable")
                    #expect(Array(full.body.readableBytesView) == Array(try await uncached.get(path).body.readableBytesView))
                }
                // The partial tile read before still names the same bytes.
                #expect(Array(try await world.client.get("\(base)/tile/0/000.p/2").body.readableBytesView)
                        == Array(try await uncached.get("\(base)/tile/0/000.p/2").body.readableBytesView))
            }
            let unknown = PollID.random()
            for _ in 0..<2 {
                #expect(try await world.client.get("/v1/polls/\(unknown.hex)/tally").errorCode == "poll.unknown")
                #expect(try await world.client.get("/v1/polls/\(unknown.hex)").errorCode == "poll.unknown")
                #expect(try await world.client.get("/v1/polls/\(unknown.hex)/log/checkpoint").errorCode == "poll.unknown")
            }
        }
    }

    /// `pnyx_http_fast_reads_total` of `service`.
    static func fastReads(_ service: PetitionService) -> Int {
        let line = service.metrics.render().split(separator: "\n").first { $0.hasPrefix("pnyx_http_fast_reads_total ") }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) } ?? 0
    }

    @Test("on a live socket, cached reads are answered before the router with the router's bytes and headers, 304 included")
    func fastPath() async throws {
        try await PnyxWorld.with(readRefresh: Self.hour) { world in
            let poll = try await world.openPoll(world.petitionDraft())
            #expect(try await world.submit(try await world.citizen("R1", poll: poll).entry(.sign(nil))).status == .created)
            let paths = Self.paths(poll.id) + ["/v1/polls/\(poll.id.hex)/log/tile/0/000.p/3", "/v1/polls/\(poll.id.hex)/log/tile/entries/000.p/3"]
            try await buildServiceApplication(service: world.service).testLive { live in
                #expect(Self.fastReads(world.service) == 0)
                for path in paths {
                    let first = try await live.get(path)  // through the router: makes the copy
                    let fast = try await live.get(path)   // from memory, before the router
                    let routed = try await world.client.get(path)
                    #expect(fast.status == .ok, "\(path)")
                    #expect(Array(fast.body.readableBytesView) == Array(routed.body.readableBytesView), "\(path)")
                    #expect(Array(first.body.readableBytesView) == Array(routed.body.readableBytesView), "\(path)")
                    #expect(fast.headers[.eTag] == routed.headers[.eTag], "\(path)")
                    #expect(fast.headers[.cacheControl] == routed.headers[.cacheControl], "\(path)")
                    #expect(fast.headers[.contentType] == routed.headers[.contentType], "\(path)")
                    // The router's headers in the router's order, Date and Server last.
                    #expect(fast.headers.map(\.name) == first.headers.map(\.name), "\(path)")
                    #expect(fast.headers[.server] == "pnyx-service" && fast.headers[.date]?.hasSuffix(" GMT") == true)
                    let etag = try #require(fast.headers[.eTag])
                    let notModified = try await live.get(path, headers: [.ifNoneMatch: "\"00\", " + etag])
                    #expect(notModified.status == .notModified, "\(path)")
                    #expect(notModified.body.readableBytes == 0)
                    #expect(notModified.headers[.eTag] == etag)
                    #expect(notModified.headers[.server] == "pnyx-service" && notModified.headers[.date] != nil)
                }
                #expect(Self.fastReads(world.service) == 2 * paths.count)

                // Not cached (unknown poll, query string, other paths): the router answers.
                let unknown = PollID.random()
                #expect(try await live.get("/v1/polls/\(unknown.hex)/tally").errorCode == "poll.unknown")
                #expect(try await live.get(Self.paths(poll.id)[1] + "?x=1").status == .ok)
                #expect(try await live.get("/v1/polls/\(poll.id.hex)/log/checkpoints/1").status == .notFound)
                #expect(Self.fastReads(world.service) == 2 * paths.count)

                // After an append and a refresh, the fast path serves the new counts.
                #expect(try await world.submit(try await world.citizen("R2", poll: poll).entry(.sign(nil))).status == .created)
                try await world.service.refreshReads(poll.id)
                let tally = Array(try await live.get(Self.paths(poll.id)[1]).body.readableBytesView)
                #expect(tally == (try await world.service.tally(poll.id).summaryJSON))
                #expect(Self.fastReads(world.service) == 2 * paths.count + 1)
            }
        }
    }
}
