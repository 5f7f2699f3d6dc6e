import Foundation
public import PnyxCore
public import PnyxCrypto
import PnyxLogStore
import PnyxTransparency

/// A certificate with everything needed to re-check it: the signed certificate, where it
/// is in the log, the signed checkpoint it refers to and the consistency proof from the
/// tree of size N (root R) to that checkpoint.
public struct CertificateBundle: Codable, Sendable, Hashable {
    public let certificate: SignedCertificate
    /// The position of its `certified` lifecycle record.
    public let position: Int64
    /// The signed checkpoint of `certificate.checkpointSize` entries.
    public let checkpoint: String
    /// RFC 9162 consistency proof from `reachedAtSize` to `checkpointSize`, hex.
    public let consistencyProof: [String]
    /// The service's note verifier key (checks the checkpoint).
    public let verifierKey: String
    /// Officials' and auditors' countersignatures, oldest first (each re-checked with
    /// ``PnyxCore/Countersignature/verify(_:)``).
    public let countersignatures: [Countersignature]
}

extension PetitionService {
    /// Certifies that threshold `index` was reached: signs "poll P reached threshold T at
    /// log size N with root R, on date D", logs it (a `certified` lifecycle record) and
    /// returns it. Idempotent per threshold. `certificate.threshold_not_reached` until it is.
    public func certify(_ id: PollID, thresholdIndex index: Int) async throws -> CertificateBundle {
        if let existing = try await certificate(id, thresholdIndex: index) { return existing }
        let state = try await poll(id)
        guard state.status == "open" || state.status == "closed" else {
            throw ServiceError.invalidState("poll \(id) is \(state.status); certificates are issued once it is open")
        }
        guard state.definition.thresholds.indices.contains(index) else {
            throw ServiceError(.certificateUnknown, .notFound, "poll \(id) has no threshold \(index)")
        }
        let summary = try await tally(id).summary()
        guard let reached = summary.thresholds.first(where: { $0.index == index })?.reached else {
            throw ServiceError(.thresholdNotReached, .conflict, "threshold \(index) of poll \(id) is not reached (yet)")
        }
        let size = Int64(reached.logSize)
        let root = try await store.treeHash(logID: id.bytes, size: size)
        let checkpoint = try await checkpoints.covering(id.bytes, size: size)
        let certificate = Certificate(
            pollID: id, thresholdIndex: UInt16(index), reachedAtSize: UInt64(size), rootAtReached: root,
            checkpointSize: UInt64(checkpoint.treeSize), checkpointRoot: checkpoint.rootHash, date: currentTime,
            statement: Self.statement(state.definition, index: index, reached: reached))
        let signed = SignedCertificate(signing: certificate, with: configuration.serviceKey)
        _ = try await appendLifecycle(.certified(signed), to: id)
        guard let bundle = try await self.certificate(id, thresholdIndex: index) else {
            throw ServiceError(.certificateUnknown, .internalServerError, "the certificate was logged but cannot be read back")
        }
        return bundle
    }

    /// The certificate of threshold `index`, with its proof material, if one was issued.
    public func certificate(_ id: PollID, thresholdIndex index: Int) async throws -> CertificateBundle? {
        let rows = try await pool.query(
            "SELECT position, certificate FROM service_certificates WHERE poll_id = $1 AND threshold_index = $2",
            [.bytea(id.bytes), .int16(Int16(clamping: index))])
        guard let row = rows.first else { return nil }
        let signed = try SignedCertificate(canonicalBytes: try row.decode([UInt8].self, at: 1))
        let size = Int64(signed.certificate.checkpointSize)
        guard let checkpoint = try await checkpoint(id, size: size) else {
            throw ServiceError(.certificateUnknown, .internalServerError, "the checkpoint of size \(size) is missing")
        }
        let proof = try await store.consistencyProof(
            logID: id.bytes, oldSize: Int64(signed.certificate.reachedAtSize), newSize: size)
        return CertificateBundle(certificate: signed, position: try row.decode(Int64.self, at: 0), checkpoint: checkpoint.note,
                                 consistencyProof: proof.map(\.hex), verifierKey: verifierKey,
                                 countersignatures: try await countersignatures(id, thresholdIndex: index))
    }

    /// The countersignatures of a certificate, oldest first.
    public func countersignatures(_ id: PollID, thresholdIndex index: Int) async throws -> [Countersignature] {
        let rows = try await pool.query(
            """
            SELECT role, name, public_key, signature, recorded_at FROM service_countersignatures
            WHERE poll_id = $1 AND threshold_index = $2 ORDER BY recorded_at, public_key
            """, [.bytea(id.bytes), .int16(Int16(clamping: index))])
        return try rows.map { row in
            guard let role = Countersignature.Role(rawValue: try row.decode(String.self, at: 0)) else {
                throw ServiceError(.certificateUnknown, .internalServerError, "a stored countersignature has an unknown role")
            }
            return Countersignature(
                role: role, name: try row.decode(String.self, at: 1),
                publicKey: try Ed25519.PublicKey(rawRepresentation: try row.decode([UInt8].self, at: 2)),
                signature: try row.decode([UInt8].self, at: 3), recordedAt: try row.decode(Int64.self, at: 4))
        }
    }

    /// Records a countersignature of the certificate of threshold `index` by `publicKey`, which
    /// must be one of the configured keys of `role` (for officials' keys the caller checks the
    /// admin token too). Verifies the Ed25519 signature over
    /// ``PnyxCore/Countersignature/signedBytes(_:)`` first. Idempotent per key: countersigning
    /// again leaves the first record. Refusals: `certificate.unknown` (404),
    /// `countersignature.unknown_key` (403), `countersignature.invalid_signature` (422).
    public func countersign(
        _ id: PollID, thresholdIndex index: Int, role: Countersignature.Role, publicKey: Ed25519.PublicKey, signature: [UInt8]
    ) async throws -> CertificateBundle {
        guard let bundle = try await certificate(id, thresholdIndex: index) else {
            throw ServiceError(.certificateUnknown, .notFound, "poll \(id) has no certificate \(index); see GET /v1/polls/\(id)/certificates")
        }
        let keys = role == .official ? configuration.officialKeys : configuration.auditorKeys
        guard let name = keys[Base64.encode(publicKey.rawRepresentation)] else {
            throw ServiceError(.countersignatureUnknownKey, .forbidden,
                               "this key is not configured as an \(role.rawValue)'s countersigning key on this service")
        }
        guard Countersignature.isValid(signature, by: publicKey, for: bundle.certificate) else {
            throw ServiceError(.countersignatureInvalid, .unprocessableContent,
                               "the signature does not verify over the certificate's countersigned bytes (docs/PROTOCOL.md)")
        }
        _ = try await pool.execute(
            """
            INSERT INTO service_countersignatures (poll_id, threshold_index, public_key, role, name, signature, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING
            """, [.bytea(id.bytes), .int16(Int16(clamping: index)), .bytea(publicKey.rawRepresentation), .text(role.rawValue),
                  .text(name), .bytea(signature), .int64(currentTime)])
        guard let updated = try await certificate(id, thresholdIndex: index) else {
            throw ServiceError(.certificateUnknown, .internalServerError, "the certificate cannot be read back")
        }
        return updated
    }

    /// Every certificate of a poll, by threshold.
    public func certificates(_ id: PollID) async throws -> [SignedCertificate] {
        let rows = try await pool.query(
            "SELECT certificate FROM service_certificates WHERE poll_id = $1 ORDER BY threshold_index", [.bytea(id.bytes)])
        return try Self.decodeCertificates(try rows.map { try $0.decode([UInt8].self, at: 0) })
    }

    /// Decodes certificate rows. Kept out of the async method, never inlined: the release
    /// compiler (Swift 6.3.1, LLVM coroutine splitting) crashes on the typed throw of
    /// `SignedCertificate(canonicalBytes:)` inside it.
    @inline(never)
    static func decodeCertificates(_ blobs: [[UInt8]]) throws -> [SignedCertificate] {
        var certificates: [SignedCertificate] = []
        for bytes in blobs { certificates.append(try SignedCertificate(canonicalBytes: bytes)) }
        return certificates
    }

    /// The human statement of a certificate.
    static func statement(_ definition: PollDefinition, index: Int, reached: Tally.Reached) -> String {
        let what = definition.kind == .petition ? "The petition" : "The consultation"
        return "\(what) “\(definition.title)” (\(definition.pollID.hex)) reached threshold \(index) "
            + "(\(describe(definition.thresholds[index]))) at log size \(reached.logSize), on \(day(reached.recordedAt)) (UTC)."
    }

    /// A threshold in words.
    static func describe(_ threshold: Threshold) -> String {
        switch threshold {
        case .absolute(let count): "at least \(count) participants"
        case .shareOfEligible(let basisPoints):
            "at least \(basisPoints / 100).\(String(format: "%02d", basisPoints % 100)) % of eligible residents"
        case .areas(let minimumPerArea, let minimumAreas, let level):
            "at least \(minimumPerArea) participants in each of at least \(minimumAreas) \(level.name) areas"
        }
    }

    /// `YYYY-MM-DD` of a Unix time, UTC.
    static func day(_ time: Int64) -> String {
        CivilDate(unixTime: time)?.description ?? "\(time)"
    }
}
