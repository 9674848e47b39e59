"""The notification centre as the platform registers it: its pages (the bell's list) and templates, the kinds
it sends itself (tasks that became someone's) and the sweep that hands due deliveries to the workers."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.notifications import models  # noqa: F401 - the centre's tables
from app.notifications.routes import bp
from app.notifications.kinds import register_kind
from app.notifications.task_events import ASSIGNED, GROUP_WAITING, register_task_notice
from app.platform.areas import EXTENSION_KEY, Area, PeriodicJob


def _setup(app: Flask) -> None:
    """Every area's notification kinds and task notices (Area.notification_kinds, Area.task_notices)."""
    for area in app.extensions[EXTENSION_KEY].areas:
        for kind in area.notification_kinds:
            register_kind(kind)
        for notice in area.task_notices:
            register_task_notice(notice)


AREA = Area(name="notifications", label=_l("Notifications"), package="app.notifications", blueprints=(bp,),
            notification_kinds=(ASSIGNED, GROUP_WAITING),
            periodic_jobs=(PeriodicJob("notifications.sweep", "tasks.notifications.sweep", every_s=5),),
            setup=_setup)
