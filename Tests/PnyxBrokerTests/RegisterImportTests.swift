import Foundation
@testable import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxPostgres
import Testing

@Suite("Register import and demo generator")
struct RegisterImportTests {
    @Test func importsAndReimportsResidents() async throws {
        let h = try await BrokerHarness.make()
        defer { Task { await h.broker.shutdown() } }
        let first = try await h.broker.residents.importRegister(
            areasCSV: BrokerHarness.areasCSV,
            residentsCSV: BrokerHarness.residentsCSV([("R1", "C1-1", 30), ("R2", "C1-2", 40), ("R3", "C2-1", 50)]))
        #expect(first == ImportSummary(areas: 7, added: 3, updated: 0, deactivated: 0, active: 3))
        // R1 moves, R2 dies (absent), R4 is new; areas kept from the database.
        let second = try await h.broker.residents.importRegister(
            areasCSV: nil,
            residentsCSV: BrokerHarness.residentsCSV([("R1", "C2-1", 30), ("R3", "C2-1", 50), ("R4", "C1-1", 20)]))
        #expect(second == ImportSummary(areas: 7, added: 1, updated: 1, deactivated: 1, active: 3))
        let r2 = try await h.broker.residents.resident(id: "R2")
        #expect(r2?.active == false)
        #expect(try await h.broker.residents.resident(id: "R1")?.resident.areaCode == "C2-1")
    }

    @Test func badRowsAreReportedWithLineNumbersAndNothingIsImported() async throws {
        let h = try await BrokerHarness.make()
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30)])
        let bad = #"""
            resident_id,given_name,family_name,birth_date,area_code
            R1,Ann,Smith,1990-01-01,C1-1
            R2,Bob,Jones,1990-02-30,C1-1
            R3,Cid,Brown,1990-01-01,NOPE
            R4,Dan,White,1990-01-01
            R1,Eve,Black,1990-01-01,C1-2
            R6,Fay,Green,1990-01-01,C1
            R7,"Gus ""G""",Grey,1990-01-01,C2-1
            """#
        do {
            _ = try await h.broker.residents.importRegister(areasCSV: nil, residentsCSV: bad)
            Issue.record("bad rows imported")
        } catch let error as BrokerError {
            #expect(error.code == .registerBadRow)
            #expect(error.details.map(\.line) == [3, 4, 5, 6, 7])
        }
        // Nothing changed: R7 (a good row) was not imported either.
        #expect(try await h.broker.residents.resident(id: "R7") == nil)
        #expect(try await h.broker.residents.activeResidents().count == 1)

        do {
            _ = try await h.broker.residents.importRegister(
                areasCSV: "code,name,level,parent_code\nD,Dept,departement,\nX,Bad,town,D\nC9,C,commune,D\n", residentsCSV: "")
            Issue.record("bad areas imported")
        } catch let error as BrokerError {
            #expect(error.code == .registerBadRow)
            #expect(error.details.map(\.line) == [3, 4])
        }
    }

    @Test func badRowsOverHTTP() async throws {
        let h = try await BrokerHarness.make()
        defer { Task { await h.broker.shutdown() } }
        let app = buildBrokerApplication(broker: h.broker)
        try await app.test(.router) { client in
            struct Body: Encodable { var areasCSV: String?; var residentsCSV: String }
            let unauthorized = try await client.json(.post, "/v1/admin/register", body: Body(areasCSV: nil, residentsCSV: ""))
            #expect(unauthorized.status == .unauthorized)
            #expect(unauthorized.errorCode == "auth.admin_required")
            let response = try await client.json(
                .post, "/v1/admin/register", token: BrokerHarness.adminToken,
                body: Body(areasCSV: BrokerHarness.areasCSV, residentsCSV: "R1,A,B,2000-01-01,C1-1\nR2,A,B,bad,C1-1\n"))
            #expect(response.status == .unprocessableContent)
            let body = try response.decode(ErrorBody.self)
            #expect(body.error.code == "register.bad_row")
            #expect(body.error.details?.first?.line == 2)
            let good = try await client.json(
                .post, "/v1/admin/register", token: BrokerHarness.adminToken,
                body: Body(areasCSV: BrokerHarness.areasCSV, residentsCSV: "R1,A,B,2000-01-01,C1-1\n"))
            #expect(good.status == .ok)
            #expect(try good.decode(ImportSummary.self).added == 1)
        }
    }

    @Test func demoMunicipalityIsDeterministic() throws {
        let a = DemoMunicipality(seed: 7)
        let b = DemoMunicipality(seed: 7)
        let c = DemoMunicipality(seed: 8)
        // Compare digests: a failing comparison of two 400 kB strings floods the test log.
        #expect(SHA256.hash(Array(a.residentsCSV.utf8)) == SHA256.hash(Array(b.residentsCSV.utf8)))
        #expect(a.areasCSV == b.areasCSV)
        #expect(SHA256.hash(Array(a.residentsCSV.utf8)) != SHA256.hash(Array(c.residentsCSV.utf8)))
        #expect(Set(a.residents.map(\.givenName)).count > 50)
        #expect(Set(a.residents.map(\.areaCode)).count == 8)
        #expect(a.residents.count == 10_000)
        #expect(a.areas.filter { $0.level == .district }.count == 8)
        let ages = a.residents.map { DemoMunicipality.referenceDate.age(bornOn: $0.birthDate) }
        #expect(ages.min()! >= 16 && ages.max()! <= 95)
        // The generated files pass the importer's own validation.
        let areas = try RegisterCSV.parseAreas(a.areasCSV)
        #expect(try RegisterCSV.parseResidents(a.residentsCSV, hierarchy: AreaHierarchy(areas)).count == 10_000)
    }

    @Test func demoMunicipalityImports() async throws {
        let h = try await BrokerHarness.make()
        defer { Task { await h.broker.shutdown() } }
        let demo = DemoMunicipality()
        let summary = try await h.broker.residents.importRegister(areasCSV: demo.areasCSV, residentsCSV: demo.residentsCSV)
        #expect(summary.added == 10_000)
        #expect(summary.areas == 13)
    }
}
