"""The evidence chain's rows (签约存证): appending an entry in the caller's transaction, reading a chain back,
and checking every chain against its agreement and its anchors. The hashing and the checks are
app/agreements/chain.py; the anchors outside the database are app/agreements/anchors.py."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, insert, select

from app.agreements.chain import ACTS, GENESIS, READ_ACTS, check_chain, check_state, entry_hash, entry_mac, json_safe
from app.agreements.models import Agreement, AgreementDocument, EvidenceEntry
from app.identity.models import User
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import after_commit


def append(agreement_id: int, act: str, actor_id: int | None, remote_addr: str | None = None,
           details: dict | None = None, document_sha256: str | None = None, *, job_key: str | None = None
           ) -> EvidenceEntry | None:
    """Append one entry in the caller's transaction (the caller commits).

    The agreement row is locked first (FOR UPDATE on PostgreSQL; SQLite transactions are serialised), so
    two writers never take the same sequence number. With `job_key` (a service task's idempotency key) the
    entry is written once per job: a re-run finds it and returns None.
    """
    if act not in ACTS:
        raise ValueError(f"unknown evidence act {act!r}")
    session = db.session
    locked = session.execute(select(Agreement.id).where(Agreement.id == agreement_id).with_for_update()).scalar()
    if locked is None:
        raise LookupError(f"agreement {agreement_id} not found")
    details = dict(details or {})
    if job_key is not None:
        details["job"] = job_key
        done = session.execute(select(EvidenceEntry.details).where(EvidenceEntry.agreement_id == agreement_id,
                                                                   EvidenceEntry.act == act)).scalars().all()
        if any((d or {}).get("job") == job_key for d in done):
            return None
    last = last_entry(agreement_id)
    actor_name = None
    if actor_id is not None:
        actor_name = session.execute(select(User.display_name).where(User.id == actor_id)).scalar()
    at = utcnow()
    if last is not None and last.at > at:  # clocks of different machines: never go backwards in one chain
        at = last.at
    row = {
        "agreement_id": agreement_id, "seq": (last.seq if last else 0) + 1, "at": at, "actor_id": actor_id,
        "actor_name": actor_name, "act": act, "remote_addr": (remote_addr or None) and remote_addr[:64],
        "document_sha256": document_sha256, "details": json_safe(details) or None,
    }
    row["prev_hash"] = last.entry_hash if last else GENESIS
    row["entry_hash"] = entry_hash(row["prev_hash"], row)
    row["entry_mac"] = entry_mac(_key(), row["entry_hash"])
    session.execute(insert(EvidenceEntry.__table__).values(**row))
    if act not in READ_ACTS:
        after_commit(lambda: _request_anchor(agreement_id))
    return None


def _key() -> bytes:
    return current_app.config["EVIDENCE_KEY"].encode("utf-8")


def _request_anchor(agreement_id: int) -> None:
    from rq import Retry

    from app.platform.queue import job_queue

    job_queue().enqueue("tasks.agreements.anchor_evidence", agreement_id, job_timeout=120, result_ttl=600,
                        failure_ttl=7 * 86400, retry=Retry(max=5, interval=[5, 30, 120, 600, 3600]))


def last_entry(agreement_id: int):
    """(seq, entry_hash, at) of the agreement's latest entry, or None."""
    return db.session.execute(select(EvidenceEntry.seq, EvidenceEntry.entry_hash, EvidenceEntry.at)
                              .where(EvidenceEntry.agreement_id == agreement_id)
                              .order_by(EvidenceEntry.seq.desc()).limit(1)).one_or_none()


def entries(agreement_id: int) -> list[EvidenceEntry]:
    return list(db.session.execute(select(EvidenceEntry).where(EvidenceEntry.agreement_id == agreement_id)
                                   .order_by(EvidenceEntry.id)).scalars())


def verify(agreement_id: int | None = None) -> list[str]:
    """Problems of one agreement's evidence (or of every agreement's); empty list = intact."""
    query = select(Agreement.id, Agreement.status, Agreement.number)
    if agreement_id is not None:
        query = query.where(Agreement.id == agreement_id)
    agreements = db.session.execute(query.order_by(Agreement.id)).all()
    if agreement_id is not None and not agreements:
        return [f"协议 {agreement_id} 不存在"]
    ids = [a.id for a in agreements]
    by_agreement: dict[int, list[EvidenceEntry]] = {i: [] for i in ids}
    signed: dict[int, list[str]] = {i: [] for i in ids}
    entry_query = select(EvidenceEntry).order_by(EvidenceEntry.agreement_id, EvidenceEntry.id)
    doc_query = select(AgreementDocument.agreement_id, AgreementDocument.sha256).where(
        AgreementDocument.kind.like("signed_%"))
    if agreement_id is not None:
        entry_query = entry_query.where(EvidenceEntry.agreement_id == agreement_id)
        doc_query = doc_query.where(AgreementDocument.agreement_id == agreement_id)
    for entry in db.session.execute(entry_query).scalars():
        by_agreement.setdefault(entry.agreement_id, []).append(entry)
    for row in db.session.execute(doc_query):
        signed.setdefault(row.agreement_id, []).append(row.sha256)
    from app.agreements import anchors

    problems: list[str] = []
    key = _key()
    for a in agreements:
        label = f"协议 AGR-{a.id}" + (f"（{a.number}）" if a.number else "")
        chain = by_agreement.get(a.id, [])
        problems += check_chain(label, chain, key)
        problems += check_state(label, a.status, a.number, signed.get(a.id, []), chain)
        problems += anchors.problems(label, a.id, [e.entry_hash for e in chain])
    orphans = set(by_agreement) - set(ids)
    problems += [f"证据记录指向不存在的协议 {i}" for i in sorted(orphans)]
    if agreement_id is None:
        problems += [f"协议 AGR-{i} 的证据链已由学校签名锚定，但协议已从数据库中消失"
                     for i in sorted(anchors.anchored_agreements() - set(ids))]
    return problems


def count() -> tuple[int, int]:
    agreements = db.session.execute(select(func.count()).select_from(Agreement)).scalar()
    rows = db.session.execute(select(func.count()).select_from(EvidenceEntry)).scalar()
    return agreements, rows
