public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wallet's file: JSON, created with mode 0600 in a 0700 folder, replaced atomically
/// (a new file written, flushed and renamed over the old one, then the folder flushed) so a
/// crash leaves either the old or the new wallet, never half of one.
///
/// The wallet refuses to open a file that group or others may read or write, or that
/// another user owns (`wallet.insecure_file`).
public struct WalletFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// `--wallet`, else `PNYX_WALLET`, else `~/.pnyx/wallet.json`.
    public static func resolve(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> WalletFile {
        if let option, !option.isEmpty { return WalletFile(path: option) }
        if let path = environment["PNYX_WALLET"], !path.isEmpty { return WalletFile(path: path) }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return WalletFile(path: home + "/.pnyx/wallet.json")
    }

    /// Whether the file exists.
    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Reads the wallet (`wallet.unreadable` when there is none; `wallet.insecure_file`).
    public func load() throws(ClientError) -> Wallet {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ClientError(.walletUnreadable, "no wallet at \(path): run `pnyx wallet enrol` first, or give --wallet PATH")
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw ClientError(.walletInsecure, "\(path) has mode \(mode): group or others may read it, and it holds your secret keys; "
                + "run `chmod 600 \(path)` if only you ever had access, else start a new wallet")
        }
        guard info.st_uid == getuid() else {
            throw ClientError(.walletInsecure, "\(path) belongs to another user")
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ClientError(.walletUnreadable, "cannot read \(path): \(error.localizedDescription)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(Wallet.self, from: data)
        } catch {
            throw ClientError(.walletUnreadable, "\(path) is not a Pnyx wallet: \(error)")
        }
    }

    /// The wallet, or a new empty one when the file does not exist yet.
    public func loadOrNew() throws(ClientError) -> Wallet {
        exists ? try load() : Wallet()
    }

    /// Runs `body` holding an exclusive lock on `<path>.lock`, so that two commands never
    /// interleave their reads and writes of the wallet (`wallet.busy` while another holds it).
    public func locked<T>(_ body: () async throws(ClientError) -> T) async throws(ClientError) -> T {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw ClientError(.walletUnwritable, "cannot create \(folder): \(error.localizedDescription)")
        }
        let lock = try WalletLock(path: path + ".lock")
        defer { lock.release() }
        return try await body()
    }

    /// Writes `wallet` atomically with mode 0600 (the folder is created with mode 0700).
    public func save(_ wallet: Wallet) throws(ClientError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data: Data
        do { data = try encoder.encode(wallet) } catch {
            throw ClientError(.walletUnwritable, "cannot encode the wallet: \(error)")
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw ClientError(.walletUnwritable, "cannot create \(folder): \(error.localizedDescription)")
        }
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw ClientError(.walletUnwritable, "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var ok = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 { if errno == EINTR { continue }; return false }
                offset += written
            }
            return true
        }
        ok = ok && fchmod(fd, 0o600) == 0 && fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            let why = ok ? String(cString: strerror(errno)) : reason
            unlink(temporary)
            throw ClientError(.walletUnwritable, "cannot write \(path): \(why)")
        }
        let folderFD = open(folder, O_RDONLY)
        if folderFD >= 0 { _ = fsync(folderFD); close(folderFD) }
    }
}

/// The exclusive lock of ``WalletFile/locked(_:)``: `flock` on `<wallet>.lock`, taken without
/// waiting (`wallet.busy` when another command holds it).
///
/// The lock belongs to the open file description, which a process spawned while it is held
/// shares until its `exec` (or, without `O_CLOEXEC`, until it exits): closing our descriptor
/// alone would leave the lock held by that copy, and the next command would find the wallet
/// busy. So the descriptor is opened `O_CLOEXEC` and the lock is released with `LOCK_UN`
/// (which frees it for every copy) before the descriptor is closed.
struct WalletLock {
    let fd: Int32

    /// Takes the lock on `path` (created with mode 0600). Throws `wallet.unwritable` or `wallet.busy`.
    init(path: String) throws(ClientError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ClientError(.walletUnwritable, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            let wallet = path.hasSuffix(".lock") ? String(path.dropLast(5)) : path
            throw ClientError(.walletBusy, "another pnyx wallet command is using \(wallet); retry when it has finished")
        }
        self.fd = fd
    }

    /// Releases the lock for every copy of the descriptor, then closes ours.
    func release() {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
