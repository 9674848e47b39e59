"""The evidence chain of an agreement (签约存证): who did what, when, from where, on which document version.

Each agreement has its own append-only chain of `EvidenceEntry` rows numbered 1, 2, 3... Every entry stores
the hash of the entry before it (`prev_hash`, 64 zeros for the first) and its own hash::

    entry_hash = SHA-256(prev_hash + canonical JSON of {agreement_id, seq, at, actor_id, actor_name, act,
                                                         remote_addr, document_sha256, details})

so editing any field of a past entry, deleting an entry or swapping two entries breaks the chain
(`check_chain`). Hashes alone do not stop someone who can write to the database: they can edit an entry
and recompute every hash after it. So each entry also carries `entry_mac = HMAC-SHA256(key, entry_hash)`
with a key the database does not hold (EVIDENCE_KEY: the environment or a file under var/), and the
chain's head is anchored outside the database at every change (app/agreements/anchors.py): a shorter
chain than an anchor's count, or another hash at its count, is a deletion. `verify` also checks the chain
against the agreement's own state (a status, a number or a signed document version that no entry accounts
for). The hashing and checking are here, pure and testable without a database; the rows are written and
read by app/agreements/evidence.py.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from app.agreements import domain

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
# Acts that only read: every other act changes the agreement, and its chain's head is anchored after it.
READ_ACTS = frozenset({"viewed", "downloaded", "verified"})
# The act that must be in the chain when the agreement has reached a status.
STATUS_ACTS = {status: status for status in (domain.ACCEPTED, domain.DECLINED, domain.EXPIRED, domain.REVOKED,
                                             domain.IN_FORCE, domain.RESCINDED)}


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
    entry_mac: str | None


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


def entry_mac(key: bytes, entry_hash_hex: str) -> str:
    """The entry's seal: only a holder of the key (never stored in the database) can make it."""
    return hmac.new(key, entry_hash_hex.encode("ascii"), hashlib.sha256).hexdigest()


def check_chain(label: str, entries: Sequence[EntryLike], key: bytes) -> list[str]:
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
        elif not hmac.compare_digest(entry.entry_mac or "", entry_mac(key, entry.entry_hash)):
            problems.append(f"{where}：密封值不符（记录在数据库中被改写，哈希值被重新计算）")
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



def json_safe(value: Any) -> Any:
    """Details are hashed as JSON: keep them to JSON types (dates become ISO text)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return _timestamp(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
