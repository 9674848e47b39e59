"""Reporting's registration with the platform (docs/areas.md): operations for admins, analytics for process
owners, the office's reports (the areas' ReportDefinitions and its own), the read models' periodic update
and rebuild command."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.platform.areas import Area, NavEntry, PeriodicJob
from app.reporting import models  # noqa: F401 - its tables (Alembic sees them)
from app.reporting.cli import rebuild_command
from app.reporting.routes import BLUEPRINTS

AREA = Area(
    name="reporting", label=_l("Reports"), package="app.reporting",
    blueprints=BLUEPRINTS,
    nav=(NavEntry(_l("Operations"), "operations.dashboard", permission="operations.view", order=72),
         NavEntry(_l("Process analytics"), "analytics.index", permission="analytics.view", order=74)),
    cli=(rebuild_command,),
    periodic_jobs=(PeriodicJob("reporting.catch_up", "tasks.reporting.catch_up", every_s=60),),
)
