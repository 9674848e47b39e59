"""Reporting's registration with the platform (docs/areas.md): operations for admins, analytics for process
owners, the office's reports (the areas' ReportDefinitions and its own), the read models' periodic update
and rebuild command."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.platform.areas import Area, NavEntry, PeriodicJob, ReportDefinition
from app.reporting import bigscreen, models  # noqa: F401 - models: its tables (Alembic sees them)
from app.reporting.cli import rebuild_command
from app.reporting.routes import BLUEPRINTS

AREA = Area(
    name="reporting", label=_l("Reports"), package="app.reporting",
    blueprints=BLUEPRINTS,
    nav=(NavEntry(_l("Operations"), "operations.dashboard", permission="operations.view", order=72),
         NavEntry(_l("Process analytics"), "analytics.index", permission="analytics.view", order=74),
         NavEntry(_l("Reports"), "reports.destinations", permission="report.view", order=76),
         NavEntry(_l("Big screen"), "bigscreen.screen", permission="report.view", order=78)),
    reports=(
        ReportDefinition("reporting.agreements", _l("Agreements per college"), "report.view",
                         process_keys=("tripartite_agreement",), group_by=("college",),
                         description=_l("Offers, accepted, signed, rescinded, outstanding; median days from offer "
                                        "to signature.")),
        ReportDefinition("reporting.cycle_time", _l("Cycle time, time per task, SLA, variants"), "analytics.view",
                         process_keys=(), group_by=("process", "task"),
                         description=_l("From the process history, per process (process analytics).")),
    ),
    cli=(rebuild_command,),
    live_channels=bigscreen.CHANNELS,
    setup=bigscreen.setup,
    periodic_jobs=(PeriodicJob("reporting.catch_up", "tasks.reporting.catch_up", every_s=60),),
)
