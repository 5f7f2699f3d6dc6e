import Foundation
import PnyxCore
@testable import PnyxReliability
import Testing

/// The short fuzz run of `make test` (20 000 inputs, fixed seed) and checks that its oracles
/// are not vacuous.
@Suite("Fuzz (short)")
struct FuzzShortTests {
    @Test("20 000 mutated inputs: no crash, no hang, no accepted invalid entry, canonical decoding unique")
    func shortFuzz() throws {
        let report = try FuzzHarness(options: .init(seed: 424_242, inputs: 20_000, guardSeconds: 60,
                                                    crashFile: NSTemporaryDirectory() + "pnyx-fuzz-crash-\(UUID().uuidString)"))
            .run()
        print(report)
        #expect(report.passed, "\(report.problems.prefix(5))")
        #expect(report.inputs >= 19_990)
        for (name, figures) in report.targets {
            #expect(figures.invalidAccepted == 0, "\(name)")
            // The unmutated valid inputs come first: the targets do accept valid input.
            if name.hasPrefix("entry.") { #expect(figures.accepted >= 7, "\(name) accepted \(figures.accepted)") }
            if name == "export" { #expect(figures.accepted >= 1, "the clean export must verify") }
        }
    }

    @Test("the fixture's entries verify, and one flipped signature bit is refused")
    func fixtureEntries() throws {
        var random = SeededGenerator(seed: 7)
        let fixture = try FuzzFixture(random: &random)
        for entry in fixture.entries { try entry.verify(definition: fixture.definition, directory: fixture.directory) }
        let entry = fixture.entries[0]
        var signature = entry.signature
        signature[0] ^= 1
        let forged = Entry(pollID: entry.pollID, credential: entry.credential, channel: entry.channel, payload: entry.payload, nonce: entry.nonce, signature: signature)
        #expect(throws: CoreError.self) { try forged.verify(definition: fixture.definition, directory: fixture.directory) }
    }

    @Test("the same seed gives the same mutations")
    func seededMutations() {
        var first = Mutator(random: SeededGenerator(seed: 99), corpus: [[1, 2, 3]])
        var second = Mutator(random: SeededGenerator(seed: 99), corpus: [[1, 2, 3]])
        let input: [UInt8] = Array("{\"a\":[1,2,\"x\"]}".utf8)
        for _ in 0..<100 { #expect(first.mutateJSON(input) == second.mutateJSON(input)) }
    }
}
