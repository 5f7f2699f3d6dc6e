import Foundation
import PnyxAudit
import PnyxCore
@testable import PnyxReliability
import Testing

/// Regression tests for what the fuzzer found.
@Suite("Fuzz findings")
struct FuzzFindingTests {
    /// A published tally listing a threshold row twice passed the auditor: the keyed
    /// comparison kept the first row of each index (found by `pnyx-fuzz --seed 1`).
    @Test("a published tally with a duplicated threshold, hour or question row is a tally.mismatch")
    func duplicatedTallyRows() throws {
        var random = SeededGenerator(seed: 11)
        let fixture = try FuzzFixture(random: &random)
        let recomputed = fixture.tally
        #expect(TallyComparison.compare(published: recomputed, recomputed: recomputed).isEmpty)
        for field in ["thresholds", "hourly"] {
            var object = try #require(try JSONSerialization.jsonObject(with: Data(try recomputed.jsonBytes())) as? [String: Any])
            let rows = try #require(object[field] as? [Any])
            try #require(!rows.isEmpty, "the fixture's tally has \(field) rows")
            object[field] = rows + [rows[0]]
            let published = try JSONDecoder().decode(TallySummary.self, from: try JSONSerialization.data(withJSONObject: object))
            let findings = TallyComparison.compare(published: published, recomputed: recomputed)
            #expect(findings.map(\.code) == [.tallyMismatch], "\(field): \(findings)")
        }
    }
}
