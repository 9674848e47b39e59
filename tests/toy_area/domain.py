"""The toy area's one rule: how a ticket number is written."""
from __future__ import annotations

SEQUENCE = "toy:tickets"


def ticket_number(seq: int) -> str:
    return f"TOY-{seq:04d}"
