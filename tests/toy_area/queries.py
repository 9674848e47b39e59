"""The toy area's read side."""
from __future__ import annotations

from sqlalchemy import select

from app.platform.extensions import db
from app.platform.sequences import Counter
from tests.toy_area.domain import SEQUENCE


def tickets_issued() -> int:
    return db.session.execute(select(Counter.value).where(Counter.name == SEQUENCE)).scalar() or 0
