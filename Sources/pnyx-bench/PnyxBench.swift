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

    @Option(help: "Comma-separated groups to run (crypto, merkle, broker, log, audit, service, scale). Default: all.")
    var only: String?

    @Flag(help: "Smaller sizes and shorter runs (a smoke run; figures are noisier).")
    var quick = false

    mutating func run() throws {
        let groups = only.map { Set($0.split(separator: ",").map(String.init)) }
        func wanted(_ name: String) -> Bool { groups?.contains(name) ?? true }
        var report = BenchReport()
        let quick = self.quick
        // Each group's wall-clock seconds go into the results as `bench.<group>_seconds`.
        var durations: [(String, Double)] = []
        func group(_ name: String, _ body: (inout BenchReport) throws -> Void) throws {
            guard wanted(name) else { return }
            print("\(name):")
            let start = DispatchTime.now().uptimeNanoseconds
            try body(&report)
            durations.append((name, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
            print("  (\(name): " + String(format: "%.0f s)", durations.last!.1))
        }
        let started = DispatchTime.now().uptimeNanoseconds
        try group("crypto") { try CryptoBenchmarks.run(&$0); try SodiumBenchmarks.run(&$0) }
        try group("merkle") { try MerkleBenchmarks.run(&$0) }
        try group("broker") { try BrokerBenchmarks.run(&$0) }
        try group("log") { try LogBenchmarks.run(&$0) }
        try group("audit") { try AuditBenchmarks.run(&$0) }
        try group("service") { try ServiceBenchmarks.run(&$0, quick: quick) }
        try group("scale") { try ScaleBenchmarks.run(&$0, quick: quick) }
        print()
        for (name, seconds) in durations { report.record("bench.\(name)_seconds", seconds, unit: "s") }
        report.record("bench.total_seconds", Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, unit: "s")
        print(report.table())
        try report.write(to: output)
        print("\nwrote \(output)")
    }
}
