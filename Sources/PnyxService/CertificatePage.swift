import Foundation
import PnyxCore
import PnyxCrypto

/// The human-readable form of a certificate: a self-contained HTML page (no script, no
/// external resource) with the statement, every certified value and how to re-check it.
enum CertificatePage {
    static func html(_ bundle: CertificateBundle, definition: PollDefinition) -> String {
        let c = bundle.certificate.certificate
        let rows: [(String, String)] = [
            ("Poll", "\(definition.title) (\(c.pollID.hex))"),
            ("Threshold", "#\(c.thresholdIndex): \(PetitionService.describe(definition.thresholds[Int(c.thresholdIndex)]))"),
            ("Reached at log size N", "\(c.reachedAtSize)"),
            ("Merkle root R of the first N entries", c.rootAtReached.hex),
            ("Signed checkpoint", "size \(c.checkpointSize), root \(c.checkpointRoot.hex)"),
            ("Certified on", "\(PetitionService.day(c.date)) (Unix time \(c.date))"),
            ("Position of this certificate in the log", "\(bundle.position)"),
            ("Service signature (Ed25519, base64)", Base64.encode(bundle.certificate.signature)),
            ("Service key (Ed25519, base64)", Base64.encode(definition.serviceKey.rawRepresentation)),
            ("Checkpoint verifier key", bundle.verifierKey),
        ]
        let countersigned = bundle.countersignatures.map { item in
            let valid = Countersignature.isValid(item.signature, by: item.publicKey, for: bundle.certificate)
            return "<tr><th>\(escape(item.role == .official ? "Official" : "Auditor")): \(escape(item.name))</th><td>"
                + "<code>key \(escape(Base64.encode(item.publicKey.rawRepresentation)))</code><br>"
                + "<code>signature \(escape(Base64.encode(item.signature)))</code><br>"
                + "\(valid ? "verified by the service" : "DOES NOT VERIFY") on \(PetitionService.day(item.recordedAt))</td></tr>"
        }.joined(separator: "\n")
        let countersignatures = bundle.countersignatures.isEmpty
            ? "<p>No countersignature yet.</p>"
            : "<table>\n\(countersigned)\n</table>"
        let table = rows.map { "<tr><th>\(escape($0.0))</th><td><code>\(escape($0.1))</code></td></tr>" }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Certificate — \(escape(definition.title))</title>
            <style>body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
            th{text-align:left;vertical-align:top;padding:.3rem 1rem .3rem 0}td code{word-break:break-all}</style></head>
            <body><h1>Certificate</h1>
            <p><strong>\(escape(c.statement))</strong></p>
            <table>
            \(table)
            </table>
            <h2>Countersignatures</h2>
            \(countersignatures)
            <h2>Check it yourself</h2>
            <ol><li>Verify the Ed25519 signature over the certificate's canonical bytes (docs/PROTOCOL.md) with the service key.</li>
            <li>Verify the checkpoint note with the verifier key, and the consistency proof from size N (root R) to it
            (<code>GET /polls/\(c.pollID.hex)/certificates/\(c.thresholdIndex)</code> carries both).</li>
            <li>Verify each countersignature: Ed25519 by its key over the countersigned bytes
            (<code>pnyx/certificate-countersignature/v1</code> ‖ the signed certificate, docs/PROTOCOL.md).</li>
            <li>Recompute the tally of the first N entries of the public log (<code>pnyx-audit</code>): the threshold is met at N, not before.</li></ol>
            </body></html>

            """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
