"""The student archives' registration with the platform (docs/areas.md): basic data and its Excel import,
the archive process of every student, destination registration, the archive page and its timeline."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.archives import demo, models, notices  # noqa: F401 - models: the area's tables (Alembic sees them)
from app.archives.routes import bp
from app.platform.areas import Area, DemoData, NavEntry, ReportDefinition

AREA = Area(
    name="archives",
    label=_l("Student archives"),
    package="app.archives",
    blueprints=(bp,),
    nav=(NavEntry(_l("Archives"), "archives.index", permission="archive.view", order=45),
         NavEntry(_l("Still seeking work"), "archives.seeking", permission="destination.report", order=72)),
    operations=("tasks.archives",),
    demo=DemoData("archives", demo.load, (), after=("identity",)),
    reports=(
        ReportDefinition("archives.destination_rate", _l("Graduate destination rate (毕业去向落实率)"),
                         "destination.report", process_keys=("student_archive",),
                         fields=("category", "verify_decision", "confirm_decision"),
                         group_by=("college", "major", "degree", "gender"),
                         description=_l("Graduates with a confirmed destination other than 待就业 or 不就业 over all "
                                        "graduates, at a chosen date (app.archives.queries.destination_counts).")),
    ),
    scope_keys=("college",),
    notification_kinds=notices.KINDS,
)
