/// Log benchmarks (to be filled in).
enum LogBenchmarks {
    static func run(_ report: inout BenchReport) throws {}
}
