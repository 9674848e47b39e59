"""The toy area's demo data: a desk clerk (career-office staff)."""
from __future__ import annotations

from app.identity.demo import DEMO_PASSWORD, add_accounts
from app.platform.uow import unit_of_work

ACCOUNTS = [("toy_clerk", "Toy desk clerk", ["staff"], {})]


def load(password: str = DEMO_PASSWORD) -> None:
    with unit_of_work() as uow:
        add_accounts(uow.session, ACCOUNTS, password, {})
        uow.commit()
