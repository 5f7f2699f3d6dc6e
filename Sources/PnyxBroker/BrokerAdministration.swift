public import Foundation
public import Logging
import PnyxHTTP
import PnyxLogStore
import PnyxPostgres

/// The administration's offline tasks on a broker database, without a running broker or its
/// keys: importing the residents register and issuing enrolment codes. What
/// `pnyx broker import` and `pnyx broker codes` run; the HTTP admin endpoints run the same
/// library code (``ResidentStore/importRegister(areasCSV:residentsCSV:)``,
/// ``EnrolmentStore/issueCodes(residentIDs:)``).
public struct BrokerAdministration: Sendable {
    let pool: PostgresPool

    /// Connects to the broker's database `databaseURL` and applies the broker's migrations
    /// (and the log store's, so that a broker started later finds a complete schema).
    public static func open(databaseURL: String, logger: Logger = Logger(label: "pnyx.broker.admin")) async throws
        -> BrokerAdministration
    {
        let pool = PostgresPool(url: databaseURL, size: 2, logger: logger)
        do {
            try await pool.migrate(BrokerSchema.migrations)
            try await LogStore(pool: pool, logger: logger).migrate()
        } catch {
            await pool.close()
            throw error
        }
        return BrokerAdministration(pool: pool)
    }

    /// Imports a complete register (see ``ResidentStore/importRegister(areasCSV:residentsCSV:)``):
    /// all rows valid or nothing imported; `register.bad_row` lists every bad row with its line.
    /// `areasSource` and `residentsSource` name the files in the row reports.
    public func importRegister(
        areasCSV: String?, residentsCSV: String, areasSource: String = "areas.csv",
        residentsSource: String = "residents.csv"
    ) async throws -> ImportSummary {
        do {
            return try await ResidentStore(pool: pool).importRegister(areasCSV: areasCSV, residentsCSV: residentsCSV)
        } catch let error as BrokerError where !error.details.isEmpty {
            let details = error.details.map { detail in
                var renamed = detail
                switch detail.source {
                case "areas.csv": renamed.source = areasSource
                case "residents.csv": renamed.source = residentsSource
                default: break
                }
                return renamed
            }
            throw BrokerError(error.code, error.reason, details: details, retryAfter: error.retryAfter)
        }
    }

    /// Issues one-time enrolment codes valid for `lifetime` to `residentIDs` (nil: every active
    /// resident without an account), revoking their earlier unused codes. Unknown and
    /// inactive ids are skipped. Only the codes' hashes are stored: the answer is the only copy.
    public func issueCodes(
        residentIDs: [String]?, lifetime: Duration = .seconds(90 * 86_400), now: Date = Date()
    ) async throws -> [EnrolmentCode] {
        try await EnrolmentStore.issueCodes(pool: pool, residentIDs: residentIDs, issuedAt: now, lifetime: lifetime)
    }

    /// Closes the connections.
    public func close() async { await pool.close() }
}

extension EnrolmentCode {
    /// The codes as CSV for a mail merge: `resident_id,given_name,family_name,area_code,code,expires_at`.
    public static func csv(_ codes: [EnrolmentCode]) -> String { EnrolmentStore.csv(codes) }
}
