"""The toy area's verbs: one unit of work each, ids and values in, a named exception out."""
from __future__ import annotations

from app.platform.queue import redis_connection
from app.platform.sequences import next_value
from app.platform.uow import unit_of_work
from tests.toy_area.domain import SEQUENCE, ticket_number


class ToyError(Exception):
    """A refused toy request; the message is for users."""


def stamp(wish: str) -> str:
    """A new ticket number for a wish."""
    if not (wish or "").strip():
        raise ToyError("a wish is needed")
    with unit_of_work() as uow:
        number = ticket_number(next_value(SEQUENCE))
        uow.commit()
    return number


def sweep() -> None:
    """The periodic job's work: count the sweeps (a real area would clean something up)."""
    redis_connection().incr("toy:sweeps")
