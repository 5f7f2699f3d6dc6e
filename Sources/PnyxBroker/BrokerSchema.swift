public import PnyxPostgres

/// The broker's own tables (namespace `broker`), in the broker's own database — never the
/// petition service's. The issuance register lives in the same database through the log
/// store's tables (`log_*`, namespace `logstore`).
///
/// What links a resident to a credential request is only `broker_issuances.blinded_hash`
/// and `blind_signature`, kept so that a retry of the same blinded message gets the same
/// blind signature back; the broker never sees the credential message, the one-time key or
/// the finalized signature.
public enum BrokerSchema {
    /// Every table of the namespace.
    public static let tables = [
        "broker_areas", "broker_residents", "broker_imports", "broker_enrolment_codes", "broker_accounts",
        "broker_sessions", "broker_polls", "broker_poll_keys", "broker_poll_members", "broker_issuances",
        "broker_secrets", "broker_name_attestations",
    ]

    /// The migrations, applied in one transaction under the migration advisory lock.
    public static let migrations = MigrationSet(namespace: "broker", migrations: [
        Migration(version: 1, name: "create_broker_tables", sql: """
            CREATE TABLE broker_areas (
                code        text     PRIMARY KEY,
                name        text     NOT NULL,
                level       smallint NOT NULL CHECK (level BETWEEN 1 AND 4),
                parent_code text
            );
            CREATE TABLE broker_residents (
                resident_id text        PRIMARY KEY,
                given_name  text        NOT NULL,
                family_name text        NOT NULL,
                birth_date  date        NOT NULL,
                area_code   text        NOT NULL REFERENCES broker_areas (code),
                active      boolean     NOT NULL DEFAULT true,
                updated_at  timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE broker_imports (
                import_id   bigserial   PRIMARY KEY,
                imported_at timestamptz NOT NULL DEFAULT now(),
                areas       integer     NOT NULL,
                added       integer     NOT NULL,
                updated     integer     NOT NULL,
                deactivated integer     NOT NULL
            );
            CREATE TABLE broker_enrolment_codes (
                code_hash   bytea       PRIMARY KEY CHECK (length(code_hash) = 32),
                resident_id text        NOT NULL REFERENCES broker_residents (resident_id),
                created_at  timestamptz NOT NULL,
                expires_at  timestamptz NOT NULL,
                used_at     timestamptz,
                revoked_at  timestamptz
            );
            CREATE INDEX broker_enrolment_codes_resident ON broker_enrolment_codes (resident_id);
            CREATE TABLE broker_accounts (
                resident_id     text        PRIMARY KEY REFERENCES broker_residents (resident_id),
                passphrase_hash text        NOT NULL,
                enrolled_at     timestamptz NOT NULL,
                failed_attempts integer     NOT NULL DEFAULT 0,
                locked_until    timestamptz
            );
            CREATE TABLE broker_sessions (
                token_hash  bytea       PRIMARY KEY CHECK (length(token_hash) = 32),
                resident_id text        NOT NULL REFERENCES broker_residents (resident_id),
                created_at  timestamptz NOT NULL,
                expires_at  timestamptz NOT NULL
            );
            CREATE INDEX broker_sessions_resident ON broker_sessions (resident_id);
            CREATE TABLE broker_polls (
                poll_id         bytea       PRIMARY KEY CHECK (length(poll_id) = 16),
                definition      bytea       NOT NULL,
                definition_hash bytea       NOT NULL,
                closes_at       timestamptz NOT NULL,
                allow_names     boolean     NOT NULL,
                directory       bytea       NOT NULL,
                created_at      timestamptz NOT NULL DEFAULT now()
            );
            CREATE TABLE broker_poll_keys (
                poll_id        bytea  NOT NULL REFERENCES broker_polls (poll_id),
                class          text   NOT NULL,
                key_id         bytea  NOT NULL UNIQUE,
                private_key    bytea  NOT NULL,
                eligible_count bigint NOT NULL,
                PRIMARY KEY (poll_id, class)
            );
            CREATE TABLE broker_poll_members (
                poll_id     bytea NOT NULL REFERENCES broker_polls (poll_id),
                resident_id text  NOT NULL,
                class       text  NOT NULL,
                PRIMARY KEY (poll_id, resident_id)
            );
            CREATE TABLE broker_issuances (
                poll_id           bytea       NOT NULL REFERENCES broker_polls (poll_id),
                resident_id       text        NOT NULL,
                class             text        NOT NULL,
                blinded_hash      bytea       NOT NULL CHECK (length(blinded_hash) = 32),
                blind_signature   bytea       NOT NULL,
                issued_at         timestamptz NOT NULL,
                issued_on         date        NOT NULL,
                register_position bigint,
                PRIMARY KEY (poll_id, resident_id)
            );
            CREATE INDEX broker_issuances_unregistered ON broker_issuances (poll_id) WHERE register_position IS NULL;
            CREATE TABLE broker_secrets (
                name  text  PRIMARY KEY,
                value bytea NOT NULL
            );
            """),
        // One name attestation per (poll, resident). `key_tag` is HMAC-SHA-256 under the
        // pseudonym secret of the one-time key, so that a retry with the same key gets the
        // same attestation back; the key itself is never stored.
        Migration(version: 2, name: "create_broker_name_attestations", sql: """
            CREATE TABLE broker_name_attestations (
                poll_id     bytea       NOT NULL REFERENCES broker_polls (poll_id),
                resident_id text        NOT NULL,
                key_tag     bytea       NOT NULL CHECK (length(key_tag) = 32),
                attested_at timestamptz NOT NULL,
                PRIMARY KEY (poll_id, resident_id)
            );
            """),
        // No foreign key from an issuance row to its poll: PostgreSQL checks one per inserted
        // row with a query of its own (about half the cost of the group commit's multi-row
        // INSERT). The issuance writer inserts a row only after the poll's key set was read
        // from `broker_polls`, and polls are never deleted (the log store's tables have no
        // foreign keys either, for the same reason).
        Migration(version: 3, name: "drop_broker_issuances_poll_fkey", sql: """
            ALTER TABLE broker_issuances DROP CONSTRAINT IF EXISTS broker_issuances_poll_id_fkey;
            """),
    ])
}
