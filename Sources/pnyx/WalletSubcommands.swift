import ArgumentParser
import Foundation
import PnyxClient
import PnyxCore

/// `pnyx wallet enrol`.
struct WalletEnrol: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enrol", abstract: "Enrol with the one-time code from your letter, choose a passphrase, log in.")
    @OptionGroup var options: WalletOptions
    @OptionGroup var passphrase: PassphraseOptions
    @Option(help: "The broker's URL.") var broker: String
    @Option(help: "The one-time enrolment code.") var code: String

    func run() async throws {
        try await options.run { () async throws(ClientError) in
            let secret = try passphrase.read(confirm: true)
            let login = try await options.client.enrol(broker: broker, code: code, passphrase: secret)
            if options.json { options.printJSON(login); return }
            print("Enrolled as \(login.residentID) at \(login.broker); logged in until \(login.expiresAt.walletText).")
            print("Wallet: \(options.client.file.path)")
        }
    }
}

/// `pnyx wallet login`.
struct WalletLogin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in again (sessions expire).")
    @OptionGroup var options: WalletOptions
    @OptionGroup var passphrase: PassphraseOptions
    @Option(help: "The broker's URL (only for a wallet that never enrolled).") var broker: String?
    @Option(help: "Your resident id (only for a wallet that never enrolled).") var resident: String?

    func run() async throws {
        try await options.run { () async throws(ClientError) in
            let secret = try passphrase.read(confirm: false)
            let login = try await options.client.login(passphrase: secret, broker: broker, residentID: resident)
            if options.json { options.printJSON(login); return }
            print("Logged in as \(login.residentID) at \(login.broker) until \(login.expiresAt.walletText).")
        }
    }
}

/// `pnyx wallet credential`.
struct WalletCredential: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credential",
        abstract: "Obtain your anonymous credential for a poll (blinded here: the broker never sees what it signs).")
    @OptionGroup var options: WalletOptions
    @OptionGroup var poll: PollOption
    @Option(help: "The service's URL (remembered).") var service: String?

    func run() async throws {
        let id = try poll.id
        try await options.run { () async throws(ClientError) in
            let outcome = try await options.client.credential(poll: id, service: service)
            if options.json { options.printJSON(outcome); return }
            let how = !outcome.issuedNow ? "already held" : outcome.retry ? "obtained (the broker repeated its earlier answer)" : "obtained"
            print("Credential for \"\(outcome.title)\" \(how): class \(outcome.attributeClass), key \(outcome.keyID.hex.prefix(16))….")
        }
    }
}

/// `pnyx wallet polls`.
struct WalletPolls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "polls", abstract: "List the service's polls (with the questions' option numbers for voting).")
    @OptionGroup var options: WalletOptions
    @Option(help: "The service's URL (remembered).") var service: String?

    func run() async throws {
        try await options.run { () async throws(ClientError) in
            let polls = try await options.client.polls(service: service)
            if options.json { options.printJSON(polls); return }
            if polls.isEmpty { print("No published polls."); return }
            for poll in polls {
                let closes = Date(timeIntervalSince1970: TimeInterval(poll.closesAt)).walletText
                var held = poll.hasCredential ? "  [credential held" : ""
                if poll.receipts > 0 { held += held.isEmpty ? "  [\(poll.receipts) receipt(s)" : ", \(poll.receipts) receipt(s)" }
                if !held.isEmpty { held += "]" }
                print("\(poll.pollID.hex)  \(poll.kind.name)  \(poll.status)  until \(closes)  \(poll.title)\(held)")
                for question in poll.questions {
                    let limit = question.kind == .multiple ? " (up to \(question.maxChoices))" : ""
                    print("    question \(question.id) [\(question.kind.name)\(limit)]: \(question.text)")
                    for (index, option) in question.options.enumerated() { print("        \(index)  \(option)") }
                }
            }
        }
    }
}

/// `pnyx wallet sign`.
struct WalletSign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sign", abstract: "Sign a petition.")
    @OptionGroup var options: WalletOptions
    @OptionGroup var poll: PollOption
    @Option(help: "The service's URL (remembered).") var service: String?
    @Flag(help: "Show your partial name (\"Given F.\", attested by the broker) if the petition allows it.") var showName = false

    func run() async throws {
        let id = try poll.id
        try await options.run { () async throws(ClientError) in
            let stored = try await options.client.sign(poll: id, service: service, showName: showName)
            printReceipt(stored, options: options, done: "Signed")
        }
    }
}

/// `pnyx wallet vote`.
struct WalletVote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vote", abstract: "Vote in a consultation, or change your vote (the latest counts).",
        discussion: "Answers are QUESTION=OPTION[,OPTION…] with the numbers `pnyx wallet polls` shows: --answers 1=0 2=0,2 3=")
    @OptionGroup var options: WalletOptions
    @OptionGroup var poll: PollOption
    @Option(help: "The service's URL (remembered).") var service: String?
    @Option(parsing: .upToNextOption, help: "One QUESTION=OPTION[,OPTION…] per question.") var answers: [String]

    func run() async throws {
        let id = try poll.id
        try await options.run { () async throws(ClientError) in
            let parsed = try AnswerParser.parse(answers)
            let stored = try await options.client.vote(poll: id, service: service, answers: parsed)
            printReceipt(stored, options: options, done: "Voted")
        }
    }
}

/// `pnyx wallet withdraw`.
struct WalletWithdraw: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "withdraw", abstract: "Withdraw your signature or vote.")
    @OptionGroup var options: WalletOptions
    @OptionGroup var poll: PollOption
    @Option(help: "The service's URL (remembered).") var service: String?

    func run() async throws {
        let id = try poll.id
        try await options.run { () async throws(ClientError) in
            let stored = try await options.client.withdraw(poll: id, service: service)
            printReceipt(stored, options: options, done: "Withdrawn")
        }
    }
}

/// `pnyx wallet retry`.
struct WalletRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Send again the entries whose answer was lost (same bytes), and keep their receipts.",
        discussion: "sign, vote and withdraw also send a pending entry of their poll first.")
    @OptionGroup var options: WalletOptions
    @Option(help: "Only this poll's pending entry.") var poll: String?

    func run() async throws {
        let id = try poll.map(PollOption.parse)
        try await options.run { () async throws(ClientError) in
            let delivered = try await options.client.retry(poll: id)
            if options.json { options.printJSON(delivered); return }
            if delivered.isEmpty { print("No pending entries."); return }
            for stored in delivered { printReceipt(stored, options: options, done: "Delivered (\(stored.kind))") }
        }
    }
}

/// Prints the pending entries (text mode).
private func printPending(_ pending: [WalletClient.PendingListing]) {
    for item in pending {
        print("\(item.pollID.hex)  pending  \(item.kind)  \(item.createdAt.walletText)  \(item.title)  "
              + "(sent without an answer: run `pnyx wallet retry`)")
    }
}

/// `pnyx wallet receipts`.
struct WalletReceipts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "receipts", abstract: "List the receipts in the wallet.")
    @OptionGroup var options: WalletOptions
    @Option(help: "Only this poll's receipts.") var poll: String?

    func run() async throws {
        let id = try poll.map(PollOption.parse)
        try await options.run { () async throws(ClientError) in
            let receipts = try options.client.receipts(poll: id)
            if options.json { options.printJSON(receipts); return }
            let pending = try options.client.pendingEntries(poll: id)
            if receipts.isEmpty && pending.isEmpty { print("No receipts."); return }
            for item in receipts {
                print("\(item.pollID.hex)  #\(item.position)  \(item.kind)\(item.counts ? " (counts)" : "")  \(item.receivedAt.walletText)  \(item.title)")
            }
            printPending(pending)
        }
    }
}

/// `pnyx wallet check`.
struct WalletCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check your receipts against the latest signed log: still included, log only appended to.")
    @OptionGroup var options: WalletOptions
    @Option(help: "Only this poll's receipts.") var poll: String?

    func run() async throws {
        let id = try poll.map(PollOption.parse)
        try await options.run { () async throws(ClientError) in
            let results = try await options.client.check(poll: id)
            if !options.json { printPending(try options.client.pendingEntries(poll: id)) }
            if options.json {
                options.printJSON(results)
            } else if results.isEmpty {
                print("No receipts to check.")
            } else {
                for result in results {
                    let head = "\(result.pollID.hex)  #\(result.position)  \(result.kind)"
                    if let failure = result.failure {
                        print("\(head)  FAILED  \(failure.code): \(failure.reason)")
                    } else {
                        print("\(head)  ok: in the log of \(result.latestSize) entries, which extends the receipt's \(result.receiptSize)")
                    }
                }
            }
            if let failed = results.first(where: { !$0.ok })?.failure { throw failed }
        }
    }
}

/// Prints a new receipt.
private func printReceipt(_ stored: Wallet.StoredReceipt, options: WalletOptions, done: String) {
    if options.json { options.printJSON(stored); return }
    var shown = ""
    if case .sign(let name?) = stored.payload { shown = " showing \"\(name.name)\"" }
    print("\(done)\(shown): entry #\(stored.receipt.position) of poll \(stored.receipt.pollID.hex), receipt kept in the wallet.")
    print("Entry hash \(stored.receipt.entryHash); check it any time with `pnyx wallet check --poll \(stored.receipt.pollID.hex)`.")
}
