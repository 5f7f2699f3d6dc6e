internal import CSodium

/// Constant-time comparison (libsodium `sodium_memcmp`).
public enum ConstantTime {
    /// True when both byte strings are equal. The time taken depends only on the lengths,
    /// never on where the contents differ; different lengths compare unequal at once.
    public static func equals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.isEmpty { return true }
        Sodium.ready()
        return lhs.withUnsafeBytes { l in
            rhs.withUnsafeBytes { r in sodium_memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0 }
        }
    }
}
