import Foundation
import PnyxReliability
import Testing

/// The short chaos run of `make test`: the real `pnyx` executable (built next to this test
/// bundle) as separate broker and service processes on a durable private PostgreSQL; three
/// SIGKILLs of the service under load, one PostgreSQL outage, two services on one database,
/// bad input in bulk; nothing acknowledged may be lost and every poll must pass the auditor.
@Suite("Chaos (short)")
struct ChaosShortTests {
    /// The folder of the built executables (the test bundle sits beside them).
    static var binDirectory: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    }

    @Test("3 kills, 1 outage, 2 services, abuse: 0 acknowledged entries lost, every poll audited")
    func shortChaos() async throws {
        let seed: UInt64 = 20_261_124
        let options = ChaosHarness.Options.short(seed: seed, binDirectory: Self.binDirectory)
        let report = try await ChaosHarness(options: options, say: { print("  \($0)") }).run()
        print(report)
        #expect(report.problems.isEmpty, "\(report.problems)")
        #expect(report.killRuns == 3)
        #expect(report.outages == 1)
        #expect(report.acknowledged > 0)
        #expect(report.lost == 0)
        #expect(report.acknowledgedByService[1] > 0, "the second service process acknowledged nothing")
        #expect(report.pollsAudited == options.polls && report.auditsPassed == report.pollsAudited)
        #expect(report.abuseSent > 0 && report.abuseAccepted == 0)
        #expect(report.outageCodes.allSatisfy { $0.contains("503 db.") }, "\(report.outageCodes)")
        // Every acknowledged entry is in the log: the logs hold at least the acknowledged entries.
        #expect(report.logEntries >= Int64(report.acknowledged))
    }
}
