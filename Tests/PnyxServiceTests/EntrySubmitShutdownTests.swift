import Foundation
import Hummingbird
import Logging
import PnyxCore
import PnyxCrypto
@testable import PnyxLogStore
import PnyxPostgres
@testable import PnyxService
import ServiceLifecycle
import Testing

/// A graceful shutdown while ``EntrySubmitFastPath`` has a submission in flight: the server
/// stops accepting connections, but the entry's connection stays open until its answer (the
/// receipt, after the durable commit) is written.
@Suite("Entry fast path: graceful shutdown (live socket, real PostgreSQL)")
struct EntrySubmitShutdownTests {
    /// `pnyx_http_requests_in_flight` of `service`.
    static func inFlight(_ service: PetitionService) -> Double {
        let line = service.metrics.render().split(separator: "\n").first { $0.hasPrefix("pnyx_http_requests_in_flight ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
    }

    @Test("an entry in flight when the shutdown starts is still committed and answered with its receipt")
    func inFlightEntryAnswered() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let base = try await world.logSize(poll.id)
            let entry = try await world.citizen("R1", poll: poll).entry(.sign(nil))

            // Hold the poll's append lock in a transaction of our own: the entry's batch waits for it.
            let (locked, lockedNow) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseNow) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await world.service.pool.withTransaction { session in
                    _ = try await session.query("SELECT pg_advisory_xact_lock($1)", [.int64(LogBatchWriter.appendLockKey(poll.id.bytes))])
                    lockedNow.finish()
                    for await _ in release {}
                }
            }
            for await _ in locked {}

            let (ports, portKnown) = AsyncStream.makeStream(of: Int.self)
            let application = buildServiceApplication(service: world.service, onServerRunning: { channel in
                portKnown.yield(channel.localAddress?.port ?? 0)
                portKnown.finish()
            })
            let group = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "test")))
            let running = Task { try await group.run() }
            var port = 0
            for await value in ports { port = value }
            #expect(port > 0)

            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(RawHTTPConnection.post("/v1/polls/\(poll.id.hex)/entries", try EntrySubmitFastPathTests.bytes(entry)))
            // Bounded waits (a failure, not a hang): the submission is in flight, blocked on the lock.
            for _ in 0..<600 where Self.inFlight(world.service) < 1 { try await Task.sleep(for: .milliseconds(50)) }
            #expect(Self.inFlight(world.service) == 1)

            await group.triggerGracefulShutdown()
            // The listener closes first; the connections are then asked to quiesce.
            var refused = false
            for _ in 0..<600 where !refused {
                do {
                    _ = try await RawHTTPConnection.connect(port: port)
                    try await Task.sleep(for: .milliseconds(50))
                } catch {
                    refused = true
                }
            }
            #expect(refused)
            try await Task.sleep(for: .milliseconds(200))  // let the quiesce event reach the connection

            releaseNow.finish()
            try await holder.value
            let answer = try await connection.answer()
            #expect(answer.status == 201, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(try await connection.isClosedByServer())
            try await running.value
            #expect(try await world.logSize(poll.id) == base + 1)
        }
    }
}
