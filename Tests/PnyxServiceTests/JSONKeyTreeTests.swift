import Foundation
@testable import PnyxHTTP
import Testing

/// The strict request check's key scanner (``PnyxHTTP/JSONKeyTree``), beyond the end-to-end
/// unknown-field refusals in ``RefusalTests``.
@Suite("JSON key trees for the unknown-field check")
struct JSONKeyTreeTests {
    static func tree(_ text: String) -> JSONKeyTree? { JSONKeyTree(parsing: Data(text.utf8)) }

    @Test("escaped keys, nulls, nested arrays: known keys pass, an unknown one is named by its path")
    func unknownKeys() throws {
        let known = try #require(Self.tree(#"{"abc": 1, "n": {"k": [1, {"z": false}]}, "s": "x"}"#))
        let same = try #require(Self.tree(#" { "a\u0062c" : 2 , "x" : null, "n": {"k": [7, {"z": true}]}, "s": "\"}{[" } "#))
        #expect(same.firstUnknownKey(knownFrom: known) == nil)
        let nested = try #require(Self.tree(#"{"abc": 1, "n": {"k": [1, {"z": true, "y": 0}]}}"#))
        #expect(nested.firstUnknownKey(knownFrom: known) == "n.k.1.y")
        let top = try #require(Self.tree(#"{"zz": [], "abc": 1, "comment": "x"}"#))
        #expect(top.firstUnknownKey(knownFrom: known) == "comment")
        let quoted = try #require(Self.tree(#"{"q\"k\\": 1, "\ud83d\ude00": 2}"#))
        #expect(quoted == .object(["q\"k\\": .scalar, "😀": .scalar]))
        #expect(Self.tree("12.5e3") == .scalar && Self.tree("null") == .null && Self.tree(#"  "s"  "#) == .scalar)
    }

    struct Inner: Codable { var k: [Int]; var note: String? }
    enum Choice: Codable { case one(a: Int), two(b: Inner, c: [String]), none }
    struct Sample: Codable {
        var name: String
        var inner: Inner
        var list: [Inner]
        var absent: Int?
        var choices: [Choice]
        var map: [String: Inner]
        var flag: Bool
        var amount: Double
    }

    @Test("the key tree encoder gives the tree of what JSONEncoder writes")
    func encoderMatchesJSON() throws {
        let samples = [
            Sample(name: "x", inner: Inner(k: [1, 2], note: nil), list: [Inner(k: [], note: "n"), Inner(k: [3], note: nil)],
                   absent: nil, choices: [.one(a: 1), .two(b: Inner(k: [4], note: "m"), c: ["p"]), .none],
                   map: ["a": Inner(k: [], note: nil), "b\"c": Inner(k: [5], note: "q")], flag: true, amount: 1.5),
            Sample(name: "", inner: Inner(k: [], note: ""), list: [], absent: 7, choices: [], map: [:], flag: false, amount: 0),
        ]
        for sample in samples {
            let viaJSON = try #require(JSONKeyTree(parsing: JSONEncoder().encode(sample)))
            #expect(try KeyTreeEncoder.tree(of: sample) == viaJSON)
        }
    }

    @Test("malformed documents give no tree", arguments: [
        #"{"a":}"#, #"{"a":1"#, "[1,]", #"{"a" 1}"#, #"{"a":1}}"#, #""open"#, "", #"{"a":1,}"#, #"{a:1}"#,
    ])
    func malformed(text: String) {
        #expect(Self.tree(text) == nil)
    }
}
