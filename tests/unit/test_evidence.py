"""The evidence chain's hashing and checks, and the agreement domain rules: pure functions, no database."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import pytest

from app.services import evidence as chain
from app.services.agreements import can_transition, degree_code, format_number, parse_cycle, parse_duration

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


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


def build(*acts: str) -> list[Entry]:
    entries, prev = [], chain.GENESIS
    for i, act in enumerate(acts, start=1):
        entry = Entry(7, i, T0 + timedelta(minutes=i), 3, "张三丰", act, f"10.0.0.{i}", None, {"n": i, "说明": "中文"})
        entry = replace(entry, prev_hash=prev, entry_hash=chain.entry_hash(prev, entry))
        entries.append(entry)
        prev = entry.entry_hash
    return entries


def test_an_intact_chain_has_no_problems():
    entries = build("offered", "viewed", "accepted")
    assert chain.check_chain("AGR-7", entries) == []
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
    problems = chain.check_chain("AGR-7", entries)
    assert problems == ["AGR-7 第 2 条（查看）：内容被修改（哈希值不符）"]


def test_an_altered_entry_with_a_recomputed_hash_breaks_the_next_link():
    entries = build("offered", "viewed", "accepted")
    forged = replace(entries[1], remote_addr="192.168.1.1")
    entries[1] = replace(forged, entry_hash=chain.entry_hash(forged.prev_hash, forged))
    problems = chain.check_chain("AGR-7", entries)
    assert len(problems) == 1 and "第 3 条" in problems[0] and "链接不符" in problems[0]


def test_a_deleted_entry_is_detected():
    entries = build("offered", "viewed", "accepted", "reviewed")
    del entries[1]
    problems = chain.check_chain("AGR-7", entries)
    assert any("缺少第 2–2 条" in p for p in problems) and any("链接不符" in p for p in problems)


def test_reordered_entries_are_detected():
    entries = build("offered", "viewed", "accepted", "reviewed")
    entries[1], entries[2] = entries[2], entries[1]
    problems = chain.check_chain("AGR-7", entries)
    assert any("顺序" in p for p in problems) and any("链接不符" in p for p in problems)


def test_a_cut_off_end_is_caught_by_the_agreement_state():
    entries = build("offered", "accepted", "numbered", "signed", "in_force")
    cut = entries[:3]
    assert chain.check_chain("AGR-7", cut) == []  # a shorter chain is still a valid chain...
    problems = chain.check_state("AGR-7", "in_force", "2026-10001-B-000001", ["f" * 64], cut)
    assert any("协议生效" in p for p in problems) and any("没有对应的签署证据" in p for p in problems)
    assert chain.check_state("AGR-7", "offered", None, [], []) == ["AGR-7：没有任何证据记录"]


def test_domain_rules():
    assert parse_duration("P7D") == timedelta(days=7)
    assert parse_duration("PT1S") == timedelta(seconds=1)
    assert parse_duration("P1W2DT3H4M5.5S") == timedelta(days=9, hours=3, minutes=4, seconds=5.5)
    for bad in ("", "P", "7D", "PT", "P1Y"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert parse_cycle("R3/P2D") == (3, timedelta(days=2)) and parse_cycle("R/PT1H") == (None, timedelta(hours=1))
    assert format_number(2026, "10001", "本科", 42) == "2026-10001-B-000042"
    assert degree_code("博士") == "D" and degree_code("专科") == "Z"
    assert can_transition("offered", "accepted") and can_transition("in_review", "accepted")
    assert not can_transition("offered", "in_force") and not can_transition("revoked", "offered")
    assert not can_transition("in_force", "revoked") and can_transition("in_force", "rescinded")
