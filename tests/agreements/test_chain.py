"""The evidence chain's hashing and checks: pure functions, no database, no app."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from app.agreements import chain

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
KEY = b"a key the database never holds"


@dataclass(frozen=True)
class Entry:
    agreement_id: int
    seq: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    act: str
    remote_addr: str | None
    document_sha256: str | None
    details: dict | None
    prev_hash: str = ""
    entry_hash: str = ""
    entry_mac: str | None = None


def build(*acts: str) -> list[Entry]:
    entries, prev = [], chain.GENESIS
    for i, act in enumerate(acts, start=1):
        entry = Entry(7, i, T0 + timedelta(minutes=i), 3, "张三丰", act, f"10.0.0.{i}", None, {"n": i, "说明": "中文"})
        entry = replace(entry, prev_hash=prev, entry_hash=chain.entry_hash(prev, entry))
        entry = replace(entry, entry_mac=chain.entry_mac(KEY, entry.entry_hash))
        entries.append(entry)
        prev = entry.entry_hash
    return entries


def test_an_intact_chain_has_no_problems():
    entries = build("offered", "viewed", "accepted")
    assert chain.check_chain("AGR-7", entries, KEY) == []
    assert chain.check_state("AGR-7", "accepted", None, [], entries) == []


def test_the_hash_covers_every_field_and_is_stable():
    entry = build("offered")[0]
    for change in ({"remote_addr": "10.9.9.9"}, {"actor_id": 4}, {"act": "viewed"}, {"details": {"n": 2}},
                   {"at": T0 + timedelta(microseconds=1)}, {"document_sha256": "a" * 64}, {"seq": 2},
                   {"agreement_id": 8}, {"actor_name": "李四"}):
        assert chain.entry_hash(entry.prev_hash, replace(entry, **change)) != entry.entry_hash, change
    # the same instant in another zone, and dict key order, hash the same
    shifted = replace(entry, at=entry.at.astimezone(timezone(timedelta(hours=8))),
                      details=dict(reversed(list(entry.details.items()))))
    assert chain.entry_hash(entry.prev_hash, shifted) == entry.entry_hash


def test_an_altered_entry_is_detected():
    entries = build("offered", "viewed", "accepted")
    entries[1] = replace(entries[1], remote_addr="192.168.1.1")
    problems = chain.check_chain("AGR-7", entries, KEY)
    assert problems == ["AGR-7 第 2 条（查看）：内容被修改（哈希值不符）"]


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link():
    entries = build("offered", "viewed", "accepted")
    forged = replace(entries[1], remote_addr="192.168.1.1")
    entries[1] = replace(forged, entry_hash=chain.entry_hash(forged.prev_hash, forged))
    problems = chain.check_chain("AGR-7", entries, KEY)
    assert len(problems) == 2 and "第 2 条" in problems[0] and "密封值不符" in problems[0]
    assert "第 3 条" in problems[1] and "链接不符" in problems[1]


def test_an_edit_with_every_following_hash_recomputed_is_caught_by_the_seal():
    """Someone with write access to the database rewrites entry 2 and recomputes the hashes after it: the
    links hold, but without the key (outside the database) the seals cannot be remade."""
    entries = build("offered", "viewed", "accepted", "reviewed")
    prev = entries[0].entry_hash
    for i in range(1, len(entries)):
        forged = replace(entries[i], prev_hash=prev, remote_addr="192.168.1.1" if i == 1 else entries[i].remote_addr)
        forged = replace(forged, entry_hash=chain.entry_hash(prev, forged))
        entries[i], prev = forged, forged.entry_hash
    problems = chain.check_chain("AGR-7", entries, KEY)
    assert [p[:len("AGR-7 第 2 条")] for p in problems] == ["AGR-7 第 2 条", "AGR-7 第 3 条", "AGR-7 第 4 条"]
    assert all("密封值不符" in p for p in problems)
    # a seal made with another key is no seal either
    assert chain.check_chain("AGR-7", build("offered"), b"another key") != []


def test_a_deleted_entry_is_detected():
    entries = build("offered", "viewed", "accepted", "reviewed")
    del entries[1]
    problems = chain.check_chain("AGR-7", entries, KEY)
    assert any("缺少第 2–2 条" in p for p in problems) and any("链接不符" in p for p in problems)


def test_reordered_entries_are_detected():
    entries = build("offered", "viewed", "accepted", "reviewed")
    entries[1], entries[2] = entries[2], entries[1]
    problems = chain.check_chain("AGR-7", entries, KEY)
    assert any("顺序" in p for p in problems) and any("链接不符" in p for p in problems)


def test_a_cut_off_end_is_caught_by_the_agreement_state():
    entries = build("offered", "accepted", "numbered", "signed", "in_force")
    cut = entries[:3]
    assert chain.check_chain("AGR-7", cut, KEY) == []  # a shorter chain is still a valid chain...
    problems = chain.check_state("AGR-7", "in_force", "2026-10001-B-000001", ["f" * 64], cut)
    assert any("协议生效" in p for p in problems) and any("没有对应的签署证据" in p for p in problems)
    assert chain.check_state("AGR-7", "offered", None, [], []) == ["AGR-7：没有任何证据记录"]
