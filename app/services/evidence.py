"""The evidence chain of an agreement (签约存证): who did what, when, from where, on which document version.

Each agreement has its own append-only chain of `EvidenceEntry` rows numbered 1, 2, 3... Every entry stores
the hash of the entry before it (`prev_hash`, 64 zeros for the first) and its own hash::

    entry_hash = SHA-256(prev_hash + canonical JSON of {agreement_id, seq, at, actor_id, actor_name, act,
                                                         remote_addr, document_sha256, details})

so editing any field of a past entry, deleting an entry or swapping two entries breaks the chain
(`check_chain`). Deleting the newest entries leaves a shorter valid chain; `verify` therefore also checks
the chain against the agreement's own state (a status, a number or a signed document version that no
entry accounts for). The hashing and checking are pure functions, testable without a database.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from sqlalchemy import func, insert, select

from app.models import Agreement, AgreementDocument, EvidenceEntry, User
from app.platform.db_types import utcnow
from app.platform.extensions import db

GENESIS = "0" * 64
ACTS = frozenset({
    "offered", "viewed", "filled", "returned", "accepted", "declined", "expired", "reviewed", "signed", "numbered",
    "in_force", "revoked", "rescission_requested", "rescission_agreed", "rescinded", "downloaded", "verified",
})
ACT_LABELS = {
    "offered": "发出签约邀请", "viewed": "查看", "filled": "填写/修改", "returned": "退回修改", "accepted": "接受邀请",
    "declined": "拒绝邀请", "expired": "邀请过期", "reviewed": "审核", "signed": "电子签署", "numbered": "分配编号",
    "in_force": "协议生效", "revoked": "撤回邀请", "rescission_requested": "申请解约", "rescission_agreed": "同意解约",
    "rescinded": "协议解除", "downloaded": "下载协议书", "verified": "验证协议书",
}
# The act that must be in the chain when the agreement has reached a status.
STATUS_ACTS = {"accepted": "accepted", "declined": "declined", "expired": "expired", "revoked": "revoked",
               "in_force": "in_force", "rescinded": "rescinded"}


class EntryLike(Protocol):
    agreement_id: int
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    act: str
    remote_addr: str | None
    document_sha256: str | None
    details: dict | None
    prev_hash: str
    entry_hash: str


# -- pure -----------------------------------------------------------------------------------------------

def _timestamp(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entry: EntryLike | dict) -> bytes:
    """The bytes an entry's hash covers (stable across databases: sorted keys, UTC microseconds)."""
    get = entry.get if isinstance(entry, dict) else lambda k: getattr(entry, k)
    body = {
        "agreement_id": get("agreement_id"), "seq": get("seq"), "at": _timestamp(get("at")),
        "actor_id": get("actor_id"), "actor_name": get("actor_name"), "act": get("act"),
        "remote_addr": get("remote_addr"), "document_sha256": get("document_sha256"),
        "details": get("details") or None,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def entry_hash(prev_hash: str, entry: EntryLike | dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(entry)).hexdigest()


def check_chain(label: str, entries: Sequence[EntryLike]) -> list[str]:
    """Problems in one agreement's chain, `entries` in storage order (by id). Empty list = intact."""
    problems: list[str] = []
    prev = GENESIS
    expected_seq = 1
    for position, entry in enumerate(entries):
        where = f"{label} 第 {entry.seq} 条（{ACT_LABELS.get(entry.act, entry.act)}）"
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                problems.append(f"{label}：缺少第 {expected_seq}–{entry.seq - 1} 条证据（已被删除）")
            else:
                problems.append(f"{where}：序号重复或顺序被调换（应为第 {expected_seq} 条）")
        if entry.prev_hash != prev:
            problems.append(f"{where}：与前一条证据的链接不符（前一条被修改、删除或顺序被调换）")
        if entry_hash(entry.prev_hash, entry) != entry.entry_hash:
            problems.append(f"{where}：内容被修改（哈希值不符）")
        if entry.act not in ACTS:
            problems.append(f"{where}：未知的行为类型 {entry.act!r}")
        if position and entries[position - 1].at > entry.at:
            problems.append(f"{where}：时间早于前一条证据")
        prev = entry.entry_hash
        expected_seq = max(expected_seq, entry.seq) + 1
    return problems


def check_state(label: str, status: str, number: str | None, signed_hashes: Iterable[str],
                entries: Sequence[EntryLike]) -> list[str]:
    """Problems between the agreement's state and its chain (catches entries cut off the end)."""
    acts = {e.act for e in entries}
    hashes = {e.document_sha256 for e in entries if e.act == "signed"}
    problems = []
    if not entries:
        problems.append(f"{label}：没有任何证据记录")
        return problems
    if entries[0].act != "offered":
        problems.append(f"{label}：第一条证据不是“发出签约邀请”")
    wanted = STATUS_ACTS.get(status)
    if wanted and wanted not in acts:
        problems.append(f"{label}：协议状态为 {status}，但证据链中没有“{ACT_LABELS[wanted]}”记录")
    if number and "numbered" not in acts:
        problems.append(f"{label}：协议已编号，但证据链中没有“分配编号”记录")
    for sha in signed_hashes:
        if sha not in hashes:
            problems.append(f"{label}：签署后的协议书版本 {sha[:12]}… 没有对应的签署证据")
    return problems


# -- database -------------------------------------------------------------------------------------------

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
        "document_sha256": document_sha256, "details": _json_safe(details) or None,
    }
    row["prev_hash"] = last.entry_hash if last else GENESIS
    row["entry_hash"] = entry_hash(row["prev_hash"], row)
    session.execute(insert(EvidenceEntry.__table__).values(**row))
    return None


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
    problems: list[str] = []
    for a in agreements:
        label = f"协议 AGR-{a.id}" + (f"（{a.number}）" if a.number else "")
        chain = by_agreement.get(a.id, [])
        problems += check_chain(label, chain)
        problems += check_state(label, a.status, a.number, signed.get(a.id, []), chain)
    orphans = set(by_agreement) - set(ids)
    problems += [f"证据记录指向不存在的协议 {i}" for i in sorted(orphans)]
    return problems


def count() -> tuple[int, int]:
    agreements = db.session.execute(select(func.count()).select_from(Agreement)).scalar()
    rows = db.session.execute(select(func.count()).select_from(EvidenceEntry)).scalar()
    return agreements, rows


def _json_safe(value: Any) -> Any:
    """Details are hashed as JSON: keep them to JSON types (dates become ISO text)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime):
        return _timestamp(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
