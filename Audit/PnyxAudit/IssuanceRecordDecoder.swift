public import PnyxCore

/// The broker's issuance register record, "pnyx/issuance/v1" (docs/PROTOCOL.md, "Broker
/// issuance register"): `string "pnyx/issuance/v1" ‖ pollID[16] ‖ pseudonym[32] ‖
/// AttributeClass (embedded) ‖ string day ("YYYY-MM-DD")`.
///
/// Decoded here from the specification with PnyxCore's canonical decoder, because the
/// broker's own type lives in PnyxBroker, which the auditor must not depend on.
public struct PnyxIssuanceDecoder: IssuanceRecordDecoder {
    /// The record's domain tag.
    public static let domainTag = "pnyx/issuance/v1"

    public init() {}

    public func issuance(inPayload payload: [UInt8]) throws -> (pollID: PollID, attributeClass: AttributeClass)? {
        var decoder = CanonicalDecoder(payload)
        try decoder.expectDomain(Self.domainTag)
        let pollID: PollID = try decoder.read()
        _ = try decoder.readFixed(count: 32)  // the per-poll pseudonym
        let attributeClass: AttributeClass = try decoder.read()
        let day = try decoder.readString(limit: 10)
        guard CivilDate(day) != nil else { throw CoreError(.encodingInvalidValue, "issuance day \"\(day)\" is not YYYY-MM-DD") }
        try decoder.finish()
        return (pollID, attributeClass)
    }
}
