public import PnyxPostgres

/// The PostgreSQL schema of the log store: its migrations (namespace `logstore`) and the
/// application role's privileges.
///
/// Append-only is enforced by the database itself: row triggers refuse `UPDATE` and
/// `DELETE` and a statement trigger refuses `TRUNCATE` on every log table, whoever runs them
/// (the owner included), and ``grantApplicationRole(_:on:)`` gives the service role only
/// `SELECT` and `INSERT`. A checkpoint trigger refuses a checkpoint that does not grow the tree.
///
/// Stored hashes (the c2sp.org/tlog-tiles "stored hash index" sequence of ``PnyxTransparency/TileMath``)
/// are kept in `log_hashes` as runs: each row holds the consecutive hashes from stored index
/// `first_index` on (at most 128, 4 KiB, stored inline), written by one append batch. Runs
/// are contiguous and never overlap (the append lock orders them). One row per ~60 entries
/// instead of two per entry keeps appends close to raw insert speed; a lookup of a stored
/// index is one primary-key probe (the run starting at or before it).
public enum LogStoreSchema {
    /// The four log tables.
    public static let tables = ["log_logs", "log_entries", "log_hashes", "log_checkpoints"]

    /// The migration list, applied with ``PnyxPostgres/PostgresConnection/migrate(_:)``.
    public static let migrations = MigrationSet(namespace: "logstore", migrations: [
        Migration(version: 1, name: "create_log_tables", sql: createTables),
        Migration(version: 2, name: "append_only_triggers", sql: triggers),
    ])

    /// Creates (or resets) the login role `role` and grants it exactly SELECT and INSERT on
    /// the log tables (no UPDATE, DELETE, TRUNCATE, REFERENCES or TRIGGER). Run as the owner.
    public static func grantApplicationRole(_ role: String, on connection: PostgresConnection) throws {
        try connection.createApplicationRole(role)
        try connection.grant([.select, .insert], onTables: tables, to: role)
    }

    static let createTables = """
        CREATE TABLE log_logs (
            log_id       bytea       PRIMARY KEY CHECK (octet_length(log_id) BETWEEN 1 AND 64),
            origin       text        NOT NULL UNIQUE CHECK (origin <> ''),
            verifier_key text        NOT NULL CHECK (verifier_key <> ''),
            created_at   timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE log_entries (
            log_id        bytea       NOT NULL,
            position      bigint      NOT NULL CHECK (position >= 0),
            payload       bytea       NOT NULL CHECK (octet_length(payload) <= 65494),
            previous_hash bytea       NOT NULL CHECK (octet_length(previous_hash) = 32),
            entry_hash    bytea       NOT NULL CHECK (octet_length(entry_hash) = 32),
            appended_at   timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (log_id, position)
        );
        CREATE TABLE log_hashes (
            log_id      bytea  NOT NULL,
            first_index bigint NOT NULL CHECK (first_index >= 0),
            hashes      bytea  NOT NULL
                        CHECK (octet_length(hashes) BETWEEN 32 AND 4096 AND octet_length(hashes) % 32 = 0),
            PRIMARY KEY (log_id, first_index)
        );
        ALTER TABLE log_hashes ALTER COLUMN hashes SET STORAGE PLAIN;
        CREATE TABLE log_checkpoints (
            log_id     bytea       NOT NULL,
            tree_size  bigint      NOT NULL CHECK (tree_size >= 0),
            root_hash  bytea       NOT NULL CHECK (octet_length(root_hash) = 32),
            note       text        NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (log_id, tree_size)
        );
        """

    static let triggers = """
        CREATE FUNCTION log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'P0001', HINT = 'log tables accept INSERT and SELECT only';
        END;
        $$;
        CREATE FUNCTION log_checkpoint_must_grow() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM log_checkpoints
                       WHERE log_id = NEW.log_id AND tree_size >= NEW.tree_size) THEN
                RAISE EXCEPTION 'checkpoint of size % does not grow the log', NEW.tree_size
                    USING ERRCODE = 'P0001';
            END IF;
            RETURN NEW;
        END;
        $$;
        CREATE TRIGGER log_logs_append_only BEFORE UPDATE OR DELETE ON log_logs
            FOR EACH ROW EXECUTE FUNCTION log_refuse_change();
        CREATE TRIGGER log_logs_no_truncate BEFORE TRUNCATE ON log_logs
            FOR EACH STATEMENT EXECUTE FUNCTION log_refuse_change();
        CREATE TRIGGER log_entries_append_only BEFORE UPDATE OR DELETE ON log_entries
            FOR EACH ROW EXECUTE FUNCTION log_refuse_change();
        CREATE TRIGGER log_entries_no_truncate BEFORE TRUNCATE ON log_entries
            FOR EACH STATEMENT EXECUTE FUNCTION log_refuse_change();
        CREATE TRIGGER log_hashes_append_only BEFORE UPDATE OR DELETE ON log_hashes
            FOR EACH ROW EXECUTE FUNCTION log_refuse_change();
        CREATE TRIGGER log_hashes_no_truncate BEFORE TRUNCATE ON log_hashes
            FOR EACH STATEMENT EXECUTE FUNCTION log_refuse_change();
        CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON log_checkpoints
            FOR EACH ROW EXECUTE FUNCTION log_refuse_change();
        CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
            FOR EACH STATEMENT EXECUTE FUNCTION log_refuse_change();
        CREATE TRIGGER log_checkpoints_grow BEFORE INSERT ON log_checkpoints
            FOR EACH ROW EXECUTE FUNCTION log_checkpoint_must_grow();
        """
}
