"""The audit-trail certificate of an agreement as a PDF certified by the university (documents.certificate).

One file per state of the evidence chain: its name carries the last entry's sequence number and hash, so a
certificate is built once per new entry (in a worker: LibreOffice and the university's key stay out of
web requests) and every later download of the same state gets the same bytes.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from flask import current_app

from app.agreements import anchors, chain, evidence, pdf
from app.agreements.domain import STATUS_LABELS
from app.agreements.models import Agreement
from app.identity.models import Employer, User
from app.platform.clock import LOCAL_TZ, local_text
from app.platform.document_settings import document_settings
from app.platform.extensions import db
from app.platform.uow import read_only

KIND_LABELS = {"unsigned": "待签署原件", "signed_student": "毕业生已签", "signed_employer": "用人单位已签",
               "signed_university": "学校已签（已锁定）"}


SECONDS = "%Y-%m-%d %H:%M:%S"


def path_for(agreement_id: int) -> Path:
    """Where the certificate of the chain's current state is (or will be) stored."""
    last = evidence.last_entry(agreement_id)
    seq, last_hash = (last.seq, last.entry_hash) if last is not None else (0, chain.GENESIS)
    return pdf.documents_dir() / "certificates" / f"{agreement_id}-{seq}-{last_hash[:16]}.pdf"


def ready(agreement_id: int) -> bool:
    return path_for(agreement_id).exists()


def current(agreement_id: int) -> bytes | None:
    path = path_for(agreement_id)
    return path.read_bytes() if path.exists() else None


def request_build(agreement_id: int, verify_url: str) -> bool:
    """Hand the build to a worker, once per state of the chain: more requests for the same state within
    five minutes (a build in progress, a user clicking again) enqueue nothing more. True when the
    certificate is there already (or a synchronous queue has just made it)."""
    from app.platform.queue import job_queue, redis_connection

    path = path_for(agreement_id)
    if path.exists():
        return True
    marker = f"{current_app.config['RQ_QUEUE']}:certificate:{path.name}"
    if redis_connection().set(marker, 1, nx=True, ex=300):
        job_queue().enqueue("tasks.agreements.make_certificate", agreement_id, verify_url, job_timeout=300,
                            result_ttl=600)
    return path.exists()


def build(agreement_id: int, verify_url: str) -> Path:
    """Render and certify the certificate of the current state, unless it exists already."""
    from documents.certificate import CertificateData, certify, render_pdf

    anchor = _anchor_data(agreement_id)
    with read_only():  # the transaction ends before LibreOffice works (no SQLite write lock held meanwhile)
        path = path_for(agreement_id)
        if path.exists():
            return path
        session = db.session
        agreement = session.get(Agreement, agreement_id)
        if agreement is None:
            raise pdf.DocumentError(f"协议 {agreement_id} 不存在")
        student = session.get(User, agreement.student_id)
        employer = session.get(Employer, agreement.employer_id)
        settings = document_settings()
        entries = evidence.entries(agreement_id)
        problems = evidence.verify(agreement_id)
        data = CertificateData(
            university=settings.university_name, office=settings.university_office,
            agreement_number=agreement.number or "", agreement_id=agreement.id,
            status=STATUS_LABELS.get(agreement.status, agreement.status), chain_intact=not problems,
            problems=problems, issued_at=local_text(datetime.now(LOCAL_TZ), SECONDS), verify_url=verify_url,
            parties=[("毕业生（甲方）", student.display_name if student else ""),
                     ("用人单位（乙方）", employer.name if employer else ""),
                     ("学校（丙方）", f"{settings.university_name} {settings.university_office}")],
            documents=[(str(d.version), KIND_LABELS.get(d.kind, d.kind), local_text(d.created_at, SECONDS), d.sha256)
                       for d in pdf.versions(agreement_id)],
            # the certificate goes to both parties: addresses are for the career office's pages only
            evidence=[(str(e.seq), local_text(e.at, SECONDS), e.actor_name or "系统", _act(e),
                       "已记录" if e.remote_addr else "—",
                       e.document_sha256 or "", e.entry_hash) for e in entries],
            anchor=anchor,
        )
        credential = pdf.credential_for(pdf.Party.UNIVERSITY, agreement_id)
    certified = certify(render_pdf(data, settings), credential, settings, location=settings.university_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_bytes(certified)
    os.replace(partial, path)  # readers see the whole file or none
    return path


def _anchor_data(agreement_id: int):
    """The current head's anchor (sealed now if the job after the last change has not run yet)."""
    from documents import seal
    from documents.certificate import AnchorData

    anchor = anchors.anchor_head(agreement_id)
    if anchor is None:
        return None
    statement, sealed = anchor.statement, anchor.seal_path.read_bytes()
    report = seal.check(statement, sealed, pdf.trust_roots())
    return AnchorData(count=anchor.count, head_hash=anchor.head_hash, signer=report.signer,
                      timestamp=local_text(report.timestamp, SECONDS) if report.ok else "无效", statement=statement,
                      statement_name=anchor.seal_path.with_suffix(".json").name, seal=sealed,
                      seal_name=anchor.seal_path.name)


def _act(entry) -> str:
    label = chain.ACT_LABELS.get(entry.act, entry.act)
    reason = (entry.details or {}).get("reason")
    return f"{label}：{reason}" if reason else label
