public import PnyxPostgres

/// The petition service's own tables (namespace `service`), next to the log store's
/// (`log_*`) in the service's database — never the broker's. Nothing here names a person:
/// the only identities are those of administrators and officials (staff), by their
/// configured names.
///
/// - `service_polls`: one row per poll whose log exists: the signed definition (entry 0),
///   the key directory once published, and the status, all written by the append
///   transaction that logs them (``TallyKeeper``), so they never disagree with the log.
/// - `service_tallies`: the current ``PnyxCore/TallySummary`` JSON of each poll, rewritten
///   by every append transaction (reads cost one row), and (version 4) `state`, the tally's
///   aggregates (``PnyxCore/Tally/Snapshot``) from which a process restores it without
///   folding the log.
/// - `service_nullifiers`: one row per one-time key: the credential it is bound to
///   (SHA-256 of the credential's canonical bytes) and the position of its first entry.
///   The primary key makes a second binding impossible, in every process. Version 4 adds
///   `contribution`: what the credential's latest entry counts (packed, ``TallyKeeper``),
///   so the service keeps no per-participant map in memory.
/// - `service_official_entries`: which official recorded which kiosk or paper entry.
/// - `service_certificates`: the certificates issued, by threshold (also in the log).
/// - `service_lifecycle`: every lifecycle record of every poll (position, kind, canonical
///   event bytes), so a poll page lists its history and answers without reading the log.
/// - `service_entry_digests`: SHA-256 of every accepted entry's canonical bytes, so that a
///   replayed entry (copied from the public log) is refused instead of reverting a change.
///   Version 5 adds `position`, the entry's position in the poll's log, so that a wallet
///   whose answer was lost finds its entry's receipt by the digest alone
///   (`GET /v1/polls/{poll}/entries/{digest}`, ``PetitionService/receipt(_:entryDigest:)``).
/// - `service_proposals`: citizens' petition proposals waiting for moderation (not in a
///   log until decided: accepted or rejected, both logged with the definition).
/// - `service_countersignatures` (version 2): officials' and auditors' countersignatures of
///   certificates (``PnyxCore/Countersignature``), one per certificate and key; not in the
///   log (they come after the certificate and anyone re-checks them with the key).
public enum ServiceSchema {
    /// Every table of the namespace.
    public static let tables = [
        "service_polls", "service_tallies", "service_nullifiers", "service_official_entries",
        "service_certificates", "service_lifecycle", "service_entry_digests", "service_proposals",
        "service_cosignatures",
        "service_countersignatures",
    ]

    /// The migrations, applied in one transaction under the migration advisory lock.
    public static let migrations = MigrationSet(namespace: "service", migrations: [
        Migration(version: 1, name: "create_service_tables", sql: """
            CREATE TABLE service_polls (
                poll_id    bytea       PRIMARY KEY CHECK (length(poll_id) = 16),
                kind       text        NOT NULL,
                title      text        NOT NULL,
                status     text        NOT NULL CHECK (status IN ('draft', 'rejected', 'published', 'open', 'closed')),
                definition bytea       NOT NULL,
                directory  bytea,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE service_tallies (
                poll_id  bytea  PRIMARY KEY REFERENCES service_polls (poll_id),
                log_size bigint NOT NULL,
                summary  text   NOT NULL
            );
            CREATE TABLE service_nullifiers (
                poll_id         bytea  NOT NULL,
                nullifier       bytea  NOT NULL CHECK (length(nullifier) = 32),
                credential_hash bytea  NOT NULL CHECK (length(credential_hash) = 32),
                first_position  bigint NOT NULL,
                PRIMARY KEY (poll_id, nullifier)
            );
            CREATE TABLE service_official_entries (
                poll_id  bytea  NOT NULL,
                position bigint NOT NULL,
                official text   NOT NULL,
                channel  text   NOT NULL,
                PRIMARY KEY (poll_id, position)
            );
            CREATE TABLE service_certificates (
                poll_id         bytea    NOT NULL,
                threshold_index smallint NOT NULL,
                position        bigint   NOT NULL,
                certificate     bytea    NOT NULL,
                PRIMARY KEY (poll_id, threshold_index)
            );
            CREATE TABLE service_lifecycle (
                poll_id  bytea  NOT NULL,
                position bigint NOT NULL,
                kind     text   NOT NULL,
                event    bytea  NOT NULL,
                PRIMARY KEY (poll_id, position)
            );
            CREATE TABLE service_entry_digests (
                poll_id bytea NOT NULL,
                digest  bytea NOT NULL CHECK (length(digest) = 32),
                PRIMARY KEY (poll_id, digest)
            );
            CREATE TABLE service_proposals (
                proposal_id  bigserial   PRIMARY KEY,
                draft        text        NOT NULL,
                submitted_at timestamptz NOT NULL DEFAULT now(),
                status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
                reason       text,
                poll_id      bytea,
                decided_at   timestamptz
            );
            """),
        Migration(version: 2, name: "create_service_countersignatures", sql: """
            CREATE TABLE service_countersignatures (
                poll_id         bytea    NOT NULL,
                threshold_index smallint NOT NULL,
                public_key      bytea    NOT NULL CHECK (length(public_key) = 32),
                role            text     NOT NULL CHECK (role IN ('official', 'auditor')),
                name            text     NOT NULL,
                signature       bytea    NOT NULL CHECK (length(signature) = 64),
                recorded_at     bigint   NOT NULL,
                PRIMARY KEY (poll_id, threshold_index, public_key),
                FOREIGN KEY (poll_id, threshold_index) REFERENCES service_certificates (poll_id, threshold_index)
            );
            """),
        // Witness cosignatures of checkpoints (``CosignatureStore``): the latest of each
        // witness key on each checkpoint size.
        Migration(version: 3, name: "create_service_cosignatures", sql: """
            CREATE TABLE service_cosignatures (
                poll_id     bytea       NOT NULL CHECK (length(poll_id) = 16),
                tree_size   bigint      NOT NULL CHECK (tree_size > 0),
                witness     text        NOT NULL,
                line        text        NOT NULL,
                cosigned_at bigint      NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (poll_id, tree_size, witness)
            );
            """),
        // Tallies without a per-participant map in memory (``TallyKeeper``); NULL in rows
        // written before: such a poll is folded from its log once and its rows completed.
        Migration(version: 4, name: "tally_state_and_contributions", sql: """
            ALTER TABLE service_tallies ADD COLUMN state bytea;
            ALTER TABLE service_nullifiers ADD COLUMN contribution bigint;
            """),
        // Each entry digest's log position (8 bytes more per row, no new index: the lookup
        // is the primary-key probe the replay check already makes). Rows written before are
        // completed from the log: an entry's canonical bytes are its LogRecord payload after
        // the 27 bytes `u32 14 ‖ "pnyx/record/v1" ‖ recordedAt ‖ tag`, tag 3 (docs/PROTOCOL.md §6.8).
        Migration(version: 5, name: "entry_digest_positions",
                  sql: "ALTER TABLE service_entry_digests ADD COLUMN position bigint;\n" + entryPositionBackfill),
    ])

    /// Completes the `position` of digest rows that lack it from the poll's log (migration 5).
    static let entryPositionBackfill = """
        UPDATE service_entry_digests AS d SET position = e.position
        FROM log_entries AS e
        WHERE d.position IS NULL AND e.log_id = d.poll_id AND substring(e.payload FROM 27 FOR 1) = '\\x03'::bytea
          AND sha256(substring(e.payload FROM 28)) = d.digest;
        """
}
