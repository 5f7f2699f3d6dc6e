import ArgumentParser
import Foundation
import PnyxReliability

/// `pnyx-fuzz`: the seeded mutation fuzzer (`make fuzz`) over the canonical entry decoder,
/// Entry JSON decoding and validation, the API's JSON bodies and the export reader (the
/// auditor on a mutated export). Exits 1 when an oracle failed; a crash or hang stops the
/// process and leaves the input in the crash file.
@main
struct PnyxFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pnyx-fuzz", abstract: "Fuzz the decoders, the JSON API bodies and the export reader.")

    @Option(help: "Seed (default: a fresh one, printed).")
    var seed: UInt64?

    @Option(help: "Inputs in all.")
    var inputs: Int = 1_000_000

    @Option(help: "Seconds one input may take before it counts as a hang.")
    var guardSeconds: Double = 10

    @Option(help: "Where a crashing or hanging input is written.")
    var crashFile: String = ".fuzz-crash.bin"

    func run() throws {
        let chosen = seed ?? SeededGenerator.freshSeed()
        print("fuzz: seed \(chosen) (replay with --seed \(chosen)), \(inputs) inputs, \(guardSeconds) s guard per input")
        let report = try FuzzHarness(options: .init(seed: chosen, inputs: inputs, guardSeconds: guardSeconds, crashFile: crashFile))
            .run { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
        print(report)
        try? FileManager.default.removeItem(atPath: crashFile)
        if !report.passed {
            print("fuzz: FAILED")
            throw ExitCode(1)
        }
        print("fuzz: passed")
    }
}
