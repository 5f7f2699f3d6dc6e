import Foundation
import PnyxCore
import PnyxCrypto
#if canImport(Glibc)
import Glibc
#endif

/// Bad input in bulk against the running processes: replayed entries, forged entries
/// (flipped signature, wrong one-time key, forged credential, another poll's entry, a kiosk
/// entry on the citizen route), oversized and malformed bodies; on the broker, the login
/// lockout, the per-address rate limit and the body limit. Nothing may be accepted.
struct ChaosAbuse {
    let world: ChaosWorld
    let count: Int
    let say: @Sendable (String) -> Void

    func run(acknowledged: [ChaosLedger.Acknowledged], polls: [PollID], report: inout ChaosHarness.Report) async throws {
        let client = world.serviceClient(timeout: 20)
        var requests: [(String, Data, Set<String>)] = []  // path, body, acceptable codes
        let sample = Array(acknowledged.prefix(count))
        let json = JSONEncoder()
        for item in sample {
            let entry = item.entry.entry
            let path = "polls/\(entry.pollID.hex)/entries"
            requests.append((path, try json.encode(entry), ["409 entry.replayed"]))
        }
        for (index, item) in sample.enumerated() {
            let entry = item.entry.entry
            let path = "polls/\(entry.pollID.hex)/entries"
            let forged: Entry
            switch index % 5 {
            case 0:  // one bit of the one-time key's signature flipped
                var signature = entry.signature
                signature[index % signature.count] ^= 0x01
                forged = Entry(pollID: entry.pollID, credential: entry.credential, channel: entry.channel, payload: entry.payload,
                               nonce: entry.nonce, signature: signature)
            case 1:  // signed by another key than the credential's one-time key
                forged = Entry(pollID: entry.pollID, credential: entry.credential, channel: .online, payload: entry.payload,
                               nonce: entry.nonce, signature: Ed25519.PrivateKey().sign(entry.signedBytes))
            case 2:  // a credential for a new one-time key, reusing another credential's blind signature
                let key = Ed25519.PrivateKey()
                let credential = Credential(
                    attributeClass: entry.credential.attributeClass, keyID: entry.credential.keyID, oneTimeKey: key.publicKey,
                    prefix: entry.credential.prefix, signature: entry.credential.signature)
                forged = try Entry(pollID: entry.pollID, credential: credential, channel: .online, payload: entry.payload, signingWith: key)
            case 3:  // a valid entry of one poll posted to another poll
                let other = polls.first { $0 != entry.pollID } ?? entry.pollID
                requests.append(("polls/\(other.hex)/entries", try json.encode(entry), []))
                continue
            default:  // a kiosk entry on the citizen route
                forged = Entry(pollID: entry.pollID, credential: entry.credential, channel: .kiosk, payload: entry.payload,
                               nonce: entry.nonce, signature: entry.signature)
            }
            requests.append((path, try json.encode(forged), []))
        }
        if let poll = polls.first {
            let path = "polls/\(poll.hex)/entries"
            let oversized = Data(("{\"padding\":\"" + String(repeating: "A", count: 200_000) + "\"}").utf8)
            let malformed = Data("{\"pollID\":".utf8)
            for _ in 0..<max(count / 10, 3) {
                requests.append((path, oversized, ["413 request.too_large"]))
                requests.append((path, malformed, []))
            }
        }
        let answers = try await concurrently(requests, width: 8) { (path, body, expected) -> (String, Bool, Bool) in
            do {
                _ = try await client.send("POST", path, body: body)
                return ("201", true, false)
            } catch {
                let failure = probeFailure(error)
                let key = "\(failure.status) \(failure.code)"
                let fits = expected.isEmpty ? (400..<500).contains(failure.status) : expected.contains(key)
                return (key, false, !fits)
            }
        }
        for (key, accepted, wrong) in answers {
            report.abuseSent += 1
            report.abuseAnswers[key, default: 0] += 1
            if accepted { report.abuseAccepted += 1 }
            if wrong, report.problems.count < 30 { report.problems.append("abuse: unexpected answer \(key)") }
        }
        say("abuse on the service: \(requests.count) replayed/forged/oversized/malformed requests, \(report.abuseAccepted) accepted")
        try await brokerAbuse(report: &report)
    }

    /// Login lockout, rate limit (on a second broker process with the default limits) and body limit.
    private func brokerAbuse(report: inout ChaosHarness.Report) async throws {
        struct Login: Encodable { let residentID: String; let passphrase: String }
        let broker = world.brokerClient(timeout: 20)
        @Sendable func login(_ client: HTTPProbe, _ resident: String, _ passphrase: String) async -> String {
            do {
                let body = try JSONEncoder().encode(Login(residentID: resident, passphrase: passphrase))
                _ = try await client.send("POST", "login", body: body)
                return "200"
            } catch {
                let failure = probeFailure(error)
                return "\(failure.status) \(failure.code)"
            }
        }
        func count(_ key: String, accepted: Bool = false) {
            report.abuseSent += 1
            report.abuseAnswers["broker " + key, default: 0] += 1
            if accepted { report.abuseAccepted += 1 }
        }
        // Lockout: five wrong passphrases lock the account; then even the right one is refused.
        let victim = "CH00000"
        var answers: [String] = []
        for _ in 0..<6 { answers.append(await login(broker, victim, "wrong passphrase guess")) }
        let right = await login(broker, victim, ChaosWorld.passphrase)
        for answer in answers { count(answer) }
        count(right, accepted: right == "200")
        if !answers.last!.hasSuffix("auth.locked_out") || !right.hasSuffix("auth.locked_out") {
            report.problems.append("broker lockout: answers \(answers), then \(right) with the right passphrase")
        }
        // Body limit.
        let big = Data(("{\"residentID\":\"" + String(repeating: "X", count: 200_000) + "\",\"passphrase\":\"x\"}").utf8)
        do {
            _ = try await broker.send("POST", "login", body: big)
            count("200", accepted: true)
            report.problems.append("broker body limit: a 200 kB login body was accepted")
        } catch {
            let failure = probeFailure(error)
            count("\(failure.status) \(failure.code)")
            if failure.status != 413 { report.problems.append("broker body limit: answered \(failure) instead of 413") }
        }
        // Rate limit: a second broker process with the default per-address limits (5/s, burst 20).
        let port = try ChaosWorld.freePort()
        var environment = world.brokerEnvironment
        environment["PNYX_BROKER_PORT"] = "\(port)"
        environment["PNYX_BROKER_RATE_PER_SECOND"] = nil
        environment["PNYX_BROKER_RATE_BURST"] = nil
        let limited = ManagedProcess(name: "broker (default rate limit)", executable: world.pnyxPath, arguments: ["broker"],
                                     environment: environment, logPath: world.directory + "/broker-limited.log")
        try limited.start()
        try await world.waitHealthy("http://127.0.0.1:\(port)", process: limited)
        let limitedClient = HTTPProbe("http://127.0.0.1:\(port)/v1", timeout: 30)
        // Enrolment attempts with a too-weak passphrase (refused before any Argon2 work, so they
        // come faster than the 5/s refill): after the burst of 20, the limiter must refuse.
        @Sendable func enrol(_ index: Int) async -> String {
            struct Enrol: Encodable { let code: String; let passphrase: String }
            do {
                let body = try JSONEncoder().encode(Enrol(code: String(format: "BOGUS-%06d", index), passphrase: "x"))
                _ = try await limitedClient.send("POST", "enrol", body: body)
                return "201"
            } catch { return probeFailure(error).key }
        }
        let burst = try await concurrently(Array(0..<100), width: 16) { await enrol($0) }
        for answer in burst { count(answer, accepted: answer == "201") }
        let limitedCount = burst.filter { $0 == "429 auth.rate_limited" }.count
        if limitedCount == 0 || limitedCount > 80 {  // the first 20 (the burst) pass
            report.problems.append("broker rate limit: 100 enrolments in a burst, \(limitedCount) refused with 429 auth.rate_limited: \(Set(burst))")
        }
        await limited.stop(signal: SIGTERM)
        say("abuse on the broker: lockout \(answers.last!) then \(right); 100-enrolment burst: \(limitedCount) refused with 429")
    }
}
