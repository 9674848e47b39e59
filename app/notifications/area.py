"""The notification centre as the platform registers it: its pages (the bell's list) and its templates."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.notifications import models  # noqa: F401 - the centre's tables
from app.notifications.routes import bp
from app.platform.areas import Area

AREA = Area(name="notifications", label=_l("Notifications"), package="app.notifications", blueprints=(bp,))
