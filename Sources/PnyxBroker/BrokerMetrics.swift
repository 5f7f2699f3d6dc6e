public import PnyxHTTP

/// The broker's domain counters, in the broker's ``MetricsRegistry`` (served at `/metrics`
/// with the HTTP request counters). Counts only: no label ever names a resident or a poll.
public struct BrokerMetrics: Sendable {
    /// The registry the counters live in.
    public let registry: MetricsRegistry
    /// New credentials (blind signatures) issued.
    let credentialsIssued: MetricsCounter
    /// Retries answered with the stored blind signature.
    let credentialRetries: MetricsCounter
    /// Requests refused because another credential was issued for the poll.
    let alreadyIssued: MetricsCounter
    /// Logins by outcome.
    let loginsOK: MetricsCounter
    let loginsFailed: MetricsCounter
    let loginsLockedOut: MetricsCounter
    /// Lockouts started.
    let lockouts: MetricsCounter
    /// Enrolments (first enrolment or reset with a new code).
    let enrolments: MetricsCounter
    /// Enrolment codes issued.
    let codesIssued: MetricsCounter
    /// Argon2id passphrase hashes computed at enrolment (only for a usable code).
    let passphraseHashes: MetricsCounter
    /// Register imports committed.
    let imports: MetricsCounter
    /// Statements that looked up credential requests (``IssuanceLookupBatcher``), and the
    /// requests they answered: their ratio is the mean batch size.
    public let credentialLookupBatches: MetricsCounter
    public let credentialLookups: MetricsCounter

    public init(registry: MetricsRegistry) {
        self.registry = registry
        credentialsIssued = registry.counter("pnyx_broker_credentials_issued_total", help: "Credentials (blind signatures) issued.")
        credentialRetries = registry.counter(
            "pnyx_broker_credential_retries_total", help: "Credential retries answered with the stored blind signature.")
        alreadyIssued = registry.counter(
            "pnyx_broker_credentials_refused_total", help: "Credential requests refused, by code.",
            labels: ["code": BrokerError.Code.alreadyIssued.rawValue])
        let logins = "pnyx_broker_logins_total"
        let loginsHelp = "Login attempts, by outcome."
        loginsOK = registry.counter(logins, help: loginsHelp, labels: ["outcome": "ok"])
        loginsFailed = registry.counter(logins, help: loginsHelp, labels: ["outcome": "invalid_credentials"])
        loginsLockedOut = registry.counter(logins, help: loginsHelp, labels: ["outcome": "locked_out"])
        lockouts = registry.counter("pnyx_broker_lockouts_total", help: "Accounts locked after too many failed logins.")
        enrolments = registry.counter("pnyx_broker_enrolments_total", help: "Enrolments with a one-time code.")
        codesIssued = registry.counter("pnyx_broker_enrolment_codes_issued_total", help: "One-time enrolment codes issued.")
        passphraseHashes = registry.counter(
            "pnyx_broker_passphrase_hashes_total", help: "Argon2id passphrase hashes computed at enrolment (usable codes only).")
        imports = registry.counter("pnyx_broker_register_imports_total", help: "Residents register imports committed.")
        credentialLookupBatches = registry.counter(
            "pnyx_broker_credential_lookup_batches_total", help: "Statements that looked up concurrent credential requests.")
        credentialLookups = registry.counter(
            "pnyx_broker_credential_lookups_total", help: "Credential requests looked up (session, class, earlier issuance).")
    }
}
