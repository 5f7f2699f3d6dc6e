import Foundation
import PnyxCore

/// The one-time keys of entries being appended in this process, with the credential each
/// is bound to, so that two concurrent entries with one one-time key and different
/// credentials cannot both pass the service's check. (Across processes, the append
/// transaction refuses the second: ``TallyKeeper``.)
final class NullifierReservations: @unchecked Sendable {
    private struct Key: Hashable {
        let poll: PollID
        let nullifier: [UInt8]
    }

    private let lock = NSLock()
    private var reserved: [Key: (credentialHash: [UInt8], count: Int)] = [:]

    /// Reserves `nullifier` for `credentialHash`; false if it is in flight with another credential.
    func reserve(poll: PollID, nullifier: [UInt8], credentialHash: [UInt8]) -> Bool {
        let key = Key(poll: poll, nullifier: nullifier)
        return lock.withLock {
            if let existing = reserved[key] {
                guard existing.credentialHash == credentialHash else { return false }
                reserved[key] = (credentialHash, existing.count + 1)
            } else {
                reserved[key] = (credentialHash, 1)
            }
            return true
        }
    }

    /// Releases one reservation.
    func release(poll: PollID, nullifier: [UInt8]) {
        let key = Key(poll: poll, nullifier: nullifier)
        lock.withLock {
            guard let existing = reserved[key] else { return }
            if existing.count <= 1 { reserved[key] = nil } else { reserved[key] = (existing.credentialHash, existing.count - 1) }
        }
    }
}
