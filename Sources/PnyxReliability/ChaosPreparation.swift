import Foundation
import PnyxCore
import PnyxCrypto

/// An entry ready to submit, made through the real protocol before any load is driven.
struct PreparedEntry: Sendable {
    let poll: PollID
    let entry: Entry
}

extension ChaosWorld {
    private struct Token: Decodable { let token: String }
    private struct PollViewBody: Decodable { let pollID: String }
    private struct Signed: Decodable { let blindSignature: String }
    private struct Empty: Codable {}
    /// The JSON body of `POST /v1/admin/polls` (the service's `PollDraft`).
    private struct Draft: Encodable {
        var kind: PollKind
        var title: String
        var text: String
        var opensAt: Int64
        var closesAt: Int64
        var eligibility: Eligibility
        var disclosure: Disclosure
        var thresholds: [Threshold]
    }

    /// Imports `residents` residents through the broker's admin API, enrols each with a one-time
    /// code and logs them in (real Argon2id, real sessions); returns the session tokens.
    func enrolResidents(_ count: Int, say: @Sendable (String) -> Void) async throws -> [String] {
        let admin = brokerClient()
        let ids = (0..<count).map { String(format: "CH%05d", $0) }
        var residents = "resident_id,given_name,family_name,birth_date,area_code\n"
        for id in ids { residents += "\(id),Camille,Martin,1980-06-15,C1-1\n" }
        let areas = "code,name,level,parent_code\nD,Dept,departement,\nA,Agglo,agglomeration,D\nC1,Commune 1,commune,A\nC1-1,District 1-1,district,C1\n"
        struct Import: Encodable { let areasCSV: String; let residentsCSV: String }
        _ = try await admin.send("POST", "admin/register", body: try JSONEncoder().encode(Import(areasCSV: areas, residentsCSV: residents)),
                                 token: Self.brokerAdminToken)
        struct Codes: Encodable { let residentIDs: [String] }
        let csv = try await admin.send("POST", "admin/enrolment-codes", body: try JSONEncoder().encode(Codes(residentIDs: ids)),
                                       token: Self.brokerAdminToken)
        var codes: [(String, String)] = []
        for line in String(decoding: csv, as: UTF8.self).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 5 else { continue }
            codes.append((fields[0], fields[4]))
        }
        guard codes.count == count else {
            throw ReliabilityError(.setupFailed, "the broker issued \(codes.count) enrolment codes for \(count) residents")
        }
        let started = Date()
        let tokens = try await concurrently(codes, width: 2) { (resident, code) -> String in
            struct Enrol: Encodable { let code: String; let passphrase: String }
            struct Login: Encodable { let residentID: String; let passphrase: String }
            let client = self.brokerClient()
            _ = try await client.send("POST", "enrol", body: try JSONEncoder().encode(Enrol(code: code, passphrase: Self.passphrase)))
            let data = try await client.send("POST", "login", body: try JSONEncoder().encode(Login(residentID: resident, passphrase: Self.passphrase)))
            return try JSONDecoder().decode(Token.self, from: data).token
        }
        say(String(format: "enrolled and logged in %d residents over HTTP in %.1f s", count, Date().timeIntervalSince(started)))
        return tokens
    }

    /// Creates, publishes and opens `count` petitions (one attribute class each: no
    /// disclosure), each opening `lead` seconds after its creation (its key directory must
    /// enter the log before); returns their ids and the last opening time.
    func openPolls(_ count: Int, lead: Int64) async throws -> (ids: [PollID], opensAt: Int64) {
        let client = serviceClient()
        var ids: [PollID] = []
        var last: Int64 = 0
        for index in 0..<count {
            let now = Int64(Date().timeIntervalSince1970)
            last = now + lead
            let draft = Draft(
                kind: .petition, title: "Chaos petition \(index)", text: "Entries submitted while the service is killed.",
                opensAt: now + lead, closesAt: now + 7 * 86_400,
                eligibility: Eligibility(minimumAge: 18, referenceDate: CivilDate("2025-01-01")!),
                disclosure: Disclosure(areaLevel: .none, ageBands: false), thresholds: [.absolute(count: 1_000_000)])
            let created: PollViewBody = try await client.json("POST", "admin/polls", draft, token: Self.adminToken)
            _ = try await client.send("POST", "admin/polls/\(created.pollID)/publish", body: Data("{}".utf8), token: Self.adminToken)
            _ = try await client.send("POST", "admin/polls/\(created.pollID)/open", body: Data("{}".utf8), token: Self.adminToken)
            ids.append(try PollID(hex: created.pollID))
        }
        return (ids, last)
    }

    /// One credential per (resident, poll) from the broker over HTTP, finalized client-side,
    /// and the signed entry (a signature) for each.
    func prepareEntries(tokens: [String], polls: [PollID]) async throws -> [PreparedEntry] {
        let client = serviceClient()
        var found: [PollID: KeyDirectory] = [:]
        for poll in polls {
            let signed: SignedKeyDirectory = try await client.get("polls/\(poll.hex)/directory")
            found[poll] = signed.directory
        }
        let directories = found
        let attributeClass = try AttributeClass(areaCode: nil, ageBand: nil)
        var work: [(String, PollID)] = []
        for poll in polls { for token in tokens { work.append((token, poll)) } }
        return try await concurrently(work, width: 4) { (token, poll) -> PreparedEntry in
            let oneTime = Ed25519.PrivateKey()
            let message = CredentialMessage(pollID: poll, attributeClass: attributeClass, oneTimeKey: oneTime.publicKey)
            let request = try CredentialRequest(message: message, directory: directories[poll]!)
            struct Blinded: Encodable { let blindedMessage: String }
            let answer: Signed = try await self.brokerClient().json(
                "POST", "polls/\(poll.hex)/credential", Blinded(blindedMessage: Base64.encode(request.blindedMessage)), token: token)
            let credential = try request.finalize(blindSignature: try Base64.decode(answer.blindSignature))
            let entry = try Entry(pollID: poll, credential: credential, channel: .online, payload: .sign(nil), signingWith: oneTime)
            return PreparedEntry(poll: poll, entry: entry)
        }
    }
}

/// Maps `items` through `body` with at most `width` calls in flight; keeps the order.
func concurrently<Item: Sendable, Result: Sendable>(
    _ items: [Item], width: Int, _ body: @escaping @Sendable (Item) async throws -> Result
) async throws -> [Result] {
    try await withThrowingTaskGroup(of: (Int, Result).self) { group in
        var results = [Result?](repeating: nil, count: items.count)
        var next = 0
        while next < min(width, items.count) {
            let index = next
            group.addTask { (index, try await body(items[index])) }
            next += 1
        }
        while let (index, value) = try await group.next() {
            results[index] = value
            if next < items.count {
                let index = next
                group.addTask { (index, try await body(items[index])) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}
