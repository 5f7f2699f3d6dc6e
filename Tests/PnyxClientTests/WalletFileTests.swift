import Foundation
@testable import PnyxClient
import PnyxCore
import Testing

/// The wallet file: 0600, refused when others may read it, replaced atomically.
@Suite struct WalletFileTests {
    /// A fresh folder path (not created).
    private func folder() -> String { NSTemporaryDirectory() + "pnyx-wallet-file-" + UUID().uuidString }

    private func sample() -> Wallet {
        var wallet = Wallet()
        wallet.broker = Wallet.BrokerBinding(url: "http://127.0.0.1:1", residentID: "R1", publicKey: "AAAA")
        wallet.session = Wallet.StoredSession(token: "secret-token", expiresAt: Date(timeIntervalSince1970: 1_800_000_000))
        wallet.service = "http://127.0.0.1:2"
        return wallet
    }

    @Test func createdWithMode0600InA0700Folder() throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = WalletFile(path: dir + "/nested/wallet.json")
        try file.save(sample())
        #expect(try fileMode(file.path) == 0o600)
        #expect(try fileMode(dir + "/nested") == 0o700)
        #expect(try file.load() == sample())

        // Replaced, not rewritten in place: still 0600, nothing else left in the folder.
        var changed = sample()
        changed.service = "http://127.0.0.1:3"
        try file.save(changed)
        #expect(try file.load().service == "http://127.0.0.1:3")
        #expect(try fileMode(file.path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/nested") == ["wallet.json"])
    }

    @Test func aFileOthersMayReadIsRefused() throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = WalletFile(path: dir + "/wallet.json")
        try file.save(sample())
        for mode in [0o644, 0o640, 0o604, 0o660] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
            #expect(throws: ClientError.self) { try file.load() }
            do { _ = try file.load() } catch {
                #expect(error.code == "wallet.insecure_file")
                #expect(error.exitCode == 1)
                #expect(error.reason.contains(String(mode, radix: 8)))
            }
            #expect(throws: ClientError.self) { try WalletClient(file: file).receipts() }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        #expect(try file.load() == sample())
    }

    @Test func aMissingOrForeignFileIsUnreadable() throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = WalletFile(path: dir + "/wallet.json")
        do { _ = try file.load(); Issue.record("loaded a missing wallet") } catch { #expect(error.code == "wallet.unreadable") }
        #expect(try file.loadOrNew() == Wallet())
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: file.path, contents: Data("not json".utf8), attributes: [.posixPermissions: 0o600])
        do { _ = try file.load(); Issue.record("loaded garbage") } catch { #expect(error.code == "wallet.unreadable") }
    }

    @Test func twoCommandsNeverShareTheWalletAtOnce() async throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = WalletFile(path: dir + "/wallet.json")
        try file.save(sample())
        let wallet = WalletClient(file: file, timeout: 5)
        let busy = await clientError { () async throws(ClientError) in
            try await file.locked { () async throws(ClientError) in _ = try await wallet.check() }
        }
        #expect(busy?.code == "wallet.busy")
        #expect(busy?.exitCode == 1)
        // Released afterwards: the same command runs (no receipts: nothing to check, no network).
        #expect(try await wallet.check().isEmpty)
    }

    /// A process spawned while a command held the lock shares its open file description until
    /// its `exec`; once the command is done, the next one must not find the wallet busy. (A
    /// duplicate descriptor stands for the child's copy.)
    @Test func aCopyOfTheLockDescriptorDoesNotKeepTheWalletBusy() throws {
        let dir = folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/wallet.json.lock"
        let first = try WalletLock(path: path)
        let inherited = dup(first.fd)
        #expect(inherited >= 0)
        defer { close(inherited) }
        do { _ = try WalletLock(path: path); Issue.record("locked twice") } catch { #expect(error.code == "wallet.busy") }
        first.release()
        let next = try WalletLock(path: path)
        next.release()
    }

    @Test func thePathComesFromTheOptionThenTheEnvironmentThenHome() {
        #expect(WalletFile.resolve("/a/w.json", environment: ["PNYX_WALLET": "/b/w.json", "HOME": "/h"]).path == "/a/w.json")
        #expect(WalletFile.resolve(nil, environment: ["PNYX_WALLET": "/b/w.json", "HOME": "/h"]).path == "/b/w.json")
        #expect(WalletFile.resolve(nil, environment: ["HOME": "/h"]).path == "/h/.pnyx/wallet.json")
    }

    @Test func answersParse() throws {
        let answers = try AnswerParser.parse(["2=0,2", "1=1", "3="])
        #expect(answers == [Answer(questionID: 1, choices: [1]), Answer(questionID: 2, choices: [0, 2]),
                            Answer(questionID: 3, choices: [])])
        #expect(try AnswerParser.parse(["1=0 2=1"]).count == 2)
        for bad in [["1"], ["x=1"], ["1=a"], ["1=0", "1=1"], []] {
            do { _ = try AnswerParser.parse(bad); Issue.record("parsed \(bad)") } catch {
                #expect(error.code == "client.invalid_input")
                #expect(error.exitCode == 64)
            }
        }
    }
}
