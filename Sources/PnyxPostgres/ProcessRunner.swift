import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs external programs (initdb, pg_ctl) synchronously with `posix_spawn`, optionally as an
/// unprivileged system user, capturing stdout and stderr into a file. Safe to use from `atexit`.
enum ProcessRunner {
    struct Outcome {
        var status: Int32
        var output: String
    }

    /// The argv prefix to run a command as `user` (when we are root), or [] when no switch is needed.
    static func switchUserPrefix(_ user: String?) -> [String] {
        guard let user else { return [] }
        for path in ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return [path, "-u", user, "--"]
        }
        return []  // handled by run(): falls back to su -c
    }

    /// Runs `arguments` (absolute path first) in `directory`, as `user` when given.
    static func run(_ arguments: [String], as user: String? = nil, in directory: String) throws -> Outcome {
        var argv = arguments
        if let user {
            let prefix = switchUserPrefix(user)
            if prefix.isEmpty {
                let command = arguments.map(shellQuote).joined(separator: " ")
                argv = ["/bin/su", "-s", "/bin/sh", user, "-c", command]
            } else {
                argv = prefix + arguments
            }
        }
        var template = Array((NSTemporaryDirectory() + "/pnyx-cmd-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw PostgresError(.clusterFailed, "cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        let outputPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer {
            close(fd)
            unlink(outputPath)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fd, 1)
        posix_spawn_file_actions_adddup2(&actions, fd, 2)
        // Don't leak our descriptors (sockets, test-harness pipes) into a long-lived postmaster.
        if let closeFrom = GNUSpawn.addCloseFrom { _ = closeFrom(&actions, 3) }
        if let addChdir = GNUSpawn.addChdir {
            _ = addChdir(&actions, directory)
        } else {
            argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory] + argv
        }

        let environment = ProcessInfo.processInfo.environment
            .filter { !$0.key.hasPrefix("PG") }
            .map { "\($0.key)=\($0.value)" }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawnStatus = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
        guard spawnStatus == 0 else {
            throw PostgresError(
                .clusterFailed, "cannot run \(argv[0]): \(String(cString: strerror(spawnStatus)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                throw PostgresError(.clusterFailed, "waitpid failed: \(String(cString: strerror(errno)))")
            }
        }
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Outcome(status: code, output: output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func shellQuote(_ s: String) -> String {
        "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` / `addchdir_np`, looked up at run time
/// (the Glibc module does not export these GNU extensions).
private enum GNUSpawn {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias Chdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let addCloseFrom: CloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let addChdir: Chdir? = symbol("posix_spawn_file_actions_addchdir_np")

    static func symbol<F>(_ name: String) -> F? {
        guard let handle = dlopen(nil, RTLD_NOW), let p = dlsym(handle, name) else { return nil }
        return unsafeBitCast(p, to: F.self)
    }
}

/// Runs blocking work on a fresh thread (not the cooperative pool) and awaits its result.
func onDedicatedThread<T: Sendable>(
    name: String, _ body: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.name = name
        thread.start()
    }
}
