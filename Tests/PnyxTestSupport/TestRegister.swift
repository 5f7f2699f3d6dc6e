/// The small area register of the integration tests: département D ⊃ agglomeration A ⊃
/// communes C1, C2 ⊃ districts C1-1, C1-2, C2-1.
public enum TestRegister {
    public static let areasCSV = """
        code,name,level,parent_code
        D,Dept,departement,
        A,Agglo,agglomeration,D
        C1,Commune 1,commune,A
        C2,Commune 2,commune,A
        C1-1,District 1-1,district,C1
        C1-2,District 1-2,district,C1
        C2-1,District 2-1,district,C2

        """

    /// Four adults born on 15 June: R1 (C1-1, 1984), R2 (C1-2, 1994), R3 (C2-1, 1964),
    /// R4 (C2-1, 2004).
    public static let residentRows = """
        R1,Arnaud,Robert,1984-06-15,C1-1
        R2,Berthe,Morisot,1994-06-15,C1-2
        R3,Claude,Monet,1964-06-15,C2-1
        R4,Camille,Claudel,2004-06-15,C2-1

        """

    /// A residents CSV: the header, then `rows` (`resident_id,given_name,family_name,birth_date,area_code`).
    public static func residentsCSV(_ rows: String = residentRows) -> String {
        "resident_id,given_name,family_name,birth_date,area_code\n" + rows
    }

    /// A residents CSV of `people` (resident id, district, age at 2025-01-01), all born on
    /// 15 June and named `names` (given, family).
    public static func residentsCSV(people: [(String, String, Int)], names: (String, String) = ("Arnaud", "Robert")) -> String {
        residentsCSV(people.map { id, district, age in "\(id),\(names.0),\(names.1),\(2024 - age)-06-15,\(district)\n" }.joined())
    }
}
