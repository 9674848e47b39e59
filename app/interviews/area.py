"""Recruiting's registration with the platform (docs/areas.md): positions and their review, applications,
job fairs with booths and their live queues, interview invitations."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.identity.demo import demo_accounts
from app.interviews import demo, live_channels, models, notices, task_notices  # noqa: F401 - models: the tables
from app.interviews.cli import queue_rebuild
from app.interviews.routes import BLUEPRINTS
from app.platform.areas import Area, DemoData, NavEntry, PeriodicJob, ReportDefinition


AREA = Area(
    name="interviews",
    label=_l("Recruiting"),
    package="app.interviews",
    blueprints=BLUEPRINTS,
    operations=("tasks.interviews",),
    nav=(NavEntry(_l("Positions"), "positions.index", permission="position.view", order=30),
         NavEntry(_l("Job fairs"), "fairs.index", permission="fair.view", order=32),
         NavEntry(_l("Interviews"), "invitations.index", permission="invitation.view", order=34),
         NavEntry(_l("Recruiting reports"), "interview_reports.index", permission="interview.report", order=70)),
    demo=DemoData("interviews", demo.load, demo_accounts(demo.ACCOUNTS), after=("identity", "employers", "agreements")),
    reports=(
        ReportDefinition("interviews.funnel", _l("Recruiting funnel per fair and employer"), "interview.report",
                         process_keys=("interview_invitation",), fields=("answer", "outcome"),
                         group_by=("fair", "employer"),
                         description=_l("Applied, invited, accepted, checked in, interviewed, offer, agreement "
                                        "signed: distinct students per step.")),
        ReportDefinition("interviews.booth_wait", _l("Average wait per booth"), "interview.report",
                         process_keys=(), group_by=("fair", "booth"),
                         description=_l("From check-in to the call, from the queue's recorded transitions.")),
        ReportDefinition("interviews.no_show_rate", _l("No-show rate"), "interview.report", process_keys=(),
                         group_by=("fair", "booth"),
                         description=_l("Calls not answered within the fair's minutes, over all calls.")),
    ),
    cli=(queue_rebuild,),
    periodic_jobs=(PeriodicJob("interviews.expire_calls", "tasks.interviews.expire_calls", every_s=30),),
    scope_keys=("college", "employer"),
    notification_kinds=notices.KINDS,
    task_notices=task_notices.TASK_NOTICES,
    live_channels=live_channels.CHANNELS,
)
