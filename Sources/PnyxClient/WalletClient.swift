public import Foundation
public import PnyxCore
import PnyxCrypto

/// The citizen's wallet: each operation opens the wallet file, talks to the broker or the
/// service, and saves the file (atomically) before and after every step that a crash must
/// not lose. Credentials are obtained in ``credential(poll:service:)`` (CredentialFlow.swift),
/// entries made in ``sign(poll:service:showName:)`` and friends (EntryBuilder.swift), receipts
/// checked in ``check(poll:)`` (ReceiptCheck.swift).
public struct WalletClient: Sendable {
    public let file: WalletFile
    /// Seconds before an HTTP request gives up.
    public let timeout: TimeInterval
    let now: @Sendable () -> Date

    public init(file: WalletFile, timeout: TimeInterval = 30, now: @escaping @Sendable () -> Date = { Date() }) {
        self.file = file
        self.timeout = timeout
        self.now = now
    }

    /// The outcome of enrolment or login.
    public struct Login: Codable, Sendable {
        public let broker: String
        public let residentID: String
        public let expiresAt: Date
    }

    /// Enrols with a one-time code and a chosen passphrase, pins the broker's key and logs in.
    public func enrol(broker url: String, code: String, passphrase: String) async throws(ClientError) -> Login {
        try await file.locked { () async throws(ClientError) in try await enrolLocked(broker: url, code: code, passphrase: passphrase) }
    }

    private func enrolLocked(broker url: String, code: String, passphrase: String) async throws(ClientError) -> Login {
        var wallet = try file.loadOrNew()
        let broker = try BrokerAPI(url: url, timeout: timeout)
        let key = try await brokerKey(broker)
        if let bound = wallet.broker, bound.url == broker.root, bound.publicKey != key {
            throw ClientError(.untrusted, "the broker at \(broker.root) now answers another key than the one this wallet pinned")
        }
        let residentID = try await broker.enrol(code: code, passphrase: passphrase)
        wallet.broker = Wallet.BrokerBinding(url: broker.root, residentID: residentID, publicKey: key)
        wallet.session = nil
        try file.save(wallet)
        let login = try await broker.login(residentID: residentID, passphrase: passphrase)
        wallet.session = Wallet.StoredSession(token: login.token, expiresAt: login.expiresAt)
        try file.save(wallet)
        return Login(broker: broker.root, residentID: residentID, expiresAt: login.expiresAt)
    }

    /// Logs in with the passphrase. `broker` and `residentID` are needed only by a wallet
    /// that never enrolled (a new device).
    public func login(passphrase: String, broker url: String? = nil, residentID: String? = nil) async throws(ClientError) -> Login {
        try await file.locked { () async throws(ClientError) in
            try await loginLocked(passphrase: passphrase, broker: url, residentID: residentID)
        }
    }

    private func loginLocked(passphrase: String, broker url: String?, residentID: String?) async throws(ClientError) -> Login {
        var wallet = try file.loadOrNew()
        let target = url ?? wallet.broker?.url
        guard let target else {
            throw ClientError(.walletNotLoggedIn, "this wallet never enrolled: give --broker URL and --resident ID, or run `pnyx wallet enrol`")
        }
        let broker = try BrokerAPI(url: target, timeout: timeout)
        if wallet.broker?.url != broker.root || (residentID != nil && residentID != wallet.broker?.residentID) {
            guard let residentID else {
                throw ClientError(.invalidInput, "give --resident ID to log in at \(broker.root) for the first time")
            }
            let key = try await brokerKey(broker)
            wallet.broker = Wallet.BrokerBinding(url: broker.root, residentID: residentID, publicKey: key)
        }
        let resident = wallet.broker!.residentID
        let login = try await broker.login(residentID: resident, passphrase: passphrase)
        wallet.session = Wallet.StoredSession(token: login.token, expiresAt: login.expiresAt)
        try file.save(wallet)
        return Login(broker: broker.root, residentID: resident, expiresAt: login.expiresAt)
    }

    /// The broker's Ed25519 key (base64), checked to be one.
    private func brokerKey(_ broker: BrokerAPI) async throws(ClientError) -> String {
        let info = try await broker.info()
        guard let bytes = try? Base64.decode(info.publicKey), (try? Ed25519.PublicKey(rawRepresentation: bytes)) != nil else {
            throw ClientError(.badResponse, "the broker's /v1/broker key is not a base64 Ed25519 key")
        }
        return info.publicKey
    }

    // MARK: Polls and receipts

    /// A poll as `pnyx wallet polls` shows it.
    public struct PollListing: Codable, Sendable {
        public let pollID: PollID
        public let kind: PollKind
        public let status: String
        public let title: String
        public let opensAt: Int64
        public let closesAt: Int64
        /// Consultations: the questions, options numbered from 0.
        public let questions: [Question]
        public let allowPartialNames: Bool
        public let hasCredential: Bool
        public let receipts: Int
    }

    /// The service's published polls, with what the wallet holds for each.
    public func polls(service url: String? = nil) async throws(ClientError) -> [PollListing] {
        try await file.locked { () async throws(ClientError) in try await pollsLocked(service: url) }
    }

    private func pollsLocked(service url: String?) async throws(ClientError) -> [PollListing] {
        var wallet = try file.loadOrNew()
        let service = try ServiceAPI(url: try serviceURL(url, wallet: wallet, poll: nil), timeout: timeout)
        let polls = try await service.polls()
        if url != nil, file.exists || wallet.broker != nil {
            wallet.service = service.root
            try file.save(wallet)
        }
        return polls.map { poll in
            let record = wallet.record(poll.pollID)
            return PollListing(
                pollID: poll.pollID, kind: poll.kind, status: poll.status, title: poll.title, opensAt: poll.opensAt,
                closesAt: poll.closesAt, questions: poll.definition.definition.questions,
                allowPartialNames: poll.definition.definition.allowPartialNames,
                hasCredential: record?.credential != nil, receipts: record?.receipts.count ?? 0)
        }
    }

    /// A receipt as `pnyx wallet receipts` lists it.
    public struct ReceiptListing: Codable, Sendable {
        public let pollID: PollID
        public let title: String
        public let kind: String
        public let receivedAt: Date
        public let position: UInt64
        public let entryHash: String
        public let payload: EntryPayload
        /// The latest entry of the credential: the one that counts.
        public let counts: Bool
        public let receipt: Receipt
    }

    /// Every receipt in the wallet (no network), oldest first per poll.
    public func receipts(poll: PollID? = nil) throws(ClientError) -> [ReceiptListing] {
        let wallet = try file.load()
        var out: [ReceiptListing] = []
        for (_, record) in wallet.polls.sorted(by: { $0.key < $1.key }) {
            for (index, stored) in record.receipts.enumerated() where poll == nil || stored.receipt.pollID == poll {
                out.append(ReceiptListing(
                    pollID: stored.receipt.pollID, title: record.title, kind: stored.kind, receivedAt: stored.receivedAt,
                    position: stored.receipt.position, entryHash: stored.receipt.entryHash, payload: stored.payload,
                    counts: index == record.receipts.count - 1, receipt: stored.receipt))
            }
        }
        return out
    }

    // MARK: Helpers

    /// The service URL: the option, else the poll's, else the wallet's default.
    func serviceURL(_ option: String?, wallet: Wallet, poll: PollID?) throws(ClientError) -> String {
        if let option { return option }
        if let poll, let known = wallet.record(poll)?.service { return known }
        if let known = wallet.service { return known }
        throw ClientError(.walletNoService, "give --service URL (the wallet remembers it afterwards)")
    }

    /// The session token, or why there is none.
    func session(_ wallet: Wallet) throws(ClientError) -> String {
        guard wallet.broker != nil, let session = wallet.session else {
            throw ClientError(.walletNotLoggedIn, "not logged in: run `pnyx wallet login` (or `enrol` with your code)")
        }
        guard session.expiresAt > now() else {
            throw ClientError(.walletSessionExpired, "the session expired at \(session.expiresAt): run `pnyx wallet login`")
        }
        return session.token
    }
}

/// Runs a step whose errors are ``PnyxCore/CoreError``s: they keep their code.
func core<T>(_ body: () throws(CoreError) -> T) throws(ClientError) -> T {
    do throws(CoreError) { return try body() } catch { throw ClientError(code: error.code.rawValue, status: 0, reason: error.reason) }
}
