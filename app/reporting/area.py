"""Reporting's registration with the platform (docs/areas.md): operations for admins, analytics for process
owners, the office's reports (the areas' ReportDefinitions and its own), the read models' periodic update
and rebuild command."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.platform.areas import Area, NavEntry
from app.reporting import models  # noqa: F401 - its tables (Alembic sees them)
from app.reporting.routes import ops_bp

AREA = Area(
    name="reporting", label=_l("Reports"), package="app.reporting",
    blueprints=(ops_bp,),
    nav=(NavEntry(_l("Operations"), "operations.dashboard", permission="operations.view", order=72),),
)
