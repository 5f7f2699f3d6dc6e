import ArgumentParser
import Foundation
import PnyxReliability

/// `pnyx-chaos`: the crash-safety harness (`make chaos`). Starts PostgreSQL, the broker and
/// the service as separate processes, SIGKILLs the service and stops PostgreSQL under load,
/// runs two services on one database, sends bad input in bulk, then checks that every
/// acknowledged entry is in the log and that `pnyx-audit verify` passes. Exits 1 when a
/// guarantee failed.
@main
struct PnyxChaos: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pnyx-chaos", abstract: "Kill the service and PostgreSQL under load; check nothing acknowledged is lost.")

    @Option(help: "Seed of the kill moments and outages (default: a fresh one, printed).")
    var seed: UInt64?

    @Option(help: "SIGKILL runs of the service.")
    var runs: Int = 20

    @Option(help: "PostgreSQL outages (pg_ctl stop -m immediate) under load.")
    var outages: Int = 2

    @Flag(help: "The short version run by `make test` (3 kills, 1 outage).")
    var short = false

    @Option(help: "The folder of the built pnyx and pnyx-audit (default: next to this executable).")
    var bin: String?

    func run() async throws {
        let binDirectory = bin ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let chosen = seed ?? SeededGenerator.freshSeed()
        var options = short ? ChaosHarness.Options.short(seed: chosen, binDirectory: binDirectory)
            : ChaosHarness.Options.full(seed: chosen, binDirectory: binDirectory)
        if !short {
            options.killRuns = runs
            options.outages = outages
        }
        // Progress goes straight to standard output (unbuffered), so a log file shows it at once.
        let report = try await ChaosHarness(options: options, say: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }).run()
        print(report)
        if !report.passed {
            print("chaos: FAILED (process logs kept in \(options.directory))")
            throw ExitCode(1)
        }
        print("chaos: passed")
    }
}
