@testable import PnyxBroker
import PnyxCore
import Testing

@Suite("k-anonymity class assignment")
struct ClassAssignmentTests {
    let hierarchy = AreaHierarchy(try! RegisterCSV.parseAreas(BrokerHarness.areasCSV))
    let reference = CivilDate("2025-01-01")!

    func residents(_ people: [(String, String, Int)]) -> [Resident] {
        people.map { Resident(residentID: $0.0, givenName: "A", familyName: "B", birthDate: CivilDate(year: 2024 - $0.2, month: 6, day: 15)!, areaCode: $0.1) }
    }

    func cls(_ text: String) -> AttributeClass { try! AttributeClass(text: text) }

    @Test func largeClassesStay() {
        let people = (0..<6).map { ("a\($0)", "C1-1", 30) } + (0..<6).map { ("b\($0)", "C2-1", 30) }
        let a = ClassAssignment(residents: residents(people), hierarchy: hierarchy,
                                eligibility: Eligibility(referenceDate: reference), disclosure: Disclosure(areaLevel: .commune, ageBands: true), k: 5)
        #expect(a.counts == [cls("area=C1;age=25-34"): 6, cls("area=C2;age=25-34"): 6])
    }

    @Test func smallAreaMergesOneLevelUpThenBandDropsThenStar() {
        // District level: C1-1 has 5, C1-2 has 2 → C1-2 moves to C1; C2-1 has 1 → C2 → A → D → (D, no band) → *.
        let people = (0..<5).map { ("a\($0)", "C1-1", 30) } + (0..<2).map { ("b\($0)", "C1-2", 30) } + [("c0", "C2-1", 30)]
        let a = ClassAssignment(residents: residents(people), hierarchy: hierarchy,
                                eligibility: Eligibility(referenceDate: reference), disclosure: Disclosure(areaLevel: .district, ageBands: true), k: 2)
        #expect(a.classes["b0"] == cls("area=C1-2;age=25-34"))
        #expect(a.classes["c0"] == .anonymous)
        #expect(a.counts[.anonymous] == 1)

        let k3 = ClassAssignment(residents: residents(people), hierarchy: hierarchy,
                                 eligibility: Eligibility(referenceDate: reference), disclosure: Disclosure(areaLevel: .district, ageBands: true), k: 3)
        #expect(k3.classes["a0"] == cls("area=C1-1;age=25-34"))
        // C1-2's two residents go to C1 (still 2 < 3), then to A, where C2-1's resident joins them (3).
        #expect(k3.classes["b0"] == cls("area=A;age=25-34"))
        #expect(k3.classes["c0"] == cls("area=A;age=25-34"))
        #expect(k3.counts[cls("area=A;age=25-34")] == 3)
    }

    @Test func bandIsDroppedAtTheTop() {
        let people = [("a", "C1-1", 30), ("b", "C1-1", 40), ("c", "C1-1", 70)]
        let a = ClassAssignment(residents: residents(people), hierarchy: hierarchy,
                                eligibility: Eligibility(referenceDate: reference), disclosure: Disclosure(areaLevel: .commune, ageBands: true), k: 3)
        #expect(Set(a.classes.values) == [cls("area=D")])
    }

    @Test func eligibilityByAreaAndAge() {
        let people = [("young", "C1-1", 17), ("old", "C1-1", 40), ("away", "C2-1", 40)]
        let a = ClassAssignment(residents: residents(people), hierarchy: hierarchy,
                                eligibility: Eligibility(areaScope: ["C1"], minimumAge: 18, referenceDate: reference),
                                disclosure: Disclosure(areaLevel: .none, ageBands: false), k: 1)
        #expect(Array(a.classes.keys) == ["old"])
        #expect(a.classes["old"] == .anonymous)
    }
}
