import PnyxCrypto
import Testing

@Suite("Argon2id password hashing")
struct Argon2idTests {
    let fast = Argon2id.Parameters.unsafeTestOnly

    @Test("Round trip: hash then verify")
    func roundTrip() throws {
        let hash = try Argon2id.hash(password: "correct horse battery staple", parameters: fast)
        #expect(hash.hasPrefix("$argon2id$v=19$"))
        try Argon2id.verify(password: "correct horse battery staple", hash: hash)
        try Argon2id.verify(password: Array("correct horse battery staple".utf8), hash: hash)
    }

    @Test("Salts are random: two hashes of one password differ")
    func randomSalt() throws {
        let a = try Argon2id.hash(password: "pw", parameters: fast)
        let b = try Argon2id.hash(password: "pw", parameters: fast)
        #expect(a != b)
    }

    @Test("A wrong password throws crypto.password_mismatch")
    func mismatch() throws {
        let hash = try Argon2id.hash(password: "secret", parameters: fast)
        #expect(throws: CryptoError(.passwordMismatch, "")) { try Argon2id.verify(password: "Secret", hash: hash) }
        #expect(throws: CryptoError(.passwordMismatch, "")) { try Argon2id.verify(password: "", hash: hash) }
    }

    @Test("Empty password round trips")
    func emptyPassword() throws {
        let hash = try Argon2id.hash(password: "", parameters: fast)
        try Argon2id.verify(password: "", hash: hash)
        #expect(throws: CryptoError(.passwordMismatch, "")) { try Argon2id.verify(password: "x", hash: hash) }
    }

    @Test("Malformed hash strings throw crypto.password_mismatch", arguments: [
        "", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$", String(repeating: "a", count: 200), "$argon2id\u{0}",
    ])
    func malformed(_ hash: String) {
        #expect(throws: CryptoError(.passwordMismatch, "")) { try Argon2id.verify(password: "pw", hash: hash) }
    }

    @Test("needsRehash compares the stored parameters")
    func needsRehash() throws {
        let hash = try Argon2id.hash(password: "pw", parameters: fast)
        #expect(!Argon2id.needsRehash(hash, parameters: fast))
        #expect(Argon2id.needsRehash(hash, parameters: .interactive))
        #expect(Argon2id.needsRehash("garbage", parameters: fast))
    }

    @Test("Parameters: presets and range checks")
    func parameters() throws {
        #expect(Argon2id.Parameters.interactive.opsLimit == 2)
        #expect(Argon2id.Parameters.interactive.memLimit == 64 << 20)
        #expect(fast.opsLimit == 1 && fast.memLimit == 8192)
        _ = try Argon2id.Parameters(opsLimit: 1, memLimit: 8192)
        #expect(throws: CryptoError(.unsupportedParameter, "")) { try Argon2id.Parameters(opsLimit: 0, memLimit: 8192) }
        #expect(throws: CryptoError(.unsupportedParameter, "")) { try Argon2id.Parameters(opsLimit: 1, memLimit: 1024) }
    }
}
