import Foundation
public import PnyxCore
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres

/// A poll's key set as the broker holds it: the definition, the signed directory and the
/// private key of every class.
public struct PollKeySet: Sendable {
    public let definition: PollDefinition
    public let directory: SignedKeyDirectory
    let privateKeys: [AttributeClass: BlindRSA.PrivateKey]

    /// Unix seconds → Date.
    var closesAt: Date { Date(timeIntervalSince1970: TimeInterval(definition.closesAt)) }

    /// Eligible residents per class, as in the directory.
    public var counts: [AttributeClass: UInt64] {
        Dictionary(uniqueKeysWithValues: directory.directory.entries.map { ($0.attributeClass, $0.eligibleCount) })
    }
}

/// Poll definitions from the service, and per-(poll, class) RSA keys.
///
/// Private keys are stored as unencrypted PKCS#8 DER in the broker database; production
/// deployments should wrap them with a KMS or HSM key.
public final class PollKeyStore: Sendable {
    let pool: PostgresPool
    let configuration: BrokerConfiguration
    let residents: ResidentStore
    let register: IssuanceRegister
    let now: @Sendable () -> Date
    private let cache = LockedCache<PollID, PollKeySet>()

    init(pool: PostgresPool, configuration: BrokerConfiguration, residents: ResidentStore, register: IssuanceRegister,
         now: @escaping @Sendable () -> Date) {
        self.pool = pool
        self.configuration = configuration
        self.residents = residents
        self.register = register
        self.now = now
    }

    /// Registers a poll: checks the service's signature (`poll.invalid_signature`), that the
    /// service is trusted and the poll names this broker (`poll.untrusted`), that it is valid
    /// (`poll.invalid`) and not yet open (`poll.already_open`); computes the classes with
    /// k-anonymity merging, generates one RSA key per class, stores and signs the directory.
    /// Idempotent for the same signed definition; another definition under the same poll id
    /// is `poll.conflict`.
    public func register(_ signed: SignedPollDefinition) async throws -> PollKeySet {
        try signed.verify()
        let definition = signed.definition
        guard configuration.trustedServiceKeys.contains(definition.serviceKey) else {
            throw BrokerError(.pollUntrusted, "the poll is signed by a service key this broker does not trust; add it to PNYX_BROKER_TRUSTED_SERVICE_KEYS")
        }
        guard definition.brokerKey == configuration.signer.publicKey else {
            throw BrokerError(.pollUntrusted, "the poll names another broker key")
        }
        try definition.validate()
        let definitionBytes = signed.canonicalBytes
        if let existing = try await keySet(pollID: definition.pollID, required: false) {
            guard existing.definition == definition else {
                throw BrokerError(.pollConflict, "poll \(definition.pollID) already has another definition")
            }
            return existing
        }
        let at = now()
        guard Int64(at.timeIntervalSince1970) < definition.opensAt else {
            throw BrokerError(.pollAlreadyOpen, "poll \(definition.pollID) is already open; key sets are made before a poll opens")
        }
        let areas = try await residents.areas()
        let hierarchy = AreaHierarchy(areas)
        for code in definition.eligibility.areaScope where hierarchy.areas[code] == nil {
            throw BrokerError(.pollInvalid, "the eligibility scope names unknown area \(code)")
        }
        let assignment = ClassAssignment(
            residents: try await residents.activeResidents(), hierarchy: hierarchy,
            eligibility: definition.eligibility, disclosure: definition.disclosure, k: configuration.k)
        guard !assignment.counts.isEmpty else {
            throw BrokerError(.pollInvalid, "no registered resident is eligible for poll \(definition.pollID)")
        }
        let classes = assignment.counts.keys.sorted()
        let keys = try await Self.generateKeys(count: classes.count, bits: configuration.rsaModulusBits)
        var privateKeys: [AttributeClass: BlindRSA.PrivateKey] = [:]
        var entries: [KeyDirectory.Entry] = []
        for (cls, key) in zip(classes, keys) {
            privateKeys[cls] = key
            entries.append(KeyDirectory.Entry(attributeClass: cls, publicKey: key.publicKey, eligibleCount: UInt64(assignment.counts[cls]!)))
        }
        let directory = try KeyDirectory(
            pollID: definition.pollID, issuedAt: Int64(at.timeIntervalSince1970), entries: entries,
            k: UInt32(configuration.k), variant: .default)
        let signedDirectory = SignedKeyDirectory(signing: directory, with: configuration.signer.privateKey)
        let keyRows: [(String, [UInt8], [UInt8], Int64)] = try classes.map { cls in
            (cls.text, privateKeys[cls]!.publicKey.keyID, try privateKeys[cls]!.derRepresentation(), Int64(assignment.counts[cls]!))
        }
        let members = Self.copyText(assignment.classes)
        let pollID = definition.pollID
        do {
            try await pool.withBlockingConnection { conn in
                try conn.transaction { conn in
                    try conn.execute(
                        """
                        INSERT INTO broker_polls (poll_id, definition, definition_hash, closes_at, allow_names, directory)
                        VALUES ($1, $2, $3, $4, $5, $6)
                        """,
                        [.bytea(pollID.bytes), .bytea(definitionBytes), .bytea(SHA256.hash(definitionBytes)),
                         .timestamp(Date(timeIntervalSince1970: TimeInterval(definition.closesAt))),
                         .bool(definition.allowPartialNames), .bytea(signedDirectory.canonicalBytes)])
                    for row in keyRows {
                        try conn.execute(
                            "INSERT INTO broker_poll_keys (poll_id, class, key_id, private_key, eligible_count) VALUES ($1, $2, $3, $4, $5)",
                            [.bytea(pollID.bytes), .text(row.0), .bytea(row.1), .bytea(row.2), .int64(row.3)])
                    }
                    try conn.executeScript("CREATE TEMP TABLE import_members (resident_id text, class text) ON COMMIT DROP")
                    try conn.copyIn("COPY import_members FROM STDIN", data: members)
                    try conn.execute(
                        "INSERT INTO broker_poll_members (poll_id, resident_id, class) SELECT $1, resident_id, class FROM import_members",
                        [.bytea(pollID.bytes)])
                }
            }
        } catch let error as PostgresError where error.code == .uniqueViolation {
            // Registered concurrently: answer with what won.
            guard let existing = try await keySet(pollID: pollID, required: false), existing.definition == definition else {
                throw BrokerError(.pollConflict, "poll \(pollID) already has another definition")
            }
            return existing
        }
        try await register.createLog(pollID: pollID)
        let set = PollKeySet(definition: definition, directory: signedDirectory, privateKeys: privateKeys)
        cache.set(pollID, set)
        return set
    }

    /// The key set of `pollID`; `poll.unknown` when there is none (or nil with `required: false`).
    public func keySet(pollID: PollID, required: Bool = true) async throws -> PollKeySet? {
        if let cached = cache.get(pollID) { return cached }
        let polls = try await pool.query("SELECT definition, directory FROM broker_polls WHERE poll_id = $1", [.bytea(pollID.bytes)])
        guard let row = polls.first else {
            if required { throw BrokerError(.pollUnknown, "no key set for poll \(pollID); the service registers polls before they open") }
            return nil
        }
        let signed = try SignedPollDefinition(canonicalBytes: try row.decode([UInt8].self, at: 0))
        let directory = try SignedKeyDirectory(canonicalBytes: try row.decode([UInt8].self, at: 1))
        var keys: [AttributeClass: BlindRSA.PrivateKey] = [:]
        for keyRow in try await pool.query("SELECT class, private_key FROM broker_poll_keys WHERE poll_id = $1", [.bytea(pollID.bytes)]) {
            keys[try AttributeClass(text: try keyRow.decode(String.self, at: 0))] =
                try BlindRSA.PrivateKey(derRepresentation: try keyRow.decode([UInt8].self, at: 1))
        }
        let set = PollKeySet(definition: signed.definition, directory: directory, privateKeys: keys)
        cache.set(pollID, set)
        return set
    }

    /// Generates `count` RSA keys, two at a time, off the cooperative thread pool.
    static func generateKeys(count: Int, bits: Int) async throws -> [BlindRSA.PrivateKey] {
        try await withThrowingTaskGroup(of: (Int, BlindRSA.PrivateKey).self) { group in
            var next = 0
            var keys = [BlindRSA.PrivateKey?](repeating: nil, count: count)
            func add() {
                let index = next
                next += 1
                group.addTask { (index, try await offloaded { try BlindRSA.PrivateKey.generate(bits: bits) }) }
            }
            for _ in 0..<min(2, count) { add() }
            while let (index, key) = try await group.next() {
                keys[index] = key
                if next < count { add() }
            }
            return keys.map { $0! }
        }
    }

    static func copyText(_ classes: [String: AttributeClass]) -> [UInt8] {
        var out: [UInt8] = []
        for (id, cls) in classes.sorted(by: { $0.key < $1.key }) {
            // Resident ids and classes hold no tab, newline or backslash (validated on import).
            out += Array(id.utf8) + [0x09] + Array(cls.text.utf8) + [0x0A]
        }
        return out
    }
}

/// A small thread-safe dictionary.
final class LockedCache<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]
    func get(_ key: Key) -> Value? { lock.withLock { values[key] } }
    func set(_ key: Key, _ value: Value) { lock.withLock { values[key] = value } }
}
