/// libsodium benchmarks (to be filled in).
enum SodiumBenchmarks {
    static func run(_ report: inout BenchReport) throws {}
}
