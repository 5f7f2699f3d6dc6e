import Foundation

/// Timing helpers for benchmarks. Rates are measured over wall-clock time, on the same
/// machine and in the same run as the raw figures they are compared with.
enum Measure {
    /// Runs `body` repeatedly for about `seconds` on each of `threads` threads and returns
    /// the total operations per second. `body` receives the thread index.
    static func opsPerSecond(
        seconds: Double = 1.0, threads: Int = 1, _ body: @escaping @Sendable (Int) -> Void
    ) -> Double {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let start = DispatchTime.now().uptimeNanoseconds
        let deadline = start + UInt64(seconds * 1e9)
        nonisolated(unsafe) let shared = counts
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var n = 0
            repeat {
                body(thread)
                n += 1
            } while DispatchTime.now().uptimeNanoseconds < deadline
            shared[thread] = n
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(counts.reduce(0, +)) / elapsed
    }

    /// Wall-clock seconds taken by `body`.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Resident set size of this process in MiB (from /proc/self/statm).
    static func residentMegabytes() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return -1 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return -1 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}
