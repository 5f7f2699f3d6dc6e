import Foundation
import NIOCore
import PnyxCore
import PnyxService
import PnyxTransparency

/// The crowd: readers of a popular poll while entries arrive, on the service that
/// ``ServiceBenchmarks`` started (same process, same loopback port, same durable cluster).
///
/// - `service.read_rps` / `service.read_p99_ms`: readers of the poll (poll data, tally, latest
///   checkpoint, a tile) on many keep-alive connections, closed loop, while entries arrive
///   open loop at 1 000/s. Bars ≥ 10 000 and < 20. The entries' p99 meanwhile is reported
///   as `service.write_p99_ms_under_readers`.
enum CrowdBenchmarks {
    struct Figures: Sendable {
        var context: [(String, Double, String)] = []
        var readRPS = 0.0
        var readP99 = 0.0
    }

    /// Runs the crowd against `server` (the HTTP application of `service`), with `writes`
    /// (prepared entries of `poll`) offered open loop at ``ServiceBenchmarks/Sizes/crowdWriteRate``.
    static func measure(
        service: PetitionService, server: BenchServer, poll: PollState, sizes: ServiceBenchmarks.Sizes,
        writes: [HTTPLoadGenerator.Request]
    ) async throws -> Figures {
        var figures = Figures()
        let size = try await service.store.head(logID: poll.id.bytes).size
        let base = "/v1/polls/\(poll.id.hex)"
        let fullTiles = size / 256
        let reads = [
            HTTPLoadGenerator.request("GET", base), HTTPLoadGenerator.request("GET", base + "/tally"),
            HTTPLoadGenerator.request("GET", base + "/log/checkpoint"),
            HTTPLoadGenerator.request(
                "GET", base + "/log/" + (try Tile(level: 0, index: max(0, fullTiles - 1), width: fullTiles > 0 ? 256 : Int(max(1, size)))).path),
        ]
        async let writeRun = HTTPLoadGenerator(.init(
            port: server.port, connections: 32, mode: .openLoop(perSecond: sizes.crowdWriteRate),
            duration: .seconds(sizes.crowdSeconds))).run(writes)
        async let readRun = HTTPLoadGenerator(.init(
            port: server.port, connections: sizes.readerConnections, duration: .seconds(sizes.crowdSeconds),
            repeating: true)).run(reads)
        let (w, r) = try await (writeRun, readRun)
        print("  crowd readers: \(r.summary) \(r.statuses)")
        print("  crowd writes:  \(w.summary)")
        figures.readRPS = r.successesPerSecond
        figures.readP99 = r.p99Ms
        figures.context += [
            ("service.read_errors", Double(r.errors), "count"),
            ("service.write_p99_ms_under_readers", w.p99Ms, "ms"),
            ("service.write_per_s_under_readers", w.successesPerSecond, "entries/s"),
        ]
        return figures
    }
}
