"""Named sequences (agreement numbers per year/school/degree, later ticket numbers...): race-free, gap-free
numbers allocated with UPDATE ... RETURNING on a counter row, in the caller's transaction."""
from __future__ import annotations

from sqlalchemy import Integer, String, update
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db_inserts import insert_ignoring_duplicates
from app.platform.extensions import db


class Counter(db.Model):
    """Named sequences, allocated with UPDATE ... RETURNING."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


def next_value(name: str) -> int:
    """The next number of sequence `name` (1 for a new one); the counter row is created on first use."""
    session = db.session
    table = Counter.__table__
    bump = update(table).where(table.c.name == name).values(value=table.c.value + 1).returning(table.c.value)
    value = session.execute(bump).scalar()
    if value is None:
        session.execute(insert_ignoring_duplicates(session, table, ["name"]).values(name=name, value=0))
        value = session.execute(bump).scalar_one()
    return value
