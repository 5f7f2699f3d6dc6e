import Testing
import PnyxCore
import PnyxCrypto
import PnyxTransparency

/// Expects `body` to throw a ``CoreError`` with `code`.
func expectCoreError(
    _ code: CoreError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(code.rawValue), nothing thrown", sourceLocation: sourceLocation)
    } catch let error as CoreError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected CoreError \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
}

/// Fixed keys and records shared by the vector tests (the worked examples of docs/PROTOCOL.md).
enum CoreFixtures {
    static func seed(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 32) }
    static let serviceKey = try! Ed25519.PrivateKey(seed: seed(0x01))
    static let brokerKey = try! Ed25519.PrivateKey(seed: seed(0x02))
    static let oneTimeKey = try! Ed25519.PrivateKey(seed: seed(0x03))
    static let pollID = try! PollID(hex: "000102030405060708090a0b0c0d0e0f")
    static let otherPollID = try! PollID(hex: "ffeeddccbbaa99887766554433221100")

    static let petition = PollDefinition(
        pollID: pollID, kind: .petition, title: "Trees", text: "Plant trees.",
        opensAt: 1_700_000_000, closesAt: 1_702_592_000,
        eligibility: Eligibility(areaScope: ["75056"], minimumAge: 18, referenceDate: CivilDate("2024-01-01")!),
        disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: true,
        questions: [], thresholds: [.absolute(count: 3)],
        serviceKey: serviceKey.publicKey, brokerKey: brokerKey.publicKey)

    static let consultation = PollDefinition(
        pollID: pollID, kind: .consultation, title: "Budget", text: "Choose projects.",
        opensAt: 1_700_000_000, closesAt: 1_702_592_000,
        eligibility: Eligibility(minimumAge: 16, referenceDate: CivilDate("2024-01-01")!),
        disclosure: Disclosure(areaLevel: .district, ageBands: false),
        questions: [
            Question(id: 1, text: "Mayor?", kind: .single, options: ["A", "B", "C"]),
            Question(id: 2, text: "Projects (up to 2)", kind: .multiple, maxChoices: 2, options: ["P", "Q", "R", "S"]),
            Question(id: 3, text: "Approve", kind: .approval, options: ["X", "Y"]),
        ],
        thresholds: [.shareOfEligible(basisPoints: 5_000), .areas(minimumPerArea: 2, minimumAreas: 2, areaLevel: .district)],
        serviceKey: serviceKey.publicKey, brokerKey: brokerKey.publicKey)

    static let area = try! AttributeClass(areaCode: "75056", ageBand: .from35to49)

    static let credentialMessage = CredentialMessage(pollID: pollID, attributeClass: area, oneTimeKey: oneTimeKey.publicKey)

    /// A credential with a fake (fixed) RSA signature: for encoding vectors only.
    static let fakeCredential = Credential(
        attributeClass: area, keyID: try! KeyID(bytes: [UInt8](repeating: 0xaa, count: 32)),
        oneTimeKey: oneTimeKey.publicKey, prefix: [UInt8](repeating: 0xbb, count: 32),
        signature: [UInt8](repeating: 0xcc, count: 8))

    /// The vector's nonce: sixteen 0xdd bytes.
    static let entry = try! Entry(pollID: pollID, credential: fakeCredential, channel: .online, payload: .sign(nil),
                                  signingWith: oneTimeKey, random: FixedNonce())

    static let record = LogRecord(recordedAt: 1_700_000_040, body: .lifecycle(LifecycleEvent(kind: .opened, at: 1_700_000_000)))
}

/// Hands out 0xdd bytes: the nonce of the documented entry vector.
struct FixedNonce: RandomSource {
    func bytes(_ count: Int) -> [UInt8] { [UInt8](repeating: 0xdd, count: count) }
}

/// One RSA-2048 key per test process (generation takes a moment).
enum CoreRSA {
    static let key = try! BlindRSA.PrivateKey.generate(bits: 2048)
    static let otherKey = try! BlindRSA.PrivateKey.generate(bits: 2048)
}
