public import PnyxCore

/// Which residents are eligible for a poll and which attribute class each one gets, with
/// k-anonymity merging. Pure: no database, no clock.
///
/// 1. **Eligible**: active residents inside one of the poll's scope areas (all when the scope
///    is empty) whose age in full years at the reference date is at least the minimum age.
/// 2. **Initial class**: `area` = the resident's district walked up to the disclosed area
///    level (absent when the level is `none`); `age` = the age band at the reference date
///    when age bands are disclosed (`16-17` is the youngest band: polls admit from 16 at most).
/// 3. **Merging**, repeated until every class other than `*` has at least k members: every
///    member of a class with fewer than k members moves one rung up its ladder —
///    (a) its area one level up (district → commune → agglomeration → département), keeping
///    the age band; (b) once the area is a département (or absent), the age band is
///    dropped; (c) then `*` (nothing disclosed). Members of a class move together, so
///    merged classes only grow. `*` may stay under k when fewer than k residents are
///    eligible at all, or when only a few are left over; it discloses nothing but eligibility.
public struct ClassAssignment: Sendable {
    /// The class of every eligible resident, by resident id.
    public let classes: [String: AttributeClass]
    /// Eligible residents per class.
    public let counts: [AttributeClass: Int]

    /// Computes the assignment.
    public init(
        residents: [Resident], hierarchy: AreaHierarchy, eligibility: Eligibility, disclosure: Disclosure, k: Int
    ) {
        let reference = eligibility.referenceDate
        let scope = eligibility.areaScope
        var classes: [String: AttributeClass] = [:]
        for resident in residents {
            let age = reference.age(bornOn: resident.birthDate)
            guard age >= Int(eligibility.minimumAge) else { continue }
            guard scope.isEmpty || scope.contains(where: { hierarchy.isInside(resident.areaCode, $0) }) else { continue }
            let area = disclosure.areaLevel == .none ? nil : hierarchy.ancestor(of: resident.areaCode, at: disclosure.areaLevel)
            let band = disclosure.ageBands ? AgeBand(age: age) : nil
            // Area codes in the register are validated on import.
            classes[resident.residentID] = (try? AttributeClass(areaCode: area, ageBand: band)) ?? .anonymous
        }
        var counts = Self.count(classes)
        while true {
            let small = Set(counts.filter { $0.value < k && $0.key != .anonymous }.map(\.key))
            if small.isEmpty { break }
            for (id, current) in classes where small.contains(current) {
                classes[id] = Self.coarser(current, hierarchy: hierarchy)
            }
            counts = Self.count(classes)
        }
        self.classes = classes
        self.counts = counts
    }

    /// One rung up: the parent area (same band); else drop the band; else `*`.
    public static func coarser(_ value: AttributeClass, hierarchy: AreaHierarchy) -> AttributeClass {
        if let area = value.areaCode, let parent = hierarchy.areas[area]?.parentCode {
            return (try? AttributeClass(areaCode: parent, ageBand: value.ageBand)) ?? .anonymous
        }
        if value.ageBand != nil {
            return (try? AttributeClass(areaCode: value.areaCode, ageBand: nil)) ?? .anonymous
        }
        return .anonymous
    }

    static func count(_ classes: [String: AttributeClass]) -> [AttributeClass: Int] {
        var counts: [AttributeClass: Int] = [:]
        for value in classes.values { counts[value, default: 0] += 1 }
        return counts
    }
}
