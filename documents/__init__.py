"""Documents of the platform: the tripartite agreement's template, PDF rendering, the installation PKI,
timestamps, PAdES signatures and their verification. No Flask, no requests: paths, bytes and
DocumentSettings in, bytes and reports out.

    agreement.render_agreement_pdf(data, settings)        -> PDF with three empty signature fields
    pki.ensure_party_certificate(settings, kind, id, name) -> Credential
    sign.sign_field(pdf, party, credential, settings)      -> PDF signed once more (idempotent, ordered)
    verify.verify_pdf(pdf, [ca_cert])                      -> VerificationReport
"""
