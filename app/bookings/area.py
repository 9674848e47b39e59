"""Booking's registration with the platform (docs/areas.md): the resource catalogue, bookings and their
process, the waitlist, credit and suspensions, device calls through the worker, usage statistics."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.bookings import models, notices  # noqa: F401 - models: the tables
from app.platform.areas import Area

AREA = Area(
    name="bookings",
    label=_l("Bookings"),
    package="app.bookings",
    operations=("tasks.bookings",),
    scope_keys=("college",),
    notification_kinds=notices.KINDS,
)
