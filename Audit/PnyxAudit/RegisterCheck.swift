public import PnyxCore
public import PnyxTransparency

/// Reads the broker's issuance register records. The register is a log in the same public
/// layout as a poll's (hash chain, Merkle tree, signed checkpoints); what its leaf payloads
/// hold is the broker's format, decoded here.
public protocol IssuanceRecordDecoder: Sendable {
    /// The poll and class of the credential one register record says was issued, or nil for
    /// a record that is not an issuance. Throws when the payload is malformed.
    func issuance(inPayload payload: [UInt8]) throws -> (pollID: PollID, attributeClass: AttributeClass)?
}

/// The register side of "no stuffing": the register's own chain and checkpoints are valid,
/// and no class has more distinct one-time keys in the poll's log than credentials the
/// broker registered as issued for that class.
public struct RegisterCheck {
    /// Where the register's files are.
    public let fetcher: any LogFetcher
    /// The register's checkpoint key (nil: trust the register's `verifier.txt`).
    public let trustedVerifierKey: String?
    /// The broker's record format.
    public let decoder: any IssuanceRecordDecoder

    public init(fetcher: any LogFetcher, trustedVerifierKey: String? = nil, decoder: any IssuanceRecordDecoder) {
        self.fetcher = fetcher
        self.trustedVerifierKey = trustedVerifierKey
        self.decoder = decoder
    }

    /// Verifies the register and compares it with `participantsByClass` (distinct one-time
    /// keys per class in the poll's log). Findings go to `collector` with log `register`.
    /// Returns the register's size and the credentials issued per class for `pollID`.
    /// Throws ``AuditError`` when the register cannot be fetched or read.
    public func run(pollID: PollID, participantsByClass: [AttributeClass: Int64], collector: FindingCollector)
        throws(AuditError) -> (entries: Int64, issued: [AttributeClass: Int64]) {
        var issued: [AttributeClass: Int64] = [:]
        let result: LogExportVerification
        do {
            result = try LogExportVerifier(fetcher: fetcher, trustedVerifierKey: trustedVerifierKey).verify(
                onProblem: { problem in
                    collector.add(Finding(FindingCode(problem.code), log: "register", position: problem.position, problem.reason,
                                          expected: problem.expected, computed: problem.computed, path: problem.path))
                },
                onEntry: { position, leaf, _ in
                    do {
                        if let issuance = try decoder.issuance(inPayload: leaf.payload), issuance.pollID == pollID {
                            issued[issuance.attributeClass, default: 0] += 1
                        }
                    } catch {
                        collector.add(Finding(.registerRecordMalformed, log: "register", position: position,
                                              "the register record does not decode: \(error)"))
                    }
                })
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(.fetchFailed, "the issuance register: \(error)")
        }
        for (attributeClass, participants) in participantsByClass.sorted(by: { $0.key < $1.key }) {
            let count = issued[attributeClass, default: 0]
            if participants > count {
                collector.add(Finding(.registerExceeded, log: "register",
                                      "class \(attributeClass) has \(participants) distinct credentials in the poll's log, but the broker registered \(count) issued",
                                      expected: "at most \(count)", computed: "\(participants)"))
            }
        }
        return (result.entriesRead, issued)
    }
}
