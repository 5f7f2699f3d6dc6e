import CSodium
import Foundation
import PnyxCrypto
import PnyxTransparency

/// libsodium benchmarks: our Ed25519 verify against raw `crypto_sign_verify_detached` on the
/// same key and message, on all cores, in the same run; plus context figures for signing,
/// signed notes, cosignatures and Argon2id.
enum SodiumBenchmarks {
    static func run(_ report: inout BenchReport) throws {
        precondition(sodium_init() >= 0, "sodium_init failed")
        let threads = ProcessInfo.processInfo.activeProcessorCount
        let key = try Ed25519.PrivateKey(seed: [UInt8](repeating: 7, count: 32))
        let publicKey = key.publicKey
        // A checkpoint-sized message (a cosigned checkpoint body is ~120 bytes).
        let message = Array("cosignature/v1\ntime 1700000000\nexample.com/log\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n".utf8)
        let signature = key.sign(message)
        precondition(publicKey.isValidSignature(signature, for: message))

        // Raw libsodium on private copies of the same bytes.
        let rawKey = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 32)
        let rawSignature = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64)
        let rawMessage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: message.count)
        defer { rawKey.deallocate(); rawSignature.deallocate(); rawMessage.deallocate() }
        _ = rawKey.initialize(from: publicKey.rawRepresentation)
        _ = rawSignature.initialize(from: signature)
        _ = rawMessage.initialize(from: message)
        nonisolated(unsafe) let pk = rawKey, sig = rawSignature, msg = rawMessage
        precondition(crypto_sign_verify_detached(sig.baseAddress!, msg.baseAddress, UInt64(msg.count), pk.baseAddress!) == 0)

        // Short interleaved rounds, alternating which side goes first, so both see the same
        // machine load (the cores are shared); the pair with the median ratio is reported.
        func measureRaw() -> Double {
            Measure.opsPerSecond(seconds: 0.4, threads: threads) { _ in
                let ok = crypto_sign_verify_detached(sig.baseAddress!, msg.baseAddress, UInt64(msg.count), pk.baseAddress!) == 0
                precondition(ok)
            }
        }
        func measureOurs() -> Double {
            Measure.opsPerSecond(seconds: 0.4, threads: threads) { _ in
                precondition(publicKey.isValidSignature(signature, for: message))
            }
        }
        var pairs: [(ours: Double, raw: Double)] = []
        for round in 0..<8 {
            if round % 2 == 0 {
                let raw = measureRaw()
                pairs.append((measureOurs(), raw))
            } else {
                let ours = measureOurs()
                pairs.append((ours, measureRaw()))
            }
        }
        pairs.sort { $0.ours / $0.raw < $1.ours / $1.raw }
        let median = pairs[pairs.count / 2]
        report.record("crypto.ed25519_verify_ops", median.ours, unit: "ops/s")
        report.record("crypto.ed25519_verify_raw_ops", median.raw, unit: "ops/s")
        report.record("crypto.ed25519_verify_ratio", median.ours / median.raw, unit: "×", atLeast: 0.9)

        // Context: signing, whole signed-note verification, cosignature verification (all cores).
        let sign = Measure.opsPerSecond(seconds: 0.5, threads: threads) { _ in _ = key.sign(message) }
        report.record("crypto.ed25519_sign_ops", sign, unit: "ops/s")

        let logSigner = try NoteSigner(name: "example.com/log", privateKey: key)
        let checkpoint = try Checkpoint(origin: "example.com/log", size: 20852163, rootHash: SHA256.hash(message))
        let witness = try Cosigner(name: "witness.example.com/w1", privateKey: Ed25519.PrivateKey(seed: [UInt8](repeating: 8, count: 32)))
        let note = try witness.cosign(logSigner.sign(checkpoint.note()), timestamp: 1_700_000_000)
        let serialized = try note.serialized()
        let logOnly = try NoteVerifierSet([logSigner.verifier])
        let both = try NoteVerifierSet([logSigner.verifier, witness.verifier])
        let noteOps = Measure.opsPerSecond(seconds: 0.5, threads: threads) { _ in
            precondition((try? logOnly.open(serialized)) != nil)
        }
        report.record("crypto.note_open_verify_ops", noteOps, unit: "ops/s")
        let cosignedOps = Measure.opsPerSecond(seconds: 0.5, threads: threads) { _ in
            precondition((try? both.open(serialized)) != nil)
        }
        report.record("crypto.note_open_verify_log_and_witness_ops", cosignedOps, unit: "ops/s")

        // Context: one Argon2id hash and verify at the interactive preset (64 MiB, 2 passes).
        var hash = ""
        let hashSeconds = try Measure.seconds { hash = try Argon2id.hash(password: "benchmark password") }
        let verifySeconds = try Measure.seconds { try Argon2id.verify(password: "benchmark password", hash: hash) }
        report.record("crypto.argon2id_interactive_hash_ms", hashSeconds * 1000, unit: "ms")
        report.record("crypto.argon2id_interactive_verify_ms", verifySeconds * 1000, unit: "ms")
    }
}
