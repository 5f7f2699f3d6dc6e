import PnyxCrypto
import PnyxTransparency
import Testing

@Suite("Checkpoints (c2sp.org/tlog-checkpoint)")
struct CheckpointTests {
    /// The example checkpoint body of c2sp.org/tlog-checkpoint.
    static let specBody = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    static let root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="

    @Test("The spec example parses and formats back byte for byte")
    func specExample() throws {
        let checkpoint = try Checkpoint(parsing: Self.specBody)
        #expect(checkpoint.origin == "example.com/behind-the-sofa")
        #expect(checkpoint.size == 20852163)
        #expect(checkpoint.rootHash == (try Base64.decode(Self.root)))
        #expect(checkpoint.extensionLines.isEmpty)
        #expect(checkpoint.text == Self.specBody)
    }

    @Test("The spec's signed checkpoint note parses; its body is a checkpoint")
    func specNote() throws {
        let note = try Note(parsing: Self.specBody
            + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n")
        #expect(try Checkpoint(note: note).size == 20852163)
    }

    @Test("Round trips: size 0, maximum size, extension lines")
    func roundTrips() throws {
        let root = [UInt8](repeating: 0xab, count: 32)
        for checkpoint in [
            try Checkpoint(origin: "o", size: 0, rootHash: root),
            try Checkpoint(origin: "example.com/log", size: UInt64.max, rootHash: root),
            try Checkpoint(origin: "example.com/log", size: 7, rootHash: root, extensionLines: ["ext one", "— two"]),
        ] {
            #expect(try Checkpoint(parsing: checkpoint.text) == checkpoint)
        }
        #expect(try Checkpoint(parsing: "o\n18446744073709551615\n\(Self.root)\n").size == UInt64.max)
    }

    @Test("Signed by a log key: note round trip")
    func signedCheckpoint() throws {
        let log = try NoteSigner.generate(name: "example.com/log")
        let checkpoint = try Checkpoint(origin: "example.com/log", size: 42, rootHash: SHA256.hash([1, 2, 3]))
        let note = log.sign(checkpoint.note())
        let opened = try NoteVerifierSet([log.verifier]).open(note.serialized())
        #expect(try Checkpoint(note: opened) == checkpoint)
    }

    @Test("Malformed checkpoint bodies: checkpoint.malformed", arguments: [
        "example.com/log\n020852163\n\(root)\n",        // leading zero
        "example.com/log\n00\n\(root)\n",               // leading zero on zero
        "example.com/log\n+5\n\(root)\n",               // sign
        "example.com/log\n-1\n\(root)\n",               // negative
        "example.com/log\n 5\n\(root)\n",               // space
        "example.com/log\n5 \n\(root)\n",               // trailing space
        "example.com/log\n\n\(root)\n",                 // empty size
        "example.com/log\n0x10\n\(root)\n",             // hex
        "example.com/log\n18446744073709551616\n\(root)\n", // 2^64
        "example.com/log\n99999999999999999999999\n\(root)\n",
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",   // unpadded
        "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",  // spare bits
        "example.com/log\n5\nAAAA\n",                   // 3-byte hash
        "example.com/log\n5\n\(Base64.encode([UInt8](repeating: 0, count: 33)))\n", // 33-byte hash
        "example.com/log\n5\n\(root)",                  // no final newline
        "example.com/log\n5\n",                         // missing root
        "example.com/log\n",                            // missing size and root
        "",                                             // empty
        "\n5\n\(root)\n",                               // empty origin
        "example.com/log\n5\n\(root)\n\n",              // empty extension line
        "example.com/log\n5\n\(root)\next\n\n",         // trailing blank line
        "example.com/log\r\n5\n\(root)\n",              // CR
        "example.com/\tlog\n5\n\(root)\n",              // tab
    ])
    func malformed(_ body: String) {
        expectTransparencyCode(.checkpointMalformed) { _ = try Checkpoint(parsing: body) }
    }

    @Test("Invalid construction: checkpoint.malformed")
    func invalidConstruction() {
        let root = [UInt8](repeating: 0, count: 32)
        expectTransparencyCode(.checkpointMalformed) { _ = try Checkpoint(origin: "", size: 1, rootHash: root) }
        expectTransparencyCode(.checkpointMalformed) { _ = try Checkpoint(origin: "a\nb", size: 1, rootHash: root) }
        expectTransparencyCode(.checkpointMalformed) { _ = try Checkpoint(origin: "a", size: 1, rootHash: Array(root.dropLast())) }
        expectTransparencyCode(.checkpointMalformed) { _ = try Checkpoint(origin: "a", size: 1, rootHash: root, extensionLines: [""]) }
        expectTransparencyCode(.checkpointMalformed) { _ = try Checkpoint(origin: "a", size: 1, rootHash: root, extensionLines: ["x\ny"]) }
    }
}
