public import PnyxCore
public import PnyxService

/// The poll drafts of the integration tests: open an hour after the clock's now, close three
/// days after it, for residents 18 or older on 2025-01-01 (``TestRegister``'s adults).
public enum TestDrafts {
    /// 18 or older on 2025-01-01.
    public static var eligibility: Eligibility { Eligibility(minimumAge: 18, referenceDate: CivilDate("2025-01-01")!) }

    /// A single-choice and an approval question.
    public static let twoQuestions = [
        Question(id: 1, text: "Projet principal ?", kind: .single, options: ["Parc", "Piscine", "Pistes cyclables"]),
        Question(id: 2, text: "Lesquels approuvez-vous ?", kind: .approval, options: ["X", "Y", "Z"]),
    ]

    /// A petition.
    public static func petition(
        clock: TestClock, title: String = "Plus d'arbres", text: String, disclosure: Disclosure,
        allowPartialNames: Bool, thresholds: [Threshold]
    ) -> PollDraft {
        PollDraft(
            kind: .petition, title: title, text: text, opensAt: clock.unix + 3600, closesAt: clock.unix + 3 * 86_400,
            eligibility: eligibility, disclosure: disclosure, allowPartialNames: allowPartialNames, thresholds: thresholds)
    }

    /// "Budget participatif", disclosing communes, with `questions`; threshold: 3 participants.
    public static func consultation(clock: TestClock, questions: [Question] = twoQuestions) -> PollDraft {
        PollDraft(
            kind: .consultation, title: "Budget participatif", text: "Choisissez vos projets.",
            opensAt: clock.unix + 3600, closesAt: clock.unix + 3 * 86_400, eligibility: eligibility,
            disclosure: Disclosure(areaLevel: .commune, ageBands: false), questions: questions,
            thresholds: [.absolute(count: 3)])
    }
}
