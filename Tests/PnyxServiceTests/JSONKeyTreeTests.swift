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

    @Test("malformed documents give no tree", arguments: [
        #"{"a":}"#, #"{"a":1"#, "[1,]", #"{"a" 1}"#, #"{"a":1}}"#, #""open"#, "", #"{"a":1,}"#, #"{a:1}"#,
    ])
    func malformed(text: String) {
        #expect(Self.tree(text) == nil)
    }
}
