import PnyxLogStore
import PnyxPostgres
import PnyxTransparency
import Testing

@Suite("Lost connections")
struct ConnectionLossTests {
    @Test("a connection terminated server-side fails its waiters with db.connection_lost, never a fake success")
    func terminatedBackendsFailWaiters() async throws {
        let (store, url) = try await LogTestSupport.freshStore(poolSize: 2, maxBatch: 10)
        let logID = try await LogTestSupport.newLog(store)
        let killer = PostgresPool(configuration: PostgresConfiguration(url: url), size: 1)
        var successes: [LogReceipt] = []
        var failures: [any Error] = []
        for _ in 0..<20 where failures.isEmpty {
            let results = try await withThrowingTaskGroup(of: Result<LogReceipt, any Error>.self) { group in
                for i in 0..<400 {
                    group.addTask {
                        do { return .success(try await store.append(logID: logID, payload: Array("x\(i)".utf8))) } catch {
                            return .failure(error)
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<10 {
                        try await Task.sleep(for: .milliseconds(3))
                        try await killer.execute(
                            """
                            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                            """)
                    }
                    return .failure(CancellationError())
                }
                var results: [Result<LogReceipt, any Error>] = []
                for try await result in group { results.append(result) }
                return results
            }
            for result in results {
                switch result {
                case .success(let receipt): successes.append(receipt)
                case .failure(let error as PostgresError): failures.append(error)
                case .failure(is CancellationError): break
                case .failure(let error): Issue.record("unexpected error \(error)")
                }
            }
        }
        #expect(!failures.isEmpty, "no append was ever interrupted")
        for failure in failures {
            #expect((failure as? PostgresError)?.code == .connectionLost, "\(failure)")
        }
        // Every success is durably in the log with its hash; the chain is intact.
        let hashes = try await LogTestSupport.checkChain(store, logID)
        for receipt in successes {
            #expect(receipt.position < hashes.count && hashes[Int(receipt.position)] == receipt.entryHash)
        }
        // And the store recovers: the next append lands at the head.
        let next = try await store.append(logID: logID, payload: Array("after".utf8))
        #expect(next.position == Int64(hashes.count))
        await killer.close()
        await store.pool.close()
    }
}
