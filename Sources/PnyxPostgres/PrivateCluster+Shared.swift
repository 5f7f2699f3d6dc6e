/// One lazily started throwaway cluster per process, for test suites.
private let sharedTemporaryCluster = Task<PrivateCluster, any Error> {
    try await PrivateCluster.start(.temporary())
}

extension PrivateCluster {
    /// A throwaway cluster (``Options/temporary(database:settings:)``) shared by the whole process:
    /// started on first use, stopped and deleted at exit. Pair it with ``createDatabase(named:)``
    /// to give each test its own empty database.
    public static func sharedTemporary() async throws -> PrivateCluster {
        try await sharedTemporaryCluster.value
    }
}
