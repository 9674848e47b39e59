"""Booking's registration with the platform (docs/areas.md): the resource catalogue, bookings and their
process, the waitlist, credit and suspensions, device calls through the worker, usage statistics."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.bookings import demo, live_events, models, notices  # noqa: F401 - models: the tables
from app.bookings.routes import BLUEPRINTS
from app.identity.demo import demo_accounts
from app.platform.areas import Area, DemoData, NavEntry, ReportDefinition

AREA = Area(
    name="bookings",
    label=_l("Bookings"),
    package="app.bookings",
    blueprints=BLUEPRINTS,
    operations=("tasks.bookings",),
    nav=(NavEntry(_l("Bookings"), "bookings.index", permission="booking.view", order=45),),
    demo=DemoData("bookings", demo.load, demo_accounts(demo.ACCOUNTS), after=("identity",)),
    reports=(
        ReportDefinition("bookings.usage", _l("Room and device usage"), "booking.report",
                         process_keys=("device_booking",), fields=("booking_decision",),
                         group_by=("resource", "college"),
                         description=_l("Hours booked against hours used and the no-show rate, per resource and "
                                        "department.")),
    ),
    scope_keys=("college",),
    notification_kinds=notices.KINDS,
    live_channels=live_events.CHANNELS,
)
