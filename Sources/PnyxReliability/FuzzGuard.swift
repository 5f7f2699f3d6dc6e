import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The fuzzer's safety net: the current input is kept where a fatal-signal handler can
/// write it to a file (so a crash leaves its reproducer), and a watchdog thread ends the
/// process with status 3 when one input runs longer than the per-input guard (a hang).
enum FuzzGuard {
    nonisolated(unsafe) static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1 << 20)
    nonisolated(unsafe) static var length = 0
    nonisolated(unsafe) static var fd: Int32 = -1
    nonisolated(unsafe) static var startedAt: UInt64 = 0
    nonisolated(unsafe) static var label = UnsafeMutablePointer<CChar>.allocate(capacity: 64)
    nonisolated(unsafe) static var installed = false

    /// Installs the handlers; crash inputs go to `path`.
    static func install(crashFile path: String, guardSeconds: Double) {
        guard !installed else { return }
        installed = true
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        for signal in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            Glibc.signal(signal) { number in
                let message = "\nfuzz: fatal signal \(number) on a \(String(cString: FuzzGuard.label)) input; written to the crash file\n"
                _ = message.withCString { write(2, $0, strlen($0)) }
                if FuzzGuard.fd >= 0 { _ = write(FuzzGuard.fd, FuzzGuard.buffer, FuzzGuard.length) }
                Glibc.signal(number, SIG_DFL)
                raise(number)
            }
        }
        let limit = UInt64(guardSeconds * 1_000_000_000)
        Thread.detachNewThread {
            while true {
                usleep(200_000)
                let started = FuzzGuard.startedAt
                if started != 0, monotonicNanoseconds() &- started > limit {
                    let message = "\nfuzz: a \(String(cString: FuzzGuard.label)) input ran longer than the \(guardSeconds) s guard (hang); written to the crash file\n"
                    _ = message.withCString { write(2, $0, strlen($0)) }
                    if FuzzGuard.fd >= 0 { _ = write(FuzzGuard.fd, FuzzGuard.buffer, FuzzGuard.length) }
                    _exit(3)
                }
            }
        }
    }

    /// Marks the start of one input.
    static func begin(_ input: [UInt8], target: StaticString) {
        let count = min(input.count, 1 << 20)
        if count > 0 { input.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: count) } }
        length = count
        target.withUTF8Buffer { name in
            let n = min(name.count, 63)
            name.baseAddress!.withMemoryRebound(to: CChar.self, capacity: n) { label.update(from: $0, count: n) }
            label[n] = 0
        }
        startedAt = monotonicNanoseconds()
    }

    /// Marks the end of one input.
    static func end() { startedAt = 0 }

    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
