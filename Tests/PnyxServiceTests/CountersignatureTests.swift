import Foundation
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
@testable import PnyxService
import PnyxTransparency
import Testing

@Suite("Certificate countersignatures (real broker, real PostgreSQL)")
struct CountersignatureTests {
    /// The vector of docs/PROTOCOL.md ("Countersignatures").
    @Test("the countersigned bytes and signature match the documented vector")
    func vector() throws {
        let serviceKey = try Ed25519.PrivateKey(seed: [UInt8](repeating: 0x01, count: 32))
        let countersigner = try Ed25519.PrivateKey(seed: [UInt8](repeating: 0x02, count: 32))
        let certificate = Certificate(
            pollID: try PollID(bytes: Array(0..<16)), thresholdIndex: 0, reachedAtSize: 3,
            rootAtReached: try MerkleHash(bytes: [UInt8](repeating: 0xaa, count: 32)), checkpointSize: 4,
            checkpointRoot: try MerkleHash(bytes: [UInt8](repeating: 0xbb, count: 32)), date: 1_764_000_000, statement: "Vector")
        let signed = SignedCertificate(signing: certificate, with: serviceKey)
        let bytes = Countersignature.signedBytes(signed)
        let signature = Countersignature.sign(signed, with: countersigner)
        #expect(Hex.encode(bytes) == Self.vectorBytes)
        #expect(Hex.encode(countersigner.publicKey.rawRepresentation) == Self.vectorKey)
        #expect(Hex.encode(signature) == Self.vectorSignature)
        #expect(Countersignature.isValid(signature, by: countersigner.publicKey, for: signed))
        // Not valid for another certificate, nor as the service's own signature.
        let other = SignedCertificate(signing: Certificate(
            pollID: certificate.pollID, thresholdIndex: 1, reachedAtSize: 3, rootAtReached: certificate.rootAtReached,
            checkpointSize: 4, checkpointRoot: certificate.checkpointRoot, date: certificate.date, statement: "Vector"), with: serviceKey)
        #expect(!Countersignature.isValid(signature, by: countersigner.publicKey, for: other))
        #expect(!countersigner.publicKey.isValidSignature(signature, for: certificate.canonicalBytes))
    }

    static let vectorBytes =
        "00000024706e79782f63657274696669636174652d636f756e7465727369676e61747572652f763100000013706e7978" +
        "2f63657274696669636174652f7631000102030405060708090a0b0c0d0e0f00000000000000000003aaaaaaaaaaaaaa" +
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0000000000000004bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" +
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb000000006924810000000006566563746f72014cec1d1e7c752d899f6cc6ae" +
        "7871ac9918beb84f72003221b066be08aa6169fdec1eb0ff5106f79184ca9053f5aac2f5254aa10b364baf2a0e650c5b" +
        "4d1f0f"
    static let vectorKey = "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"
    static let vectorSignature = "82f632dc2594844388fa01631216e8f5cd13764154bd6d9a959feb09d2f4a30646b5754f9de1b512763532b5ac8bf6afacabc072db49a43daf6474016a91690b"

    struct Body: Encodable {
        let publicKey: String
        let signature: String

        init(_ key: Ed25519.PrivateKey, _ certificate: SignedCertificate) {
            publicKey = Base64.encode(key.publicKey.rawRepresentation)
            signature = Base64.encode(Countersignature.sign(certificate, with: key))
        }

        init(publicKey: String, signature: String) {
            self.publicKey = publicKey
            self.signature = signature
        }
    }

    @Test("an official (admin token) and an auditor countersign; served in JSON and HTML; every refusal has its code")
    func countersign() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft(thresholds: [.absolute(count: 1)]))
            let voter = try await world.citizen("R1", poll: poll)
            #expect(try await world.submit(try voter.entry(.sign(nil))).status == .created)
            let certified = try await world.client.json(
                .post, "/v1/admin/polls/\(poll.id.hex)/certify", token: PnyxWorld.adminToken, body: ["thresholdIndex": 0])
            #expect(certified.status == .created, "\(String(buffer: certified.body))")
            let certificate = try certified.decode(CertificateBundle.self).certificate
            let adminPath = "/v1/admin/polls/\(poll.id.hex)/certificates/0/countersignatures"
            let publicPath = "/v1/polls/\(poll.id.hex)/certificates/0/countersignatures"

            // Refusals first: none records anything.
            let noToken = try await world.client.json(.post, adminPath, body: Body(PnyxWorld.countersigner, certificate))
            #expect(noToken.status == .unauthorized)
            #expect(noToken.errorCode == "auth.required")
            let officialToken = try await world.client.json(
                .post, adminPath, token: PnyxWorld.officialToken, body: Body(PnyxWorld.countersigner, certificate))
            #expect(officialToken.errorCode == "auth.forbidden")
            let stranger = Ed25519.PrivateKey()
            let unknown = try await world.client.json(.post, publicPath, body: Body(stranger, certificate))
            #expect(unknown.status == .forbidden)
            #expect(unknown.errorCode == "countersignature.unknown_key")
            // Roles are not interchangeable: an auditor's key is not an official's, and back.
            let auditorAsOfficial = try await world.client.json(
                .post, adminPath, token: PnyxWorld.adminToken, body: Body(PnyxWorld.auditor, certificate))
            #expect(auditorAsOfficial.errorCode == "countersignature.unknown_key")
            let officialAsAuditor = try await world.client.json(.post, publicPath, body: Body(PnyxWorld.countersigner, certificate))
            #expect(officialAsAuditor.errorCode == "countersignature.unknown_key")
            // A signature over other bytes (the certificate alone, without the tag).
            let wrongBytes = Body(
                publicKey: Base64.encode(PnyxWorld.auditor.publicKey.rawRepresentation),
                signature: Base64.encode(PnyxWorld.auditor.sign(certificate.certificate.canonicalBytes)))
            let bad = try await world.client.json(.post, publicPath, body: wrongBytes)
            #expect(bad.status == .unprocessableContent)
            #expect(bad.errorCode == "countersignature.invalid_signature")
            let malformed = try await world.client.json(.post, publicPath, body: Body(publicKey: "not base64!", signature: "AAAA"))
            #expect(malformed.errorCode == "request.malformed")
            let unknownCertificate = try await world.client.json(
                .post, "/v1/polls/\(poll.id.hex)/certificates/7/countersignatures", body: Body(PnyxWorld.auditor, certificate))
            #expect(unknownCertificate.status == .notFound)
            #expect(unknownCertificate.errorCode == "certificate.unknown")
            let unknownPoll = try await world.client.json(
                .post, "/v1/polls/\(PollID.random().hex)/certificates/0/countersignatures", body: Body(PnyxWorld.auditor, certificate))
            #expect(unknownPoll.errorCode == "certificate.unknown")
            #expect(try await world.service.countersignatures(poll.id, thresholdIndex: 0).isEmpty)

            // The official, then the auditor.
            let official = try await world.client.json(
                .post, adminPath, token: PnyxWorld.adminToken, body: Body(PnyxWorld.countersigner, certificate))
            #expect(official.status == .ok, "\(String(buffer: official.body))")
            #expect(try official.decode(CertificateBundle.self).countersignatures.map(\.role) == [.official])
            let audited = try await world.client.json(.post, publicPath, body: Body(PnyxWorld.auditor, certificate))
            #expect(audited.status == .ok, "\(String(buffer: audited.body))")
            // Again: idempotent.
            #expect(try await world.client.json(.post, publicPath, body: Body(PnyxWorld.auditor, certificate)).status == .ok)

            // Served with the certificate; anyone re-checks them with the keys the service publishes.
            let bundle = try await world.client.get("/v1/polls/\(poll.id.hex)/certificates/0").decode(CertificateBundle.self)
            #expect(bundle.countersignatures.count == 2)
            #expect(Set(bundle.countersignatures.map(\.role)) == [.official, .auditor])
            for item in bundle.countersignatures { try item.verify(bundle.certificate) }
            struct Info: Decodable {
                struct Keys: Decodable { let officials: [String: String]; let auditors: [String: String] }
                let countersigningKeys: Keys
            }
            let info = try await world.client.get("/v1/service").decode(Info.self)
            for item in bundle.countersignatures {
                let keys = item.role == .official ? info.countersigningKeys.officials : info.countersigningKeys.auditors
                #expect(keys[Base64.encode(item.publicKey.rawRepresentation)] == item.name)
            }
            // A tampered countersignature does not verify.
            var tampered = bundle.countersignatures[0].signature
            tampered[5] ^= 1
            #expect(!Countersignature.isValid(tampered, by: bundle.countersignatures[0].publicKey, for: bundle.certificate))
            let html = String(buffer: try await world.client.get("/v1/polls/\(poll.id.hex)/certificates/0.html").body)
            #expect(html.contains("Countersignatures"))
            #expect(html.contains(CertificatePage.escape("Claire (mayor's office)")))
            #expect(html.contains(CertificatePage.escape("Citizens' audit collective")))
            #expect(html.contains("verified by the service"))
        }
    }
}
