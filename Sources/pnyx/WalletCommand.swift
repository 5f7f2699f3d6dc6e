import ArgumentParser
import Foundation
import PnyxClient
import PnyxCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `pnyx wallet …`: the citizen's wallet. The commands parse their arguments and call
/// ``PnyxClient/WalletClient``; exit status 0 ok, 1 refused (by the server, or a check that
/// failed; the code and reason are printed), 2 server unreachable or a bad answer, 64 usage.
struct WalletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallet", abstract: "Take part as a citizen: enrol, obtain credentials, sign, vote, check receipts.",
        discussion: """
            The wallet file (default ~/.pnyx/wallet.json, or --wallet PATH, or PNYX_WALLET) holds your session, \
            one-time keys, credentials and receipts; it is created with mode 0600 and refused if others may read it. \
            Exit status: 0 ok, 1 refused (code and reason printed), 2 unreachable or bad answer, 64 usage.
            """,
        subcommands: [WalletEnrol.self, WalletLogin.self, WalletCredential.self, WalletPolls.self, WalletSign.self,
                      WalletVote.self, WalletWithdraw.self, WalletRetry.self, WalletReceipts.self, WalletCheck.self])
}

/// Options every wallet command takes.
struct WalletOptions: ParsableArguments {
    @Option(help: "The wallet file (default: PNYX_WALLET, then ~/.pnyx/wallet.json).")
    var wallet: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Option(help: "Seconds before a request to a server gives up.")
    var timeout: Double = 30

    var client: WalletClient { WalletClient(file: WalletFile.resolve(wallet), timeout: timeout) }

    /// Runs `body`; a ``ClientError`` is printed (text or JSON) and becomes the exit status.
    func run(_ body: () async throws(ClientError) -> Void) async throws {
        do { try await body() } catch {
            if json {
                printJSON(["error": ["code": error.code, "reason": error.reason]], to: .standardError)
            } else {
                FileHandle.standardError.write(Data("error: \(error.code): \(error.reason)\n".utf8))
            }
            throw ExitCode(error.exitCode)
        }
    }

    /// Prints `value` as pretty JSON.
    func printJSON(_ value: some Encodable, to handle: FileHandle = .standardOutput) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        if let data = try? encoder.encode(value) { handle.write(data + Data("\n".utf8)) }
    }
}

/// Where a passphrase comes from: a file (`--passphrase-file`), else standard input (asked
/// without echo on a terminal). Never from the command line, which other users can see.
struct PassphraseOptions: ParsableArguments {
    @Option(help: "Read the passphrase from this file (first line); default: standard input.")
    var passphraseFile: String?

    func read(confirm: Bool) throws(ClientError) -> String {
        if let passphraseFile {
            guard let text = try? String(contentsOfFile: passphraseFile, encoding: .utf8) else {
                throw ClientError(.invalidInput, "cannot read \(passphraseFile)")
            }
            return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        let first = try Self.line(prompt: "Passphrase: ")
        if confirm, isatty(STDIN_FILENO) == 1 {
            guard try Self.line(prompt: "Again: ") == first else { throw ClientError(.invalidInput, "the passphrases differ") }
        }
        return first
    }

    /// One line of standard input, without echo on a terminal.
    private static func line(prompt: String) throws(ClientError) -> String {
        let terminal = isatty(STDIN_FILENO) == 1
        var saved = termios()
        if terminal {
            FileHandle.standardError.write(Data(prompt.utf8))
            tcgetattr(STDIN_FILENO, &saved)
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &silent)
        }
        let text = readLine(strippingNewline: true)
        if terminal {
            tcsetattr(STDIN_FILENO, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let text, !text.isEmpty else { throw ClientError(.invalidInput, "no passphrase on standard input") }
        return text
    }
}

/// `--poll ID`, checked.
struct PollOption: ParsableArguments {
    @Option(help: "The poll id (32 hex digits).")
    var poll: String

    var id: PollID { get throws { try Self.parse(poll) } }

    func validate() throws { _ = try Self.parse(poll) }

    static func parse(_ text: String) throws -> PollID {
        guard let id = try? PollID(hex: text.lowercased()) else { throw ValidationError("--poll must be 32 hex digits") }
        return id
    }
}

extension Date {
    /// `2026-11-24 10:15 UTC`.
    var walletText: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: self)
    }
}
