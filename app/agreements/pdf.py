"""The agreement's PDF on disk (the glue to the documents package): template data, rendering, the three
parties' signatures, reading back.

`render` and `sign` are slow (LibreOffice, PAdES + timestamp) and run ONLY in RQ jobs
(tasks/agreements.py), never in a web request. Both are safe to run twice: a document version is keyed
by (agreement, kind) — kinds `unsigned`, `signed_student`, `signed_employer`, `signed_university`, versions
1..4 — and `documents.sign.sign_field` returns its input unchanged for a party that already signed.
No database transaction is held while a document is rendered or signed (on SQLite every transaction
holds the write lock).

Files: `<DOCUMENTS_DIR or VAR_DIR/documents>/agreements/<agreement id>/v<version>-<kind>-<sha256[:16]>.pdf`;
the row keeps the path relative to that directory, the SHA-256 and the size. Keys: `<DOCUMENTS_KEY_DIR or
VAR_DIR/pki>` (documents.pki layout), encrypted with DOCUMENTS_KEY_PASSPHRASE.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select

from app.agreements import evidence
from app.agreements.domain import graduate_contact
from app.agreements.models import Agreement, AgreementDocument
from app.identity.models import College, Employer, Major, Student, User
from app.platform.db_types import utcnow
from app.platform.document_settings import document_settings
from app.platform.extensions import db
from app.platform.uow import read_only, unit_of_work
from documents import pki
from documents.sign import SIGNING_ORDER, Party

DOC = AgreementDocument.__table__
KINDS = ("unsigned", *(f"signed_{p.value}" for p in SIGNING_ORDER))


class DocumentError(Exception):
    """The stored file is missing or does not match its recorded hash, or the agreement has no document."""




def documents_dir() -> Path:
    cfg = current_app.config
    return Path(cfg.get("DOCUMENTS_DIR") or Path(cfg["VAR_DIR"]) / "documents")


def university_seal_name(settings: DocumentSettings) -> str:
    return f"{settings.university_name}{settings.university_office}"


def ensure_installation_pki() -> dict:
    """The CA, the TSA certificate (local TSA), the university seal and pdfsig's NSS database; idempotent."""
    from documents.verify import installation_nss_db

    settings = document_settings()
    ca = pki.ensure_ca(settings)
    seal = pki.ensure_party_certificate(settings, "university", "seal", university_seal_name(settings),
                                        unit=settings.university_office)
    tsa = pki.ensure_tsa_certificate(settings) if settings.tsa_url == "local" else None
    return {"key_dir": settings.key_dir, "ca": ca, "seal": seal, "tsa": tsa, "nss_db": installation_nss_db(settings)}


# -- template data --------------------------------------------------------------------------------------

def agreement_data(agreement_id: int) -> dict:
    """The data documents.agreement renders (sections graduate, employer, job, university)."""
    session = db.session
    agreement = session.get(Agreement, agreement_id)
    if agreement is None:
        raise DocumentError(f"协议 {agreement_id} 不存在")
    student = session.get(Student, agreement.student_id)
    user = session.get(User, agreement.student_id)
    employer = session.get(Employer, agreement.employer_id)
    college = session.get(College, student.college_id)
    major = session.get(Major, student.major_id)
    terms = dict(agreement.terms or {})
    phone, email = graduate_contact(terms, user.phone, user.email)
    settings = document_settings()
    return {
        "agreement_number": agreement.number,
        "university": {"name": settings.university_name, "office": settings.university_office},
        "graduate": {
            "name": user.display_name, "gender": student.gender or "", "student_number": student.student_no,
            "id_number": student.id_number or "", "college": college.name if college else "",
            "major": major.name if major else "", "degree": student.degree,
            "expected_graduation": student.expected_graduation or f"{student.graduation_year} 年",
            "phone": phone, "email": email,
        },
        "employer": {
            "name": employer.name, "credit_code": employer.credit_code, "type": employer.kind or "",
            "industry": employer.industry or "", "address": employer.address or "",
            "contact_person": employer.contact_name or "", "contact_phone": employer.contact_phone or "",
            "archive_address": terms.get("archive_address", ""), "hukou_transfer": terms.get("hukou_transfer"),
        },
        "job": {
            "position": terms.get("position", ""), "location": terms.get("work_location", ""),
            "monthly_pay": terms.get("monthly_pay"), "probation": terms.get("probation_months"),
            "contract_term": terms.get("contract_years"), "breach_terms": terms.get("breach_terms", ""),
            "other_clauses": terms.get("other_clauses", ""),
        },
    }


# -- reading --------------------------------------------------------------------------------------------

def versions(agreement_id: int) -> list[AgreementDocument]:
    return list(db.session.execute(select(AgreementDocument).where(AgreementDocument.agreement_id == agreement_id)
                                   .order_by(AgreementDocument.version)).scalars())


def latest(agreement_id: int) -> AgreementDocument | None:
    return db.session.execute(select(AgreementDocument).where(AgreementDocument.agreement_id == agreement_id)
                              .order_by(AgreementDocument.version.desc()).limit(1)).scalar_one_or_none()


def read(doc: AgreementDocument) -> bytes:
    """The file's bytes, checked against the recorded SHA-256 (a file changed on disk is refused)."""
    path = documents_dir() / doc.path
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError(f"协议书文件缺失（{doc.path}）") from None
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        raise DocumentError(f"协议书文件与登记的哈希值不符（{doc.path}），可能已被篡改")
    return data


def match(sha256: str) -> tuple[Agreement, AgreementDocument] | None:
    sha256 = (sha256 or "").strip().lower()
    doc = db.session.execute(select(AgreementDocument).where(AgreementDocument.sha256 == sha256)
                             .order_by(AgreementDocument.id.desc()).limit(1)).scalar_one_or_none()
    if doc is None:
        return None
    return db.session.get(Agreement, doc.agreement_id), doc


def _info(doc) -> dict:
    return {"document_id": doc.id, "version": doc.version, "kind": doc.kind, "sha256": doc.sha256,
            "size": doc.size}


# -- writing (RQ jobs only) -----------------------------------------------------------------------------

def _write_file(agreement_id: int, version: int, kind: str, data: bytes, sha: str) -> str:
    # The hash in the name: two deliveries of one job racing never overwrite the file the winner registered.
    relative = f"agreements/{agreement_id}/v{version}-{kind}-{sha[:16]}.pdf"
    path = documents_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return relative


def _store(agreement_id: int, version: int, kind: str, data: bytes, on_insert=None) -> dict:
    """Write the file, then its row (once per kind); `on_insert(row_info)` runs in the same transaction."""
    sha = hashlib.sha256(data).hexdigest()
    relative = _write_file(agreement_id, version, kind, data, sha)
    with unit_of_work() as session:
        existing = session.execute(select(AgreementDocument).where(
            AgreementDocument.agreement_id == agreement_id, AgreementDocument.kind == kind)).scalar_one_or_none()
        if existing is not None:  # another delivery of the same job stored it first: keep only its file
            if existing.path != relative:
                (documents_dir() / relative).unlink(missing_ok=True)
            return _info(existing)
        doc_id = session.execute(insert(DOC).returning(DOC.c.id).values(
            agreement_id=agreement_id, version=version, kind=kind, path=relative, sha256=sha, size=len(data),
            created_at=utcnow())).scalar_one()
        info = {"document_id": doc_id, "version": version, "kind": kind, "sha256": sha, "size": len(data)}
        if on_insert is not None:
            on_insert(info)
        session.commit()
    return info


def render(agreement_id: int) -> dict:
    """Version 1 (unsigned) of the agreement PDF, made once; needs the agreement number."""
    from documents.agreement import render_agreement_pdf

    with read_only():  # no transaction (no SQLite write lock) while LibreOffice works
        done = next((d for d in versions(agreement_id) if d.kind == "unsigned"), None)
        if done is not None:
            return _info(done)
        data = agreement_data(agreement_id)
        if not data["agreement_number"]:
            raise DocumentError(f"协议 {agreement_id} 尚未编号，不能生成协议书")
    pdf = render_agreement_pdf(data, document_settings())
    return _store(agreement_id, 1, "unsigned", pdf)


def credential_for(party: Party, agreement_id: int) -> pki.Credential:
    settings = document_settings()
    session = db.session
    agreement = session.get(Agreement, agreement_id)
    if party is Party.STUDENT:
        student = session.get(Student, agreement.student_id)
        user = session.get(User, agreement.student_id)
        college = session.get(College, student.college_id)
        return pki.ensure_party_certificate(settings, "student", student.student_no, user.display_name,
                                            unit=college.name if college else None)
    if party is Party.EMPLOYER:
        employer = session.get(Employer, agreement.employer_id)
        return pki.ensure_party_certificate(settings, "employer", employer.credit_code, employer.name,
                                            credit_code=employer.credit_code)
    return pki.ensure_party_certificate(settings, "university", "seal", university_seal_name(settings),
                                        unit=settings.university_office)


def sign(agreement_id: int, party: Party | str, actor_id: int | None, job_key: str | None = None,
         remote_addr: str | None = None) -> dict:
    """The next version, signed by `party` (in SIGNING_ORDER), with its `signed` evidence entry."""
    from documents.sign import sign_field

    party = Party(party)
    kind = f"signed_{party.value}"
    settings = document_settings()
    with read_only():
        docs = versions(agreement_id)
        done = next((d for d in docs if d.kind == kind), None)
        if done is not None:
            return _info(done)
        if not docs:
            raise DocumentError(f"协议 {agreement_id} 还没有生成协议书")
        source = docs[-1]
        source_info = _info(source)
        pdf = read(source)
        credential = credential_for(party, agreement_id)
    signed = sign_field(pdf, party, credential, settings, location=settings.university_name)
    if signed == pdf:
        raise DocumentError(f"协议书第 {source_info['version']} 版已有 {party.value} 的签名，但没有登记")
    signer = credential.certificate.subject.rfc4514_string()

    def record(info: dict) -> None:
        evidence.append(agreement_id, "signed", actor_id, remote_addr,
                        {"party": party.value, "signer": signer, "version": info["version"],
                         "previous_sha256": source_info["sha256"]},
                        info["sha256"], job_key=job_key)

    return _store(agreement_id, source_info["version"] + 1, kind, signed, on_insert=record)


def trust_roots() -> list[Path]:
    """The installation CA's certificate, when the installation has made one (it signs every party's cert)."""
    path = pki.ca_certificate_path(document_settings())
    return [path] if path.is_file() else []
