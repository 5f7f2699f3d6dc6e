public import Foundation
public import PnyxCore
import PnyxCrypto

/// Reading answers from the command line: `1=0` (question 1, option 0), `2=0,2` (two
/// options), `3=` (no option, for an approval question).
public enum AnswerParser {
    /// Parses `Q=C[,C…]` items; anything else is `client.invalid_input`.
    public static func parse(_ items: [String]) throws(ClientError) -> [Answer] {
        var answers: [UInt16: Set<UInt16>] = [:]
        for item in items.flatMap({ $0.split(separator: " ").map(String.init) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let question = UInt16(parts[0]), answers[question] == nil else {
                throw ClientError(.invalidInput, "\"\(item)\" is not QUESTION=OPTION[,OPTION…] (each question once), e.g. 1=0 2=0,2")
            }
            var choices = Set<UInt16>()
            for text in parts[1].split(separator: ",") {
                guard let option = UInt16(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ClientError(.invalidInput, "\"\(text)\" in \"\(item)\" is not an option number (from 0)")
                }
                choices.insert(option)
            }
            answers[question] = choices
        }
        guard !answers.isEmpty else { throw ClientError(.invalidInput, "give one answer per question, e.g. --answers 1=0 2=0,2") }
        return answers.sorted { $0.key < $1.key }.map { Answer(questionID: $0.key, choices: $0.value) }
    }
}

extension WalletClient {
    /// Signs a petition (anonymously, or showing the broker-attested partial name "Given F.").
    public func sign(poll: PollID, service: String? = nil, showName: Bool = false) async throws(ClientError) -> Wallet.StoredReceipt {
        try await submit(poll: poll, service: service, kind: "sign") { (trusted, credential, wallet) async throws(ClientError) -> EntryPayload in
            guard showName else { return .sign(nil) }
            guard trusted.definition.allowPartialNames else {
                throw ClientError(code: "issuance.names_not_allowed", status: 0, reason: "this petition does not show names; sign without --show-name")
            }
            let broker = try BrokerAPI(url: wallet.broker!.url, timeout: timeout)
            let answer = try await broker.nameAttestation(poll: poll, oneTimeKey: credential.oneTimeKey, token: try session(wallet))
            let signature = try decode(answer.signature)
            guard answer.attestation.pollID == poll, answer.attestation.oneTimeKey == credential.oneTimeKey else {
                throw ClientError(.untrusted, "the broker attested a name for another poll or key")
            }
            do throws(CoreError) { try answer.attestation.verify(signature, brokerKey: trusted.definition.brokerKey) } catch {
                throw ClientError(.untrusted, "the broker's name attestation does not verify: \(error.reason)")
            }
            return .sign(PartialName(name: answer.attestation.partialName, attestation: signature))
        }
    }

    /// Votes (or changes the vote: the latest entry counts).
    public func vote(poll: PollID, service: String? = nil, answers: [Answer]) async throws(ClientError) -> Wallet.StoredReceipt {
        try await submit(poll: poll, service: service, kind: "vote") { (_, _, _) async throws(ClientError) -> EntryPayload in .vote(answers) }
    }

    /// Withdraws the earlier signature or vote (needs the credential that made it).
    public func withdraw(poll: PollID, service: String? = nil) async throws(ClientError) -> Wallet.StoredReceipt {
        let wallet = try file.load()
        guard wallet.record(poll)?.credential != nil else {
            throw ClientError(.walletNoCredential, "this wallet holds no credential for poll \(poll): nothing to withdraw")
        }
        return try await submit(poll: poll, service: service, kind: "withdraw") { (_, _, _) async throws(ClientError) -> EntryPayload in .withdraw }
    }

    /// Gets the credential if needed, builds the payload, checks it against the poll
    /// locally, signs the entry with the one-time key, submits it, keeps and checks the receipt.
    func submit(
        poll: PollID, service url: String?, kind: String,
        payload make: (TrustedPoll, Credential, Wallet) async throws(ClientError) -> EntryPayload
    ) async throws(ClientError) -> Wallet.StoredReceipt {
        try await file.locked { () async throws(ClientError) in try await submitLocked(poll: poll, service: url, kind: kind, payload: make) }
    }

    private func submitLocked(
        poll: PollID, service url: String?, kind: String,
        payload make: (TrustedPoll, Credential, Wallet) async throws(ClientError) -> EntryPayload
    ) async throws(ClientError) -> Wallet.StoredReceipt {
        var wallet = try file.load()
        let trusted = try await trustedPoll(poll, service: try serviceURL(url, wallet: wallet, poll: poll), wallet: wallet)
        let credential: Credential
        if let held = wallet.record(poll)?.credential {
            credential = held
        } else {
            guard trusted.status == "open" else {
                throw ClientError(code: "poll.not_open", status: 0, reason: "the poll is \(trusted.status), not open")
            }
            credential = try await obtain(poll: poll, trusted: trusted, token: try session(wallet), wallet: &wallet).0
        }
        // An entry of an earlier run still without its receipt goes first (same bytes).
        if wallet.record(poll)?.pendingEntry != nil {
            _ = try await deliverPending(poll: poll, service: trusted.service, info: trusted.info, wallet: &wallet)
        }
        var record = wallet.record(poll)!
        let key = try oneTimeKey(&record)
        let payload = try await make(trusted, credential, wallet)
        try core { () throws(CoreError) in try payload.validate(for: trusted.definition) }
        let entry = try core { () throws(CoreError) in
            try Entry(pollID: poll, credential: credential, channel: .online, payload: payload, signingWith: key)
        }
        // Kept before it is sent: a lost answer is recovered by sending these bytes again.
        let bytes = entry.canonicalBytes
        record.pendingEntry = Wallet.PendingEntry(kind: kind, createdAt: now(), payload: payload, entry: Base64.encode(bytes),
                                                  digest: Hex.encode(SHA256.hash(bytes)))
        wallet.polls[poll.hex] = record
        try file.save(wallet)
        return try await deliverPending(poll: poll, service: trusted.service, info: trusted.info, wallet: &wallet)
    }
}
