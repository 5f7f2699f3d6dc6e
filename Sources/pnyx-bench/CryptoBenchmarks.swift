/// Crypto benchmarks (to be filled in).
enum CryptoBenchmarks {
    static func run(_ report: inout BenchReport) throws {}
}
