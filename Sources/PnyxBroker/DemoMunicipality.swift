public import PnyxCore

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fully specified PRNG, so that the demo
/// municipality is the same bytes on every machine and Swift version for a given seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (Lemire's rejection-free-enough multiply-shift; bias < 2⁻³²).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(((next() >> 32) * UInt64(bound)) >> 32)
    }
}

/// A synthetic demo municipality: one département ⊃ one agglomeration ⊃ three communes ⊃
/// eight districts, and about 10 000 residents with plausible French names and birth dates
/// spread over ages 16–95 at ``referenceDate``. Deterministic: the same seed gives the same
/// CSV bytes (no `Double`, no `Hasher`, no system randomness).
public struct DemoMunicipality: Sendable {
    /// The date ages are spread at.
    public static let referenceDate = CivilDate(year: 2025, month: 1, day: 1)!

    public let areas: [Area]
    public let residents: [Resident]

    /// Generates the municipality for `seed` with `residentCount` residents.
    public init(seed: UInt64 = 2025, residentCount: Int = 10_000) {
        var rng = SplitMix64(seed: seed)
        var areas = [
            Area(code: "89", name: "Yonne-sur-Demo", level: .departement, parentCode: nil),
            Area(code: "89A", name: "Agglomération de Pnyxville", level: .agglomeration, parentCode: "89"),
        ]
        let communes: [(code: String, name: String, districts: [String])] = [
            ("89101", "Pnyxville", ["Centre", "Gare", "Les Tilleuls", "Saint-Martin"]),
            ("89102", "Bourg-la-Colline", ["Le Bourg", "La Colline"]),
            ("89103", "Vaux-les-Prés", ["Le Village", "Les Prés"]),
        ]
        var districts: [AreaCode] = []
        for commune in communes {
            areas.append(Area(code: commune.code, name: commune.name, level: .commune, parentCode: "89A"))
            for (index, name) in commune.districts.enumerated() {
                let code = "\(commune.code)-\(index + 1)"
                areas.append(Area(code: code, name: "\(commune.name) – \(name)", level: .district, parentCode: commune.code))
                districts.append(code)
            }
        }
        // District weights: bigger town centres (sum 100).
        let weights = [22, 14, 12, 10, 10, 8, 14, 10]
        var residents: [Resident] = []
        residents.reserveCapacity(residentCount)
        for index in 0..<residentCount {
            var pick = rng.below(100)
            var district = districts[districts.count - 1]
            for (i, w) in weights.enumerated() {
                if pick < w { district = districts[i]; break }
                pick -= w
            }
            let female = rng.below(2) == 0
            let givenNames = female ? Self.femaleNames : Self.maleNames
            let given = givenNames[rng.below(givenNames.count)]
            let family = Self.familyNames[rng.below(Self.familyNames.count)]
            // Age 16…95 (roughly flat to 70, thinner after), then a day within the year.
            let age = rng.below(4) == 0 ? 70 + rng.below(26) : 16 + rng.below(54)
            let year = Self.referenceDate.year - age - 1
            let dayOfYear = 1 + rng.below(364)  // never 1 January: the age at the reference date is exactly `age`
            let birth = Self.date(year: year, dayOfYear: dayOfYear)
            residents.append(Resident(
                residentID: "R" + Self.pad(index + 1, 6), givenName: given, familyName: family,
                birthDate: birth, areaCode: district))
        }
        self.areas = areas
        self.residents = residents
    }

    /// The areas file (see ``RegisterCSV``).
    public var areasCSV: String { RegisterCSV.write(areas: areas) }
    /// The residents file (see ``RegisterCSV``).
    public var residentsCSV: String { RegisterCSV.write(residents: residents) }

    static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    static func date(year: Int, dayOfYear: Int) -> CivilDate {
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var day = dayOfYear
        for (month, length) in lengths.enumerated() {
            if day < length { return CivilDate(year: year, month: month + 1, day: day + 1)! }
            day -= length
        }
        return CivilDate(year: year, month: 12, day: 31)!
    }

    static let femaleNames = [
        "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Sarah", "Jade", "Louise", "Lucie", "Juliette",
        "Alice", "Clara", "Anaïs", "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise",
        "Martine", "Christine", "Monique", "Sophie", "Valérie", "Sandrine", "Céline", "Aurélie", "Émilie",
        "Julie", "Margaux", "Zoé", "Élise", "Hélène", "Jacqueline", "Odile", "Thérèse", "Yasmina", "Fatima",
        "Amandine",
    ]
    static let maleNames = [
        "Arnaud", "Lucas", "Hugo", "Louis", "Gabriel", "Jules", "Arthur", "Nathan", "Raphaël", "Thomas",
        "Théo", "Maxime", "Antoine", "Julien", "Nicolas", "Pierre", "Jean", "Michel", "Philippe", "Alain",
        "Patrick", "Christophe", "Stéphane", "Laurent", "Olivier", "Sébastien", "Frédéric", "Éric", "Bernard",
        "Daniel", "Jacques", "Gérard", "Mathis", "Noah", "Karim", "Mehdi", "Yann", "Loïc", "Benoît", "Rémi",
    ]
    static let familyNames = [
        "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
        "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
        "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefebvre", "Faure",
        "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand",
        "Gauthier", "Garcia", "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu",
        "Gautier", "Masson", "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer",
        "Dufour", "Meunier", "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard",
        "Barbier", "Arnaud", "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin",
        "Vidal", "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix",
        "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland",
        "Leclercq", "Guillaume", "Lecomte",
    ]
}
