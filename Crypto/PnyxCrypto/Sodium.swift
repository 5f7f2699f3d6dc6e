internal import CSodium

/// Process-wide libsodium initialisation; every libsodium wrapper calls ``Sodium/ready()`` first.
enum Sodium {
    private static let initialised: Bool = sodium_init() >= 0

    /// Ensures `sodium_init()` ran. libsodium cannot work without it, so failure is fatal.
    static func ready() {
        precondition(initialised, "libsodium: sodium_init() failed")
    }
}
