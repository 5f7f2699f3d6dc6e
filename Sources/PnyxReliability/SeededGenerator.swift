/// A deterministic random number generator (SplitMix64): the same seed gives the same
/// kill moments, outages and mutations, so a failing chaos or fuzz run can be replayed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator started from `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed from the clock and the system generator, for runs that are not given one.
    public static func freshSeed() -> UInt64 { UInt64.random(in: 1...UInt64.max) }
}
