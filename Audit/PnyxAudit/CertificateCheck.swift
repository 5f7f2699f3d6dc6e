import PnyxCore
import PnyxTransparency

/// Checks that each threshold certificate in the log states what the log shows: the
/// threshold was first met at the stated log size (recomputed by the tally), with the stated
/// root, and the referenced checkpoint is the log's tree at that size.
enum CertificateCheck {
    static func check(
        _ certificates: [(position: Int64, certificate: SignedCertificate)], definition: PollDefinition?,
        reachedAt: [Int: Int64], tree: PublishedTree?, notes: inout [String]
    ) -> [Finding] {
        var findings: [Finding] = []
        for (position, signed) in certificates {
            let certificate = signed.certificate
            func fail(_ message: String, expected: String? = nil, computed: String? = nil) {
                findings.append(Finding(.certificateFalse, position: position, message, expected: expected, computed: computed))
            }
            guard let definition, certificate.pollID == definition.pollID else {
                fail("the certificate names poll \(certificate.pollID), not this log's poll")
                continue
            }
            let index = Int(certificate.thresholdIndex)
            guard definition.thresholds.indices.contains(index) else {
                fail("the certificate names threshold \(index); the poll has \(definition.thresholds.count)")
                continue
            }
            let stated = Int64(clamping: certificate.reachedAtSize)
            guard let reached = reachedAt[index] else {
                fail("threshold \(index) is never met in the log, but the certificate says it was reached at log size \(stated)",
                     expected: "never reached", computed: "\(stated)")
                continue
            }
            if reached != stated {
                fail("threshold \(index) was first met at log size \(reached), not \(stated) as the certificate says",
                     expected: "\(reached)", computed: "\(stated)")
            }
            if stated > position {
                fail("the certificate at \(position) refers to log size \(stated), after itself",
                     expected: "at most \(position)", computed: "\(stated)")
            }
            let checkpointSize = Int64(clamping: certificate.checkpointSize)
            if checkpointSize < stated {
                fail("the certificate's checkpoint (size \(checkpointSize)) is before the size it certifies (\(stated))")
            }
            guard let tree else {
                notes.append("the roots stated by the certificate at \(position) were not checked: no verified tree")
                continue
            }
            for (label, size, root) in [("the root at the size it was reached", stated, certificate.rootAtReached),
                                        ("the checkpoint root", checkpointSize, certificate.checkpointRoot)] {
                guard size <= tree.size else {
                    notes.append("the certificate at \(position) refers to log size \(size), past the verified \(tree.size): \(label) not checked")
                    continue
                }
                do {
                    let computed = try tree.root(ofPrefix: size)
                    if computed != root {
                        fail("the certificate's \(label) (size \(size)) is not the log's", expected: computed.hex, computed: root.hex)
                    }
                } catch {
                    notes.append("\(label) of the certificate at \(position) could not be computed from the tiles: \(error)")
                }
            }
        }
        return findings
    }
}
