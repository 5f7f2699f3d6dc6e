public import PnyxCore
public import PnyxCrypto

/// A poll as an administration (or a citizen proposing a petition) writes it: everything of
/// a ``PnyxCore/PollDefinition`` except what the service fills in (the poll id, the
/// service and broker keys).
///
/// JSON: `{"kind":"petition"|"consultation","title":…,"text":…,"opensAt":unix,"closesAt":unix,
/// "eligibility":{"areaScope":[…],"minimumAge":18,"referenceDate":"YYYY-MM-DD"},
/// "disclosure":{"areaLevel":"commune","ageBands":true},"allowPartialNames":false,
/// "questions":[{"id":1,"text":…,"kind":"single","maxChoices":1,"options":[…]}],
/// "thresholds":[{"kind":"absolute","count":100}]}` (the last three optional).
public struct PollDraft: Codable, Sendable, Hashable {
    public var kind: PollKind
    public var title: String
    public var text: String
    public var opensAt: Int64
    public var closesAt: Int64
    public var eligibility: Eligibility
    public var disclosure: Disclosure
    public var allowPartialNames: Bool?
    public var questions: [Question]?
    public var thresholds: [Threshold]?

    public init(kind: PollKind, title: String, text: String, opensAt: Int64, closesAt: Int64, eligibility: Eligibility,
                disclosure: Disclosure, allowPartialNames: Bool? = nil, questions: [Question]? = nil,
                thresholds: [Threshold]? = nil) {
        self.kind = kind
        self.title = title
        self.text = text
        self.opensAt = opensAt
        self.closesAt = closesAt
        self.eligibility = eligibility
        self.disclosure = disclosure
        self.allowPartialNames = allowPartialNames
        self.questions = questions
        self.thresholds = thresholds
    }

    /// The definition with `pollID` and the two keys; throws `poll.invalid` if it breaks a rule.
    public func definition(pollID: PollID, serviceKey: Ed25519.PublicKey, brokerKey: Ed25519.PublicKey) throws(CoreError) -> PollDefinition {
        let definition = PollDefinition(
            pollID: pollID, kind: kind, title: title, text: text, opensAt: opensAt, closesAt: closesAt,
            eligibility: eligibility, disclosure: disclosure, allowPartialNames: allowPartialNames ?? false,
            questions: questions ?? [], thresholds: thresholds ?? [], serviceKey: serviceKey, brokerKey: brokerKey)
        try definition.validate()
        return definition
    }
}
