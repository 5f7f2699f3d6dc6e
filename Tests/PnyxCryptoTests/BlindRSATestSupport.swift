import Testing
import PnyxCrypto

/// A RandomSource that hands out scripted chunks in order (each call must ask for exactly
/// the next chunk's length), then zeros.
final class BlindRSAScriptedRandom: RandomSource, @unchecked Sendable {
    private var chunks: [[UInt8]]

    init(_ chunks: [[UInt8]]) { self.chunks = chunks }

    func bytes(_ count: Int) -> [UInt8] {
        guard !chunks.isEmpty else { return [UInt8](repeating: 0, count: count) }
        let next = chunks.removeFirst()
        precondition(next.count == count, "scripted chunk of \(next.count) bytes, asked for \(count)")
        return next
    }
}

/// Expects `body` to throw a ``CryptoError`` with `code`.
func expectBlindRSAError(
    _ code: CryptoError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(code.rawValue), nothing thrown", sourceLocation: sourceLocation)
    } catch let error as CryptoError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected CryptoError \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
}
