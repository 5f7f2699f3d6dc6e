import PnyxLogStore
import PnyxTransparency

/// Signs checkpoints on demand for receipts, one at a time per log: every request that
/// arrives while a signature is being made waits for it, and is answered by it when it
/// covers the entry (the checkpoint is made from the committed head, so it covers every
/// entry committed before it started). Under load this is one checkpoint per round trip,
/// not one per entry.
actor CheckpointCoalescer {
    let store: LogStore
    let signer: NoteSigner
    private var latest: [[UInt8]: StoredCheckpoint] = [:]
    private var inFlight: [[UInt8]: Task<StoredCheckpoint?, any Error>] = [:]

    init(store: LogStore, signer: NoteSigner) {
        self.store = store
        self.signer = signer
    }

    /// A signed checkpoint of `logID` whose tree has at least `size` entries (the entries
    /// must be committed).
    func covering(_ logID: [UInt8], size: Int64) async throws -> StoredCheckpoint {
        while true {
            if let known = latest[logID], known.treeSize >= size { return known }
            let task: Task<StoredCheckpoint?, any Error>
            if let running = inFlight[logID] {
                task = running
            } else {
                task = Task { [store, signer] in try await store.checkpoint(logID: logID, signer: signer) }
                inFlight[logID] = task
            }
            let result: StoredCheckpoint?
            do {
                result = try await task.value
            } catch {
                if inFlight[logID] == task { inFlight[logID] = nil }
                throw error
            }
            if inFlight[logID] == task { inFlight[logID] = nil }
            if let result {
                if result.treeSize > latest[logID]?.treeSize ?? -1 { latest[logID] = result }
                if result.treeSize >= size { return result }
            }
        }
    }
}
