import Foundation
import PnyxCore

/// The witness-cosigned form of each batch's checkpoint, looked up once per checkpoint (not
/// once per receipt): receipts of one batch share one checkpoint.
final class CosignedNotes: @unchecked Sendable {
    private struct Key: Hashable {
        let poll: PollID
        let treeSize: Int64
    }

    private let lock = NSLock()
    private var notes: [Key: Task<String, any Error>] = [:]

    /// The cosigned note of the checkpoint of `treeSize` entries of `poll`, made by `make` once.
    func note(poll: PollID, treeSize: Int64, _ make: @escaping @Sendable () async throws -> String) async throws -> String {
        let key = Key(poll: poll, treeSize: treeSize)
        let task = lock.withLock { () -> Task<String, any Error> in
            if let known = notes[key] { return known }
            if notes.count >= 256 { notes.removeAll() }  // receipts only need the newest batches'
            let made = Task { try await make() }
            notes[key] = made
            return made
        }
        do {
            return try await task.value
        } catch {
            lock.withLock { if notes[key] == task { notes[key] = nil } }
            throw error
        }
    }
}
