"""Parsing of poppler's pdfsig report."""
from __future__ import annotations

from documents.verify import parse_pdfsig_output

SAMPLE = """Digital Signature Info of: /tmp/x.pdf
Signature #1:
  - Signature Field Name: sig_student
  - Signer Certificate Common Name: 张三丰
  - Signer full Distinguished Name: CN=张三丰,O=示范大学,C=CN
  - Signing Time: Nov 27 2026 06:04:45
  - Signing Hash Algorithm: SHA-256
  - Signature Type: ETSI.CAdES.detached
  - Signed Ranges: [0 - 55662], [72048 - 76438]
  - Not total document signed
  - Signature Validation: Signature is Valid.
  - Certificate Validation: Certificate is Trusted.
Signature #2:
  - Signature Field Name: sig_university
  - Signer Certificate Common Name: 示范大学就业指导中心
  - Signing Time: Nov 27 2026 06:04:46
  - Signed Ranges: [0 - 102695], [119081 - 124159]
  - Total document signed
  - Signature Validation: Digest Mismatch.
  - Certificate Validation: Certificate issuer isn't Trusted.
"""


def test_parse_pdfsig_output():
    first, second = parse_pdfsig_output(SAMPLE)
    assert first.field == "sig_student" and first.signer == "张三丰"
    assert first.valid and first.trusted and not first.total_document_signed
    assert second.field == "sig_university" and second.total_document_signed
    assert not second.valid and not second.trusted
    assert second.signature_status == "Digest Mismatch."
    assert parse_pdfsig_output("File 'x.pdf' does not contain any signatures\n") == []
