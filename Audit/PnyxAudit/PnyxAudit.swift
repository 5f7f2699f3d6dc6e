/// PnyxAudit: the independent auditor of Pnyx polls, as a library (`pnyx-audit` is its thin
/// executable).
///
/// It reads a poll's public log — over HTTP or from an export folder, through the same
/// ``PnyxTransparency/LogFetcher`` — and re-checks everything without trusting the service
/// or the broker: the hash chain, the Merkle tree and tiles, every checkpoint's signature,
/// the poll definition, the key directory and its timing, each credential (RSA-PSS under its
/// class key) and entry signature (Ed25519), one-time keys, classes, times, the lifecycle,
/// the tallies (recomputed with PnyxCore's `Tally`, the service's own reducer), certificates,
/// the broker's issuance register, and that the log only grew since the last run.
///
/// Every problem is a ``Finding`` with a stable ``FindingCode``, a position and evidence; a
/// run reports all of them (``AuditReport``). Only a source that cannot be fetched or read is
/// an error (``AuditError``).
///
/// | command | library entry point |
/// |---|---|
/// | `verify` | ``PollAuditor`` |
/// | `diff OLD NEW` | ``CheckpointDiff`` |
/// | `receipt FILE` | ``ReceiptAuditor`` |
/// | `witness` | ``Witness`` |
///
/// It depends on PnyxCore, PnyxTransparency and PnyxCrypto only: pure code, never the store,
/// never a server.
public enum PnyxAudit {
    /// The auditor's version, printed by `pnyx-audit --version`.
    public static let version = "0.1.0"
}
