"""The task list as the platform registers it: the inbox and task pages, the Tasks menu entry with its badge."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.platform.areas import Area, NavEntry
from app.tasklist.queries import badge_count
from app.tasklist.routes import bp, inbox_bp

AREA = Area(
    name="tasklist", label=_l("Tasks"), package="app.tasklist",
    blueprints=(inbox_bp, bp),
    nav=(NavEntry(_l("Tasks"), "inbox.index", permission="inbox.view", order=10, badge=badge_count),),
)
