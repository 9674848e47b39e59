"""Verification of a signed agreement: pyHanko's validator, and poppler's pdfsig as an independent second one."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from documents import pki
from documents.settings import DocumentSettings

TrustRoot = x509.Certificate | asn1_x509.Certificate | str | Path


@dataclass
class SignatureReport:
    field: str
    signer: str  # common name of the signing certificate
    signer_subject: str
    signing_time: dt.datetime | None  # claimed by the signer (CMS signing-time attribute)
    timestamp: dt.datetime | None  # from the TSA's signature timestamp token
    timestamp_trusted: bool
    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # intact, and the CMS signature verifies
    trusted: bool  # the signer's chain reaches a trust root
    coverage: str  # ENTIRE_FILE for the last signature, ENTIRE_REVISION for earlier ones
    modifications: str  # what changed after this signature (NONE, FORM_FILLING, ... OTHER)
    docmdp_ok: bool  # those changes are allowed by the locks in force
    pades_level: str  # B-B, B-T, B-LT, B-LTA; "not PAdES" for adbe.pkcs7.* signatures
    field_lock: str | None  # FieldMDP action this signature applies (ALL, INCLUDE, EXCLUDE)
    docmdp: str | None  # DocMDP permission this signature sets (NO_CHANGES locks the document)
    summary: str

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.docmdp_ok


@dataclass
class VerificationReport:
    sha256: str
    signatures: list[SignatureReport] = field(default_factory=list)

    @property
    def all_ok(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures)

    @property
    def locked(self) -> bool:
        """The last signature covers the whole file and forbids any further change."""
        return bool(self.signatures) and self.signatures[-1].docmdp == "NO_CHANGES" \
            and self.signatures[-1].coverage == "ENTIRE_FILE"

    def as_dict(self) -> dict:
        return {"sha256": self.sha256, "all_ok": self.all_ok, "locked": self.locked,
                "signatures": [asdict(s) | {"ok": s.ok} for s in self.signatures]}


def verify_pdf(pdf: bytes, trust_roots: Iterable[TrustRoot]) -> VerificationReport:
    """Validate every signature of `pdf` against `trust_roots` (certificates or PEM/DER file paths).

    No network access: no revocation fetching (the installation CA publishes no CRL/OCSP).
    """
    roots = [_as_asn1(root) for root in trust_roots]
    report = VerificationReport(sha256=hashlib.sha256(pdf).hexdigest())
    reader = PdfFileReader(io.BytesIO(pdf))
    has_dss = "/DSS" in reader.root
    sigs = reader.embedded_signatures
    for i, emb in enumerate(sigs):
        if emb.sig_object_type == "/DocTimeStamp":
            continue
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        status = validate_pdf_signature(emb, signer_validation_context=context)
        subject = status.signing_cert.subject
        ts = status.timestamp_validity
        later_doc_ts = any(s.sig_object_type == "/DocTimeStamp" for s in sigs[i + 1:])
        lock = emb.fieldmdp
        docmdp = emb.docmdp_level
        report.signatures.append(SignatureReport(
            field=emb.field_name,
            signer=str(subject.native.get("common_name", subject.human_friendly)),
            signer_subject=subject.human_friendly,
            signing_time=status.signer_reported_dt,
            timestamp=ts.timestamp if ts is not None else None,
            timestamp_trusted=bool(ts is not None and ts.valid and ts.intact and ts.trusted),
            intact=status.intact,
            valid=status.valid,
            trusted=status.trusted,
            coverage=status.coverage.name if status.coverage is not None else "UNKNOWN",
            modifications=status.modification_level.name if status.modification_level is not None else "UNKNOWN",
            docmdp_ok=bool(status.docmdp_ok),
            pades_level=_pades_level(emb.sig_object.get("/SubFilter"), ts is not None, has_dss, later_doc_ts),
            field_lock=lock.action.name if lock is not None else None,
            docmdp=docmdp.name if docmdp is not None else None,
            summary=status.summary(),
        ))
    return report


def _pades_level(subfilter, has_timestamp: bool, has_dss: bool, later_doc_ts: bool) -> str:
    if subfilter != "/ETSI.CAdES.detached":
        return "not PAdES"
    if not has_timestamp:
        return "B-B"
    if not has_dss:
        return "B-T"
    return "B-LTA" if later_doc_ts else "B-LT"


def _as_asn1(root: TrustRoot) -> asn1_x509.Certificate:
    if isinstance(root, asn1_x509.Certificate):
        return root
    if isinstance(root, x509.Certificate):
        return asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))
    data = Path(root).read_bytes()
    cert = x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


# --- poppler's pdfsig with an NSS database -------------------------------------------------------------

@dataclass
class PdfSigSignature:
    field: str
    signer: str
    signing_time: str
    signature_status: str  # "Signature is Valid." when the bytes and CMS verify
    certificate_status: str  # "Certificate is Trusted." when the chain reaches the NSS db's CA
    total_document_signed: bool

    @property
    def valid(self) -> bool:
        return self.signature_status == "Signature is Valid."

    @property
    def trusted(self) -> bool:
        return self.certificate_status == "Certificate is Trusted."


def ensure_nss_db(nss_dir: str | Path, ca_certs: Iterable[str | Path], nickname_prefix: str = "bpm-ca") -> Path:
    """An NSS database (empty password) trusting `ca_certs` for signatures ("CT,C,C"); idempotent."""
    nss_dir = Path(nss_dir)
    nss_dir.mkdir(parents=True, exist_ok=True)
    if not (nss_dir / "cert9.db").exists():
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss_dir}", "--empty-password"], check=True,
                       capture_output=True, timeout=30)
    for cert in ca_certs:
        fingerprint = _fingerprint(Path(cert))
        nickname = f"{nickname_prefix}-{fingerprint[:16]}"
        listed = subprocess.run(["certutil", "-L", "-d", f"sql:{nss_dir}", "-n", nickname],
                                capture_output=True, timeout=30)
        if listed.returncode != 0:
            subprocess.run(["certutil", "-A", "-d", f"sql:{nss_dir}", "-n", nickname, "-t", "CT,C,C",
                            "-a", "-i", str(cert)], check=True, capture_output=True, timeout=30)
    return nss_dir


def installation_nss_db(settings: DocumentSettings) -> Path:
    """The NSS database under settings.derived_dir trusting the installation CA (made on first use)."""
    return ensure_nss_db(settings.derived_dir / "nssdb", [pki.ensure_ca(settings).cert_path])


def run_pdfsig(pdf: bytes, nss_dir: str | Path, timeout_s: float = 60.0) -> list[PdfSigSignature]:
    """Run `pdfsig -nssdir sql:<nss_dir>` on `pdf` and parse its report, one entry per signature.

    No -no-ocsp: poppler 22.12 then reports "Unknown issue with Certificate" even for a trusted chain. The
    installation's certificates name no OCSP responder, so pdfsig makes no network request anyway.
    """
    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(pdf)
        tmp.flush()
        proc = subprocess.run(["pdfsig", "-nssdir", f"sql:{Path(nss_dir)}", tmp.name],
                              capture_output=True, text=True, timeout=timeout_s)
    return parse_pdfsig_output(proc.stdout)


def parse_pdfsig_output(text: str) -> list[PdfSigSignature]:
    blocks = re.split(r"^Signature #\d+:\s*$", text, flags=re.M)[1:]
    result = []
    for block in blocks:
        values = dict(re.findall(r"^[ \t]+- ([^:\n]+): (.*)$", block, flags=re.M))
        result.append(PdfSigSignature(
            field=values.get("Signature Field Name", ""),
            signer=values.get("Signer Certificate Common Name", ""),
            signing_time=values.get("Signing Time", ""),
            signature_status=values.get("Signature Validation", "").strip(),
            certificate_status=values.get("Certificate Validation", "").strip(),
            total_document_signed="Total document signed" in block,
        ))
    return result


def _fingerprint(path: Path) -> str:
    data = path.read_bytes()
    cert = x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
    return cert.fingerprint(hashes.SHA256()).hex()
