import Foundation
import NIOCore
import PnyxCore
import PnyxService
import PnyxTransparency

/// The crowd: readers of a popular poll while entries arrive, on the service that
/// ``ServiceBenchmarks`` started (same process, same loopback port, same durable cluster,
/// read cache at its production default: refreshed every 500 ms). The load generators
/// (``HTTPLoadGenerator``: pre-encoded requests, minimal response parsing) share the 2 cores
/// with the service and PostgreSQL.
///
/// The readers' mix: the poll's page data (`GET /v1/polls/{poll}`), its counts (`…/tally`),
/// its latest checkpoint (`…/log/checkpoint`) and its last full level-0 tile (`…/log/tile/0/N`),
/// a quarter of the connections each, full bodies (no `If-None-Match`). The mix actually served
/// is reported (`service.read_mix_*`, shares of the responses).
///
/// Three runs of ``Sizes/crowdSeconds`` each, every one with fresh entries offered open loop
/// at ``Sizes/crowdWriteRate`` (1 000/s) on 32 connections:
/// 1. `service.write_p99_ms_no_readers`: the entries alone (the write path's p99 without readers).
/// 2. `service.read_rps`: sustained reads/s from ``Sizes/readerConnections`` (256) keep-alive
///    connections, closed loop (each sends its next request when the previous answer ended),
///    while the entries arrive. Bar ≥ 10 000.
/// 3. `service.read_p99_ms`: p99 latency of readers offered **open loop** at 10 000 req/s (the
///    bar's rate) over the same 256 connections, measured from each request's due time (a
///    request waiting behind a slow one counts its wait), while the entries arrive. Bar < 20.
///    The entries' p99 meanwhile is `service.write_p99_ms_under_readers`.
///
/// (Until 2026-11-24 `service.read_p99_ms` was the p99 of the closed-loop run; with N
/// closed-loop connections that is about N ÷ throughput, a figure of the connection count
/// rather than of the service.)
enum CrowdBenchmarks {
    struct Figures: Sendable {
        var context: [(String, Double, String)] = []
        var readRPS = 0.0
        var readP99 = 0.0
    }

    /// The open-loop readers' rate (the bar's).
    static let openLoopReadRate = 10_000.0

    /// Entries the crowd needs (three runs at the write rate).
    static func writeCount(_ sizes: ServiceBenchmarks.Sizes) -> Int {
        3 * Int(sizes.crowdWriteRate) * Int(sizes.crowdSeconds)
    }

    /// Runs the crowd against `server` (the HTTP application of `service`), with `writes`
    /// (``writeCount(_:)`` prepared entries of `poll`).
    static func measure(
        service: PetitionService, server: BenchServer, poll: PollState, sizes: ServiceBenchmarks.Sizes,
        writes: [HTTPLoadGenerator.Request]
    ) async throws -> Figures {
        var figures = Figures()
        let size = try await service.store.head(logID: poll.id.bytes).size
        let base = "/v1/polls/\(poll.id.hex)"
        let fullTiles = size / 256
        let names = ["page", "tally", "checkpoint", "tile"]
        let reads = [
            HTTPLoadGenerator.request("GET", base), HTTPLoadGenerator.request("GET", base + "/tally"),
            HTTPLoadGenerator.request("GET", base + "/log/checkpoint"),
            HTTPLoadGenerator.request(
                "GET", base + "/log/" + (try Tile(level: 0, index: max(0, fullTiles - 1), width: fullTiles > 0 ? 256 : Int(max(1, size)))).path),
        ]
        let perRun = max(1, writes.count / 3)
        func writeRun(_ part: Int) async throws -> HTTPLoadGenerator.Result {
            try await HTTPLoadGenerator(.init(
                port: server.port, connections: 32, mode: .openLoop(perSecond: sizes.crowdWriteRate),
                duration: .seconds(sizes.crowdSeconds))).run(Array(writes[(part * perRun)..<min(writes.count, (part + 1) * perRun)]))
        }

        // 1. Entries alone.
        let alone = try await writeRun(0)
        print("  crowd writes alone: \(alone.summary)")

        // 2. Closed-loop readers: the sustained rate.
        async let closedWrites = writeRun(1)
        async let closedReads = HTTPLoadGenerator(.init(
            port: server.port, connections: sizes.readerConnections, duration: .seconds(sizes.crowdSeconds),
            repeating: true)).run(reads)
        let (w1, r1) = try await (closedWrites, closedReads)
        print("  crowd readers, closed loop: \(r1.summary) \(r1.statuses)")
        print("  crowd writes meanwhile:     \(w1.summary)")

        // 3. Open-loop readers at the bar's rate: the latency.
        async let openWrites = writeRun(2)
        async let openReads = HTTPLoadGenerator(.init(
            port: server.port, connections: sizes.readerConnections, mode: .openLoop(perSecond: openLoopReadRate),
            duration: .seconds(sizes.crowdSeconds), repeating: true)).run(reads)
        let (w2, r2) = try await (openWrites, openReads)
        print(String(format: "  crowd readers, open loop %.0f/s: ", openLoopReadRate) + "\(r2.summary) \(r2.statuses)")
        print("  crowd writes meanwhile:         \(w2.summary)")

        figures.readRPS = r1.successesPerSecond
        figures.readP99 = r2.p99Ms
        let served = max(1, r1.perRequest.reduce(0, +))
        print("  mix (closed loop): " + zip(names, r1.perRequest).map { "\($0) \($1)" }.joined(separator: ", "))
        figures.context += [
            ("service.read_p99_ms_closed_loop", r1.p99Ms, "ms"),
            ("service.read_errors", Double(r1.errors + r2.errors), "count"),
            ("service.read_open_loop_per_s", r2.successesPerSecond, "req/s"),
            ("service.read_p50_ms", r2.p50Ms, "ms"),
            ("service.write_p99_ms_no_readers", alone.p99Ms, "ms"),
            ("service.write_p99_ms_under_readers", max(w1.p99Ms, w2.p99Ms), "ms"),
            ("service.write_per_s_under_readers", min(w1.successesPerSecond, w2.successesPerSecond), "entries/s"),
            ("service.write_errors_crowd", Double(alone.errors + w1.errors + w2.errors), "count"),
        ]
        for (name, count) in zip(names, r1.perRequest) {
            figures.context.append(("service.read_mix_\(name)", Double(count) / Double(served), "share"))
        }
        return figures
    }
}
