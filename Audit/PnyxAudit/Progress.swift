import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a long run reports how far it got.
public protocol ProgressReporter: Sendable {
    /// `done` of `total` units (entries) processed.
    func update(done: Int64, total: Int64)
    /// The run ended (clears a terminal bar).
    func finish()
}

/// Progress on standard error: a bar redrawn in place (`\r`) when standard error is a
/// terminal, otherwise a plain line every ``lineStep`` percent (for logs and CI).
public final class StandardErrorProgress: ProgressReporter, @unchecked Sendable {
    /// Percent between two plain lines.
    public let lineStep: Int
    /// What is counted ("entries").
    public let unit: String
    private let isTerminal: Bool
    private let lock = NSLock()
    private var lastPercent = -1
    private var lastDraw = Date.distantPast
    private var drawn = false

    /// A reporter; `isTerminal` defaults to `isatty(STDERR_FILENO)`.
    public init(unit: String = "entries", lineStep: Int = 10, isTerminal: Bool? = nil) {
        self.unit = unit
        self.lineStep = max(1, lineStep)
        self.isTerminal = isTerminal ?? (isatty(STDERR_FILENO) != 0)
    }

    public func update(done: Int64, total: Int64) {
        guard total > 0 else { return }
        let percent = Int(min(100, done * 100 / total))
        lock.lock()
        defer { lock.unlock() }
        if isTerminal {
            let now = Date()
            guard percent != lastPercent || now.timeIntervalSince(lastDraw) > 0.2 else { return }
            lastPercent = percent
            lastDraw = now
            let width = 30
            let filled = width * percent / 100
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r[\(bar)] \(percent)% \(done)/\(total) \(unit)")
            drawn = true
        } else {
            let step = percent / lineStep * lineStep
            guard step > lastPercent else { return }
            lastPercent = step
            write("progress: \(step)% (\(done)/\(total) \(unit))\n")
        }
    }

    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if isTerminal, drawn { write("\r\u{1B}[K") }
        drawn = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
