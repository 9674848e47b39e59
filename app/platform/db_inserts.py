"""INSERT ... ON CONFLICT DO NOTHING on both databases the platform runs on."""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert


def insert_ignoring_duplicates(session: Session, table: Table, keys: Sequence[str]) -> Insert:
    """An INSERT into `table` that leaves a row with the same `keys` as it is (one another transaction inserted
    first: this one waits for it to commit, then inserts nothing); add `.values(...)` and maybe `.returning()`."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing(index_elements=list(keys))
