"""Anchors of the evidence chains outside the database (签约存证锚定).

After every entry that changes an agreement (every act but viewing, downloading and verifying) a worker
seals the chain's head, ``{"agreement_id", "count", "head_hash"}``, with the university's signing key and an
RFC 3161 timestamp from the configured TSA (documents/seal.py), and stores statement and seal as files
under ``<documents>/evidence-anchors/<agreement id>/`` beside the agreement's PDFs, not in the database.
Someone who can only write to the database can then neither cut entries off the end of a chain (the
anchor counts more entries than are left) nor rewrite an anchored entry (the anchor names its hash); the
entries' HMAC (app/agreements/chain.py) covers every entry in between.

What remains open, and is said so: entries appended after the last anchor (views and downloads since the
last change, or a change whose sealing job has not run yet) can be cut off without a trace.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from app.agreements import evidence, pdf
from app.platform.document_settings import document_settings
from app.platform.uow import read_only

FOLDER = "evidence-anchors"


@dataclass(frozen=True)
class Anchor:
    agreement_id: int
    count: int
    head_hash: str
    seal_path: Path

    @property
    def statement(self) -> bytes:
        return self.seal_path.with_suffix(".json").read_bytes()


def statement(agreement_id: int, count: int, head_hash: str) -> bytes:
    return json.dumps({"agreement_id": agreement_id, "count": count, "head_hash": head_hash,
                       "kind": "evidence-chain-head"}, sort_keys=True, separators=(",", ":")).encode("ascii")


def folder(agreement_id: int) -> Path:
    return pdf.documents_dir() / FOLDER / str(int(agreement_id))


def anchor_head(agreement_id: int) -> Anchor | None:
    """Seal the chain's current head unless it is sealed already; None when the chain is empty."""
    from documents import seal

    with read_only():
        last = evidence.last_entry(agreement_id)
        if last is None:
            return None
        name = f"{last.seq:06d}-{last.entry_hash[:16]}"
        existing = folder(agreement_id) / f"{name}.p7s"
        if existing.exists():
            return Anchor(agreement_id, last.seq, last.entry_hash, existing)
        credential = pdf.credential_for(pdf.Party.UNIVERSITY, agreement_id)
    body = statement(agreement_id, last.seq, last.entry_hash)
    sealed = seal.seal(body, credential, document_settings())
    return Anchor(agreement_id, last.seq, last.entry_hash, seal.write(folder(agreement_id), name, body, sealed))


def anchors_of(agreement_id: int) -> list[Anchor]:
    """The agreement's anchors, oldest first (a file that is not a valid statement is left out and reported
    by `problems`)."""
    found = []
    for path in sorted(folder(agreement_id).glob("*.p7s")):
        try:
            body = json.loads(path.with_suffix(".json").read_bytes())
            found.append(Anchor(int(body["agreement_id"]), int(body["count"]), str(body["head_hash"]), path))
        except (OSError, ValueError, KeyError, TypeError):
            found.append(Anchor(agreement_id, -1, "", path))
    return sorted(found, key=lambda a: a.count)


def anchored_agreements() -> set[int]:
    base = pdf.documents_dir() / FOLDER
    return {int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isascii() and p.name.isdigit()} \
        if base.is_dir() else set()


def problems(label: str, agreement_id: int, head_hashes: list[str]) -> list[str]:
    """What the anchors say about a chain whose entry hashes, in order, are ``head_hashes``."""
    from documents import seal

    found: list[str] = []
    anchors = anchors_of(agreement_id)
    for anchor in anchors:
        if anchor.count < 1 or anchor.agreement_id != agreement_id:
            found.append(f"{label}：锚定文件 {anchor.seal_path.name} 无法读取或不属于本协议")
        elif anchor.count > len(head_hashes):
            found.append(f"{label}：证据链只剩 {len(head_hashes)} 条，但学校已签名并加时间戳锚定了 {anchor.count} 条"
                         f"（第 {len(head_hashes) + 1}–{anchor.count} 条被删除）")
        elif head_hashes[anchor.count - 1] != anchor.head_hash:
            found.append(f"{label} 第 {anchor.count} 条：与学校签名锚定的链哈希不符（证据被改写）")
    valid = [a for a in anchors if a.count > 0 and a.agreement_id == agreement_id]
    if valid:
        latest = valid[-1]
        report = seal.check(latest.statement, latest.seal_path.read_bytes(), pdf.trust_roots())
        if not report.ok:
            found.append(f"{label}：第 {latest.count} 条处的锚定签名或时间戳无效")
    return found
