/// Merkle benchmarks (to be filled in).
enum MerkleBenchmarks {
    static func run(_ report: inout BenchReport) throws {}
}
