import Foundation
import HummingbirdTesting
import PnyxCore
@testable import PnyxService
import Testing

@Suite("Kiosk and paper entries recorded by an official")
struct OfficialEntryTests {
    @Test("counted apart by channel, attributed to the official, never to the resident")
    func kioskAndPaper() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            // The official obtained these credentials on the residents' behalf (in person).
            let kiosk = try await world.citizen("R7", poll: poll)
            let paper = try await world.citizen("R8", poll: poll)
            let online = try await world.citizen("R1", poll: poll)
            let k = try await world.submit(try kiosk.entry(.sign(nil), channel: .kiosk), official: true)
            #expect(k.status == .created, "\(String(buffer: k.body))")
            _ = try verifyReceipt(try k.decode(Receipt.self), verifierKey: world.service.verifierKey)
            #expect(try await world.submit(try paper.entry(.sign(nil), channel: .paper), official: true).status == .created)
            #expect(try await world.submit(try online.entry(.sign(nil))).status == .created)

            let tally = try await world.tally(poll.id)
            #expect(tally.byChannel == ["kiosk": 1, "paper": 1, "online": 1])
            #expect(tally.participants == 3)
            let rows = try await world.service.pool.query(
                "SELECT position, official, channel FROM service_official_entries WHERE poll_id = $1 ORDER BY position",
                [.bytea(poll.id.bytes)])
            #expect(rows.count == 2)
            #expect(try rows.map { try $0.decode(String.self, at: 1) } == ["Bob (town hall kiosk)", "Bob (town hall kiosk)"])
            #expect(try rows.map { try $0.decode(String.self, at: 2) } == ["kiosk", "paper"])
            let csv = String(buffer: try await world.client.get("/v1/polls/\(poll.id.hex)/export.csv").body)
            #expect(csv.contains("channel,kiosk,,1,"))
            #expect(csv.contains("channel,paper,,1,"))
        }
    }

    @Test("channels and tokens are checked: each refusal has its code and changes nothing")
    func refusals() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let voter = try await world.citizen("R2", poll: poll)
            let size = try await world.logSize(poll.id)
            // A kiosk entry on the citizens' endpoint.
            let selfKiosk = try await world.submit(try voter.entry(.sign(nil), channel: .kiosk))
            #expect(selfKiosk.status == .forbidden)
            #expect(selfKiosk.errorCode == "entry.channel_not_allowed")
            // An online entry on the officials' endpoint.
            let officialOnline = try await world.submit(try voter.entry(.sign(nil)), official: true)
            #expect(officialOnline.status == .forbidden)
            #expect(officialOnline.errorCode == "entry.channel_not_allowed")
            // No token, a wrong token, an admin token.
            let entry = try voter.entry(.sign(nil), channel: .paper)
            let none = try await world.client.json(.post, "/v1/official/polls/\(poll.id.hex)/entries", body: entry)
            #expect(none.status == .unauthorized)
            #expect(none.errorCode == "auth.required")
            let wrong = try await world.submit(entry, official: true, token: "not-a-configured-token-000000")
            #expect(wrong.errorCode == "auth.required")
            let admin = try await world.submit(entry, official: true, token: PnyxWorld.adminToken)
            #expect(admin.status == .forbidden)
            #expect(admin.errorCode == "auth.forbidden")
            #expect(try await world.logSize(poll.id) == size)
        }
    }
}
