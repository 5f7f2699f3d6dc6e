import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
@testable import PnyxService
import Testing

/// Bad input gets a clear error with a stable code and HTTP status, and changes nothing.
@Suite("Refusals: each with its stable code, the log unchanged")
struct RefusalTests {
    /// Expects `response` to carry `code` and `status`, and the log to still have `size` entries.
    func expectRefused(
        _ response: TestResponse, _ code: String, _ status: HTTPResponse.Status, world: PnyxWorld, poll: PollID, size: Int64,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(response.errorCode == code, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(try await world.logSize(poll) == size, sourceLocation: sourceLocation)
    }

    @Test("forged credential, wrong class key, flipped signature, replay, reused one-time key")
    func forgeries() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let voter = try await world.citizen("R1", poll: poll)
            let size = try await world.logSize(poll.id)

            // Forged credential: one bit of the broker's RSA signature flipped, entry re-signed.
            var forgedSignature = voter.credential.signature
            forgedSignature[17] ^= 0x40
            let forged = Credential(attributeClass: voter.credential.attributeClass, keyID: voter.credential.keyID,
                                    oneTimeKey: voter.credential.oneTimeKey, prefix: voter.credential.prefix, signature: forgedSignature)
            let forgedEntry = try Entry(pollID: poll.id, credential: forged, channel: .online, payload: .sign(nil), signingWith: voter.key)
            try await expectRefused(try await world.submit(forgedEntry), "credential.invalid_signature", .unprocessableContent,
                                    world: world, poll: poll.id, size: size)

            // Wrong class key: the credential claims another class than its key's.
            let otherClass = try AttributeClass(areaCode: "C2", ageBand: .from35to49)
            let claimed = Credential(attributeClass: otherClass, keyID: voter.credential.keyID, oneTimeKey: voter.credential.oneTimeKey,
                                     prefix: voter.credential.prefix, signature: voter.credential.signature)
            let claimedEntry = try Entry(pollID: poll.id, credential: claimed, channel: .online, payload: .sign(nil), signingWith: voter.key)
            try await expectRefused(try await world.submit(claimedEntry), "credential.class_mismatch", .unprocessableContent,
                                    world: world, poll: poll.id, size: size)
            // Another class's key id with this credential: the RSA signature does not verify under it.
            let otherKey = try #require(poll.directory?.directory.entries.first { $0.attributeClass != voter.credential.attributeClass })
            let rekeyed = Credential(attributeClass: otherKey.attributeClass, keyID: otherKey.keyID, oneTimeKey: voter.credential.oneTimeKey,
                                     prefix: voter.credential.prefix, signature: voter.credential.signature)
            let rekeyedEntry = try Entry(pollID: poll.id, credential: rekeyed, channel: .online, payload: .sign(nil), signingWith: voter.key)
            try await expectRefused(try await world.submit(rekeyedEntry), "credential.invalid_signature", .unprocessableContent,
                                    world: world, poll: poll.id, size: size)

            // Flipped entry signature.
            let good = try voter.entry(.sign(nil))
            var flipped = good.signature
            flipped[5] ^= 1
            let flippedEntry = Entry(pollID: poll.id, credential: good.credential, channel: .online, payload: good.payload, nonce: good.nonce, signature: flipped)
            try await expectRefused(try await world.submit(flippedEntry), "entry.invalid_signature", .unprocessableContent,
                                    world: world, poll: poll.id, size: size)

            // The genuine entry passes; the same bytes again are a replay.
            #expect(try await world.submit(good).status == .created)
            try await expectRefused(try await world.submit(good), "entry.replayed", .conflict, world: world, poll: poll.id, size: size + 1)

            // Reused one-time key: R2 obtains a credential for R1's one-time key (collusion).
            let accomplice = try await world.citizen("R2", poll: poll, oneTime: voter.key)
            try await expectRefused(try await world.submit(try accomplice.entry(.sign(nil))), "entry.nullifier_reused", .conflict,
                                    world: world, poll: poll.id, size: size + 1)
            // The entry for another poll id than the path.
            let elsewhere = try await world.submit(try voter.entry(.withdraw), to: PollID.random())
            #expect(elsewhere.errorCode == "poll.unknown")
            #expect(elsewhere.status == .notFound)
            #expect(try await world.tally(poll.id).participants == 1)
        }
    }

    @Test("out of window: published but not opened, opened before opensAt, closed, after closesAt")
    func outOfWindow() async throws {
        try await PnyxWorld.with { world in
            let created = try await world.client.json(.post, "/v1/admin/polls", token: PnyxWorld.adminToken, body: world.petitionDraft())
            let id = try PollID(hex: try created.decode(PollViewBody.self).pollID)
            #expect(try await world.client.json(.post, "/v1/admin/polls/\(id.hex)/publish", token: PnyxWorld.adminToken, body: Empty()).status == .ok)
            let poll = try await world.service.poll(id)
            let voter = try await world.citizen("R1", poll: poll)
            let size = try await world.logSize(id)
            let entry = try voter.entry(.sign(nil))
            try await expectRefused(try await world.submit(entry), "poll.not_open", .conflict, world: world, poll: id, size: size)
            // Opened by the administration, but before opensAt.
            #expect(try await world.client.json(.post, "/v1/admin/polls/\(id.hex)/open", token: PnyxWorld.adminToken, body: Empty()).status == .ok)
            try await expectRefused(try await world.submit(entry), "poll.not_open", .conflict, world: world, poll: id, size: size + 1)
            // In the window: accepted.
            world.clock.advance(3601)
            #expect(try await world.submit(entry).status == .created)
            // After closesAt (not yet closed by the administration).
            world.clock.advance(3 * 86_400)
            let late = try voter.entry(.withdraw)
            try await expectRefused(try await world.submit(late), "poll.not_open", .conflict, world: world, poll: id, size: size + 2)
            // Closed.
            #expect(try await world.client.json(.post, "/v1/admin/polls/\(id.hex)/close", token: PnyxWorld.adminToken, body: Empty()).status == .ok)
            try await expectRefused(try await world.submit(late), "poll.not_open", .conflict, world: world, poll: id, size: size + 3)
            // Lifecycle steps out of order.
            let reopen = try await world.client.json(.post, "/v1/admin/polls/\(id.hex)/open", token: PnyxWorld.adminToken, body: Empty())
            try await expectRefused(reopen, "poll.invalid_state", .conflict, world: world, poll: id, size: size + 3)
        }
    }

    @Test("malformed JSON, oversized body, unknown poll, unauthenticated administration")
    func malformedAndUnauthenticated() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            var size = try await world.logSize(poll.id)
            let path = "/v1/polls/\(poll.id.hex)/entries"
            try await expectRefused(try await world.client.raw(.post, path, bytes: Array("{\"pollID\": ".utf8)),
                                    "request.malformed", .badRequest, world: world, poll: poll.id, size: size)
            try await expectRefused(try await world.client.raw(.post, path, bytes: Array("{\"pollID\": \"zz\"}".utf8)),
                                    "request.malformed", .badRequest, world: world, poll: poll.id, size: size)
            // A valid entry with a field the API does not define, at the top and nested: refused, not ignored.
            let voter = try await world.citizen("R1", poll: poll)
            let valid = try JSONSerialization.jsonObject(with: JSONEncoder().encode(try voter.entry(.sign(nil)))) as! [String: Any]
            var extraTop = valid
            extraTop["comment"] = "ignored?"
            try await expectRefused(try await world.client.raw(.post, path, bytes: Array(try JSONSerialization.data(withJSONObject: extraTop))),
                                    "request.unknown_field", .badRequest, world: world, poll: poll.id, size: size)
            var extraNested = valid
            var credential = valid["credential"] as! [String: Any]
            credential["level"] = "gold"
            extraNested["credential"] = credential
            let nested = try await world.client.raw(.post, path, bytes: Array(try JSONSerialization.data(withJSONObject: extraNested)))
            #expect(String(buffer: nested.body).contains("credential.level"))
            try await expectRefused(nested, "request.unknown_field", .badRequest, world: world, poll: poll.id, size: size)
            // The same entry without the extra fields (explicit nulls are absent fields) is accepted.
            var withNull = valid
            withNull["comment"] = NSNull()
            let accepted = try await world.client.raw(.post, path, bytes: Array(try JSONSerialization.data(withJSONObject: withNull)))
            #expect(accepted.status == .created, "\(String(buffer: accepted.body))")
            size = try await world.logSize(poll.id)
            let oversized = Array("{\"pad\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 20_000) + Array("\"}".utf8)
            try await expectRefused(try await world.client.raw(.post, path, bytes: oversized),
                                    "request.too_large", .contentTooLarge, world: world, poll: poll.id, size: size)

            let unknown = PollID.random().hex
            let missing = try await world.client.get("/v1/polls/\(unknown)")
            #expect(missing.status == .notFound)
            #expect(missing.errorCode == "poll.unknown")
            #expect(try await world.client.get("/v1/polls/not-a-poll/tally").errorCode == "poll.unknown")
            #expect(try await world.client.get("/v1/polls/\(unknown)/log/checkpoint").errorCode == "poll.unknown")

            for (method, uri) in [(HTTPRequest.Method.post, "/v1/admin/polls"), (.post, "/v1/admin/polls/\(poll.id.hex)/close"),
                                  (.post, "/v1/admin/polls/\(poll.id.hex)/certify"), (.get, "/v1/admin/proposals")] {
                let anonymous = try await world.client.json(method, uri, body: world.petitionDraft())
                #expect(anonymous.status == .unauthorized, "\(uri)")
                #expect(anonymous.errorCode == "auth.required", "\(uri)")
                let wrong = try await world.client.json(method, uri, token: "wrong-token-0000000000000000", body: world.petitionDraft())
                #expect(wrong.errorCode == "auth.required", "\(uri)")
                let official = try await world.client.json(method, uri, token: PnyxWorld.officialToken, body: world.petitionDraft())
                #expect(official.errorCode == "auth.forbidden", "\(uri)")
            }
            #expect(try await world.logSize(poll.id) == size)
            #expect(try await world.service.poll(poll.id).status == "open")
            // An invalid draft is refused with poll.invalid.
            var bad = world.petitionDraft()
            bad.closesAt = bad.opensAt - 1
            let invalid = try await world.client.json(.post, "/v1/admin/polls", token: PnyxWorld.adminToken, body: bad)
            #expect(invalid.errorCode == "poll.invalid")
            #expect(invalid.status == .unprocessableContent)
        }
    }
}
