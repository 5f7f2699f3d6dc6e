import Foundation
public import Hummingbird

/// The language of a page: `?lang=fr|en` first, then the `Accept-Language` header, else English.
public enum WebLanguage: String, Sendable, CaseIterable {
    case en
    case fr

    /// The language a request asks for.
    public init(request: Request) {
        if let asked = request.uri.queryParameters.get("lang"), let language = WebLanguage(rawValue: String(asked)) {
            self = language
            return
        }
        self = WebLanguage(acceptLanguage: request.headers[.acceptLanguage] ?? "")
    }

    /// The first supported language of an `Accept-Language` value (quality factors respected).
    public init(acceptLanguage: String) {
        var best: (WebLanguage, Double)? = nil
        for part in acceptLanguage.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased() else { continue }
            let quality = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            let primary = String(tag.prefix { $0 != "-" })
            guard let language = WebLanguage(rawValue: primary), quality > (best?.1 ?? 0) else { continue }
            best = (language, quality)
        }
        self = best?.0 ?? .en
    }

    /// The page strings of this language.
    public var strings: [String: String] { self == .fr ? WebStrings.french : WebStrings.english }

    /// Readable sentences for the stable error codes of the APIs.
    public var errors: [String: String] { self == .fr ? WebErrorMessages.french : WebErrorMessages.english }

    /// One string (its key when missing, so a gap is visible and tests catch it).
    public func text(_ key: String) -> String { strings[key] ?? key }
}
