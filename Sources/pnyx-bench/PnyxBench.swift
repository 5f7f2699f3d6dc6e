import ArgumentParser
import Foundation

/// `pnyx-bench`: release-mode benchmarks. Every figure with a bar is a ratio against the
/// machine's own raw limit measured in the same run (or an absolute bar from the product brief).
@main
struct PnyxBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pnyx-bench", abstract: "Measure Pnyx against the machine's own limits.")

    @Option(help: "Where to write the flat JSON object of figures.")
    var output: String = ".bench/results.json"

    @Option(help: "Comma-separated groups to run (crypto, merkle, log, service). Default: all.")
    var only: String?

    @Flag(help: "Smaller sizes and shorter runs (a smoke run; figures are noisier).")
    var quick = false

    mutating func run() throws {
        let groups = only.map { Set($0.split(separator: ",").map(String.init)) }
        func wanted(_ name: String) -> Bool { groups?.contains(name) ?? true }
        var report = BenchReport()
        if wanted("crypto") { print("crypto:"); try CryptoBenchmarks.run(&report); try SodiumBenchmarks.run(&report) }
        if wanted("merkle") { print("merkle:"); try MerkleBenchmarks.run(&report) }
        if wanted("broker") { print("broker:"); try BrokerBenchmarks.run(&report) }
        if wanted("log") { print("log:"); try LogBenchmarks.run(&report) }
        if wanted("audit") { print("audit:"); try AuditBenchmarks.run(&report) }
        if wanted("service") { print("service:"); try ServiceBenchmarks.run(&report, quick: quick) }
        print()
        print(report.table())
        try report.write(to: output)
        print("\nwrote \(output)")
    }
}
