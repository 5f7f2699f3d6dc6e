import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child OS process (the `pnyx` broker or service) with its output in a log file, that
/// the harness can SIGKILL at any moment and start again with the same command.
public final class ManagedProcess: @unchecked Sendable {
    /// What the process is (for messages), e.g. `service A`.
    public let name: String
    let executable: String
    let arguments: [String]
    let environment: [String: String]
    let logPath: String
    private let lock = NSLock()
    private var process: Process?
    private var starts = 0

    init(name: String, executable: String, arguments: [String], environment: [String: String], logPath: String) {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.logPath = logPath
    }

    /// Starts the process (its output is appended to the log file).
    func start() throws {
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        let child = Process()
        child.executableURL = URL(fileURLWithPath: executable)
        child.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        child.environment = env
        child.standardOutput = log
        child.standardError = log
        child.standardInput = FileHandle.nullDevice
        try child.run()
        try? log.close()
        lock.withLock {
            process = child
            starts += 1
        }
    }

    /// The process id while it runs.
    var pid: Int32? { lock.withLock { process.flatMap { $0.isRunning ? $0.processIdentifier : nil } } }

    /// Sends `signal` and waits until the process has exited.
    func stop(signal: Int32 = SIGKILL) async {
        guard let child = lock.withLock({ process }) else { return }
        if child.isRunning { kill(child.processIdentifier, signal) }
        var waited = 0
        while child.isRunning {
            try? await Task.sleep(for: .milliseconds(20))
            waited += 20
            if waited > 15_000, signal != SIGKILL { kill(child.processIdentifier, SIGKILL) }
        }
        lock.withLock { process = nil }
    }

    /// The end of the log file (for failure messages).
    func logTail(lines: Int = 20) -> String {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "(no log)" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}

/// Runs a command to completion and returns its exit status and combined output.
func runCommand(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            do {
                let child = Process()
                child.executableURL = URL(fileURLWithPath: arguments[0])
                child.arguments = Array(arguments.dropFirst())
                var env = ProcessInfo.processInfo.environment
                env.merge(environment) { _, new in new }
                child.environment = env
                let pipe = Pipe()
                child.standardOutput = pipe
                child.standardError = pipe
                child.standardInput = FileHandle.nullDevice
                try child.run()
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                child.waitUntilExit()
                continuation.resume(returning: (child.terminationStatus, String(decoding: data, as: UTF8.self)))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
