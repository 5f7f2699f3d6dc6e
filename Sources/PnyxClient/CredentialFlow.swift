public import PnyxCore
import PnyxCrypto

/// A poll whose definition and key directory verified: the definition is signed by the
/// service's key (the one `/v1/service` announces), names the broker this wallet pinned,
/// and the directory is that broker's, for this poll.
struct TrustedPoll: Sendable {
    let service: ServiceAPI
    let status: String
    let definition: PollDefinition
    let directory: KeyDirectory
    let info: ServiceAPI.Info
}

extension WalletClient {
    /// The outcome of `pnyx wallet credential`.
    public struct CredentialOutcome: Codable, Sendable {
        public let pollID: PollID
        public let title: String
        public let attributeClass: AttributeClass
        public let keyID: KeyID
        /// False when the wallet already held it (no request was sent).
        public let issuedNow: Bool
        /// True when the broker answered a repeated request (after a lost answer).
        public let retry: Bool

        enum CodingKeys: String, CodingKey { case pollID, title, attributeClass = "class", keyID, issuedNow, retry }
    }

    /// Obtains (or returns the held) credential for `poll`: fetches and verifies the poll and
    /// its key directory, asks the broker for the resident's class, makes a one-time key,
    /// blinds the credential message locally, saves the blinding state, sends the blinded
    /// message, finalizes and verifies the credential, saves it. After a lost answer, running
    /// it again resends the same blinded message and finalizes the broker's repeated answer.
    public func credential(poll: PollID, service url: String? = nil) async throws(ClientError) -> CredentialOutcome {
        try await file.locked { () async throws(ClientError) in try await credentialLocked(poll: poll, service: url) }
    }

    private func credentialLocked(poll: PollID, service url: String?) async throws(ClientError) -> CredentialOutcome {
        var wallet = try file.load()
        if let held = wallet.record(poll), let credential = held.credential {
            return CredentialOutcome(pollID: poll, title: held.title, attributeClass: credential.attributeClass,
                                     keyID: credential.keyID, issuedNow: false, retry: false)
        }
        let token = try session(wallet)
        let trusted = try await trustedPoll(poll, service: try serviceURL(url, wallet: wallet, poll: poll), wallet: wallet)
        let (credential, retry) = try await obtain(poll: poll, trusted: trusted, token: token, wallet: &wallet)
        return CredentialOutcome(pollID: poll, title: trusted.definition.title, attributeClass: credential.attributeClass,
                                 keyID: credential.keyID, issuedNow: true, retry: retry)
    }

    /// The credential flow proper, on a wallet already loaded; saves as it goes.
    func obtain(poll: PollID, trusted: TrustedPoll, token: String, wallet: inout Wallet) async throws(ClientError) -> (Credential, Bool) {
        let (pending, oneTime) = try await prepare(poll: poll, trusted: trusted, token: token, wallet: &wallet)
        let broker = try BrokerAPI(url: wallet.broker!.url, timeout: timeout)
        var record = wallet.record(poll)!
        let answer = try await broker.requestCredential(poll: poll, blindedMessage: try decode(pending.blindedMessage), token: token)
        let credential = try finalize(answer, pending: pending, oneTime: oneTime, poll: poll, trusted: trusted)
        record.credential = credential
        record.pending = nil
        wallet.polls[poll.hex] = record
        try file.save(wallet)
        return (credential, answer.retry)
    }

    /// Finalizes the broker's blind signature for the saved request.
    private func finalize(
        _ answer: BrokerAPI.BlindSignature, pending: Wallet.PendingCredential, oneTime: Ed25519.PrivateKey, poll: PollID,
        trusted: TrustedPoll
    ) throws(ClientError) -> Credential {
        let attributeClass = try core { () throws(CoreError) in try AttributeClass(text: pending.attributeClass) }
        guard answer.pollID == poll, answer.keyID == pending.keyID, answer.attributeClass == attributeClass,
              let entry = trusted.directory.entry(keyID: pending.keyID) else {
            throw ClientError(.untrusted, "the broker signed under another key or class than the one the request was blinded for")
        }
        let prefix = try decode(pending.prefix)
        let message = CredentialMessage(pollID: poll, attributeClass: attributeClass, oneTimeKey: oneTime.publicKey)
        let prepared = try core { () throws(CoreError) in try message.prepared(prefix: prefix) }
        let signature: [UInt8]
        do {
            signature = try BlindRSA.finalize(
                try decode(answer.blindSignature), preparedMessage: prepared, inverse: try decode(pending.inverse),
                publicKey: entry.publicKey, variant: trusted.directory.variant)
        } catch let error as ClientError { throw error } catch {
            throw ClientError(.untrusted, "the broker's blind signature does not finalize into a valid signature: \(error)")
        }
        let credential = Credential(attributeClass: attributeClass, keyID: entry.keyID, oneTimeKey: oneTime.publicKey,
                                    prefix: prefix, signature: signature)
        try core { () throws(CoreError) in try credential.verify(directory: trusted.directory, pollID: poll) }
        return credential
    }

    /// The blinding state of the poll's request, made and saved (before anything is sent)
    /// unless the wallet already holds one from an earlier attempt.
    func prepare(
        poll: PollID, trusted: TrustedPoll, token: String, wallet: inout Wallet
    ) async throws(ClientError) -> (Wallet.PendingCredential, Ed25519.PrivateKey) {
        let broker = try BrokerAPI(url: wallet.broker!.url, timeout: timeout)
        var record = wallet.record(poll) ?? Wallet.PollRecord(
            service: trusted.service.root, title: trusted.definition.title, kind: trusted.definition.kind)
        record.service = trusted.service.root
        record.serviceKey = Base64.encode(trusted.definition.serviceKey.rawRepresentation)
        wallet.service = trusted.service.root

        let oneTime = try oneTimeKey(&record)
        let pending: Wallet.PendingCredential
        if let saved = record.pending {
            pending = saved
        } else {
            let attributeClass = try await broker.attributeClass(poll: poll, token: token)
            guard let entry = trusted.directory.entry(for: attributeClass) else {
                throw ClientError(.untrusted, "the poll's key directory has no key for your class \(attributeClass)")
            }
            let message = CredentialMessage(pollID: poll, attributeClass: attributeClass, oneTimeKey: oneTime.publicKey)
            let prefix = SystemRandom().bytes(BlindRSA.prefixLength)
            let prepared = try core { () throws(CoreError) in try message.prepared(prefix: prefix) }
            let blinding: BlindRSA.BlindingResult
            do { blinding = try BlindRSA.blind(prepared, publicKey: entry.publicKey, variant: trusted.directory.variant) } catch {
                throw ClientError(.invalidInput, "blinding failed: \(error)")
            }
            pending = Wallet.PendingCredential(
                attributeClass: attributeClass.text, keyID: entry.keyID, prefix: Base64.encode(prefix),
                blindedMessage: Base64.encode(blinding.blindedMessage), inverse: Base64.encode(blinding.inverse))
            record.pending = pending
        }
        // Saved before sending: if the answer is lost, the next run resends the same message.
        wallet.polls[poll.hex] = record
        try file.save(wallet)
        return (pending, oneTime)
    }

    /// The poll's one-time key, made (and kept in the record) on first use.
    func oneTimeKey(_ record: inout Wallet.PollRecord) throws(ClientError) -> Ed25519.PrivateKey {
        if let seed = record.oneTimeKey {
            do { return try Ed25519.PrivateKey(seed: try Base64.decode(seed)) } catch {
                throw ClientError(.walletUnreadable, "the wallet's one-time key for this poll is damaged")
            }
        }
        let key = Ed25519.PrivateKey()
        record.oneTimeKey = Base64.encode(key.seed)
        return key
    }

    /// Fetches and verifies the poll, its directory and the service's identity.
    func trustedPoll(_ poll: PollID, service url: String, wallet: Wallet) async throws(ClientError) -> TrustedPoll {
        guard let binding = wallet.broker else {
            throw ClientError(.walletNotLoggedIn, "not enrolled: run `pnyx wallet enrol`")
        }
        let service = try ServiceAPI(url: url, timeout: timeout)
        let info = try await service.info()
        let view = try await service.poll(poll)
        let definition = view.definition.definition
        guard definition.pollID == poll, view.pollID == poll else {
            throw ClientError(.untrusted, "the service answered poll \(definition.pollID) for \(poll)")
        }
        do throws(CoreError) { try view.definition.verify() } catch {
            throw ClientError(.untrusted, "the poll definition's signature does not verify: \(error.reason)")
        }
        guard Base64.encode(definition.serviceKey.rawRepresentation) == info.publicKey else {
            throw ClientError(.untrusted, "the poll is signed by another key than the service's (/v1/service)")
        }
        if let pinned = wallet.record(poll)?.serviceKey, pinned != info.publicKey {
            throw ClientError(.untrusted, "the service's key changed since this wallet first saw the poll")
        }
        guard Base64.encode(definition.brokerKey.rawRepresentation) == binding.publicKey else {
            throw ClientError(.untrusted, "the poll trusts another broker than the one this wallet enrolled with (\(binding.url))")
        }
        let signed: SignedKeyDirectory
        do throws(ClientError) { signed = try await service.directory(poll) } catch let error where error.code == "log.not_found" {
            throw ClientError(code: "poll.not_published", status: error.status, reason: "the poll has no key directory yet (not published)")
        }
        do throws(CoreError) { try signed.verify(for: definition) } catch {
            throw ClientError(.untrusted, "the key directory is not the pinned broker's for this poll: \(error.reason)")
        }
        return TrustedPoll(service: service, status: view.status, definition: definition, directory: signed.directory, info: info)
    }

    func decode(_ base64: String) throws(ClientError) -> [UInt8] {
        do { return try Base64.decode(base64) } catch { throw ClientError(.badResponse, "not base64: \(base64.prefix(16))…") }
    }
}
