"""The toy area's scope key `shelf`: a shelf check is started with scope={"shelf": "a"} and waits for the
keepers of shelf a. Who keeps which shelf is the toy's own business; here, the name says it: an account
named keeper_<shelf>_<anything> keeps that shelf. A role sees shelf tasks with `scope = "shelf"`."""
from __future__ import annotations

from sqlalchemy import Select, select

from app.identity.models import User
from app.platform.areas import ScopeProvider

PREFIX = "keeper_"


def shelves_of(user: User) -> frozenset[str]:
    parts = user.username.split("_")
    return frozenset({parts[1]}) if user.username.startswith(PREFIX) and len(parts) > 2 else frozenset()


def keepers_of(shelf: str) -> Select:
    escaped = shelf.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    return select(User.id).where(User.username.like(f"{PREFIX}{escaped}\\_%", escape="\\"))


SHELF = ScopeProvider("shelf", values_of=shelves_of, holders=keepers_of)
