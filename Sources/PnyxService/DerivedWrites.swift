import PnyxCore
import PnyxPostgres

/// The rows one append batch derives from its records, written in its transaction by
/// ``TallyKeeper``: poll row and status, nullifier bindings, official attributions,
/// certificates, the tally summary and aggregates (`service_tallies.state`), and each
/// credential's latest packed contribution (`service_nullifiers.contribution`).
struct DerivedWrites {
    let pollID: PollID
    var definition: SignedPollDefinition?
    var directory: SignedKeyDirectory?
    var rejected = false
    var lifecycleChanged = false
    /// New bindings, with their credential's latest packed contribution.
    var nullifiers: [(nullifier: [UInt8], credentialHash: [UInt8], position: Int64, contribution: Int64)] = []
    /// Existing bindings whose latest contribution changed.
    var contributions: [(nullifier: [UInt8], contribution: Int64)] = []
    var officials: [(position: Int64, official: String, channel: Channel)] = []
    var certificates: [(index: UInt16, position: Int64, bytes: [UInt8])] = []
    var lifecycle: [(position: Int64, kind: String, bytes: [UInt8])] = []
    /// Accepted entries' digests (SHA-256 of their canonical bytes) and log positions.
    var digests: [(digest: [UInt8], position: Int64)] = []

    init(pollID: PollID) { self.pollID = pollID }

    /// Notes what the accepted record at `position` changes.
    mutating func note(_ record: LogRecord, position: Int64, payload: [UInt8], official: String?) {
        switch record.body {
        case .definition(let signed):
            definition = signed
        case .lifecycle(let event):
            lifecycleChanged = true
            lifecycle.append((position, event.kind.name, event.canonicalBytes))
            switch event.kind {
            case .published(let signed): directory = signed
            case .moderationRejected: rejected = true
            case .certified(let signed):
                certificates.append((signed.certificate.thresholdIndex, position, signed.canonicalBytes))
            case .opened, .closed, .moderationAccepted, .answered: break
            }
        case .entry(let entry):
            if entry.channel != .online {
                officials.append((position, official ?? "(unattributed)", entry.channel))
            }
        }
    }

    /// The status a poll in `phase` shows.
    static func status(_ phase: Tally.Phase, rejected: Bool) -> String {
        switch phase {
        case .empty, .defined: rejected ? "rejected" : "draft"
        case .published: "published"
        case .open: "open"
        case .closed: "closed"
        }
    }

    func apply(_ conn: PostgresConnection, tally: Tally) throws {
        let poll = PostgresValue.bytea(pollID.bytes)
        if let definition {
            _ = try conn.queryPrepared(
                """
                INSERT INTO service_polls (poll_id, kind, title, status, definition)
                VALUES ($1, $2, $3, 'draft', $4) ON CONFLICT (poll_id) DO NOTHING
                """,
                [poll, .text(definition.definition.kind.name), .text(definition.definition.title), .bytea(definition.canonicalBytes)])
        }
        if lifecycleChanged {
            let current = try conn.queryPrepared("SELECT status FROM service_polls WHERE poll_id = $1", [poll])
                .first?.decode(String.self, at: 0)
            let wasRejected = rejected || current == "rejected"
            _ = try conn.queryPrepared(
                """
                UPDATE service_polls SET status = $2, directory = coalesce($3, directory), updated_at = now()
                WHERE poll_id = $1
                """,
                [poll, .text(Self.status(tally.phase, rejected: wasRejected)), directory.map { .bytea($0.canonicalBytes) } ?? .null])
        }
        if !nullifiers.isEmpty {
            var copy = PostgresBinaryCopyEncoder(reservingCapacity: nullifiers.count * 120)
            for row in nullifiers {
                try copy.append(row: [poll, .bytea(row.nullifier), .bytea(row.credentialHash), .int64(row.position),
                                       .int64(row.contribution)])
            }
            try conn.copyIn(
                "COPY service_nullifiers (poll_id, nullifier, credential_hash, first_position, contribution) FROM STDIN (FORMAT binary)",
                data: copy.finish())
        }
        var start = 0
        while start < contributions.count {
            let chunk = contributions[start..<min(contributions.count, start + 10_000)]
            try conn.execute(
                """
                UPDATE service_nullifiers AS n SET contribution = v.value
                FROM (SELECT substring($2::bytea FROM ((c.i - 1) * 32 + 1)::int FOR 32) AS nullifier, c.value
                      FROM unnest(string_to_array($3, ',')::bigint[]) WITH ORDINALITY AS c(value, i)) AS v
                WHERE n.poll_id = $1 AND n.nullifier = v.nullifier
                """,
                [poll, .bytea(chunk.flatMap(\.nullifier)), .text(chunk.map { String($0.contribution) }.joined(separator: ","))])
            start += chunk.count
        }
        if !digests.isEmpty {
            var copy = PostgresBinaryCopyEncoder(reservingCapacity: digests.count * 82)
            for row in digests { try copy.append(row: [poll, .bytea(row.digest), .int64(row.position)]) }
            try conn.copyIn("COPY service_entry_digests (poll_id, digest, position) FROM STDIN (FORMAT binary)", data: copy.finish())
        }
        for row in lifecycle {
            _ = try conn.queryPrepared(
                "INSERT INTO service_lifecycle (poll_id, position, kind, event) VALUES ($1, $2, $3, $4)",
                [poll, .int64(row.position), .text(row.kind), .bytea(row.bytes)])
        }
        for row in officials {
            _ = try conn.queryPrepared(
                "INSERT INTO service_official_entries (poll_id, position, official, channel) VALUES ($1, $2, $3, $4)",
                [poll, .int64(row.position), .text(row.official), .text(row.channel.name)])
        }
        for row in certificates {
            _ = try conn.queryPrepared(
                """
                INSERT INTO service_certificates (poll_id, threshold_index, position, certificate)
                VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
                """, [poll, .int16(Int16(row.index)), .int64(row.position), .bytea(row.bytes)])
        }
        let summary = String(decoding: try tally.summary.jsonBytes(), as: UTF8.self)
        _ = try conn.queryPrepared(  // prepared once per connection: no parse per batch
            """
            INSERT INTO service_tallies (poll_id, log_size, summary, state) VALUES ($1, $2, $3, $4)
            ON CONFLICT (poll_id) DO UPDATE SET log_size = EXCLUDED.log_size, summary = EXCLUDED.summary, state = EXCLUDED.state
            """, [poll, .int64(Int64(tally.logSize)), .text(summary), .bytea(try tally.snapshot.jsonBytes())])
    }
}
