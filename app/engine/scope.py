"""An instance's scope: which keys it carries and their values, as the area that starts it decides.

The engine knows no key: an area passes `start_instance(..., scope={"college": 3, "employer": 7})`, the
values are kept as text in `instance_scope` (one row per key), and access checks ask for the instances
holding one of a principal's values (`instances_in_scope`) or read one instance's scope (`scope_of`).
Open tasks have the scope of their instance.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, Select, select
from sqlalchemy.orm import Session

from app.engine.models import InstanceScope
from app.platform.extensions import db

ScopeValue = int | str
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_VALUE = 64


def scope_text(value: ScopeValue) -> str:
    """How a scope value is stored and compared: its text (3 and "3" are the same value)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"scope value {value!r}: an int or a short string")
    text = str(value)
    if not text or len(text) > MAX_VALUE:
        raise ValueError(f"scope value {value!r}: 1 to {MAX_VALUE} characters")
    return text


def scope_rows(scope: Mapping[str, ScopeValue | None] | None) -> list[dict]:
    """The instance_scope rows of a start's scope (keys with a None value carry no scope); raises ValueError
    on a malformed key or value, before anything is written."""
    rows = []
    for key, value in (scope or {}).items():
        if not isinstance(key, str) or not KEY.match(key):
            raise ValueError(f"scope key {key!r}: lower_case letters, digits, _ (at most 40)")
        if value is not None:
            rows.append({"key": key, "value": scope_text(value)})
    return rows


def instances_in_scope(key: str, values: Iterable[ScopeValue]) -> Select:
    """Ids of the instances whose scope `key` is one of `values` (through the (key, value) index)."""
    return select(InstanceScope.instance_id).where(
        InstanceScope.key == key, InstanceScope.value.in_(sorted({scope_text(v) for v in values})))


def scope_of(instance_id: int, conn: Connection | Session | None = None) -> dict[str, str]:
    """One instance's scope: key -> value (text); read on `conn` if given, else on the session."""
    conn = conn if conn is not None else db.session
    return dict(conn.execute(select(InstanceScope.key, InstanceScope.value)
                             .where(InstanceScope.instance_id == instance_id)).all())
