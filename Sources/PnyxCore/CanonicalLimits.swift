/// The decoding limits of the canonical encoding. A longer string or byte field, or a
/// longer list, is refused with `encoding.limit_exceeded` before anything is allocated.
public enum CanonicalLimits {
    /// The longest `string`, in UTF-8 bytes: 64 KiB.
    public static let maximumStringByteCount = 65_536
    /// The longest `bytes` field: 64 KiB.
    public static let maximumBytesCount = 65_536
    /// The most items in a `list` or `set`.
    public static let maximumListCount = 10_000
}
