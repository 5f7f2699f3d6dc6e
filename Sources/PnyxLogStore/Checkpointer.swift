import Foundation
import Logging
public import PnyxTransparency

/// Makes checkpoints while entries arrive: every ``interval`` it signs a checkpoint for each
/// log that grew since its latest one (see ``LogStore/checkpoint(logID:signer:)``).
/// Safe to run in several processes at once.
public final class Checkpointer: Sendable {
    /// The store.
    public let store: LogStore
    /// The service key that signs checkpoints.
    public let signer: NoteSigner
    /// Time between rounds.
    public let interval: Duration
    private let task = TaskBox()

    /// A checkpointer (not yet running; call ``start()``).
    public init(store: LogStore, signer: NoteSigner, interval: Duration = .seconds(1)) {
        self.store = store
        self.signer = signer
        self.interval = interval
    }

    /// One round now: checkpoints every log that grew. Returns how many checkpoints were made.
    @discardableResult
    public func runOnce() async throws -> Int {
        var made = 0
        for logID in try await store.logsNeedingCheckpoint() {
            do {
                if try await store.checkpoint(logID: logID, signer: signer) != nil { made += 1 }
            } catch let error as LogStoreError where error.code == .signerMismatch {
                continue  // another service key's log
            }
        }
        return made
    }

    /// Starts the periodic rounds in a background task. Errors are logged, and the next round runs anyway.
    public func start() {
        let logger = store.logger
        task.replace(Task { [self] in
            while !Task.isCancelled {
                do { try await runOnce() } catch {
                    logger.error("checkpoint round failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        })
    }

    /// Stops the rounds and waits for the current one to end.
    public func stop() async {
        guard let running = task.replace(nil) else { return }
        running.cancel()
        _ = await running.value
    }
}

/// A lock-protected optional task handle.
final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    @discardableResult
    func replace(_ new: Task<Void, Never>?) -> Task<Void, Never>? {
        lock.withLock {
            let old = task
            task = new
            return old
        }
    }
}
