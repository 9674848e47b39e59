"""Print robots that stop (out of paper, a jam or another error), told to the booking desk's staff once per
episode.

An episode starts with the first print-job event saying the robot cannot print (out_of_paper, error) and ends
with the first newer one saying it prints again (printing, done). It is kept in the robot's
booking_device_state row (kind "printer"), locked while an event is applied and ordered by the events' `seq`:
a duplicate, a replay under a new id, another job stuck behind the first, or a late event of an older change
neither opens a second episode nor ends one. The notice's key names the episode, so a retried request
notifies once. Who is told: everyone who may open the booking desk (its route's permission)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.bookings import device_state, domain, notices
from app.bookings.models import DeviceJob, DeviceState, Resource
from app.identity.guards import current_policy
from app.identity.queries import holders_of
from app.notifications import notify
from app.notifications.links import path_for
from app.platform import clock
from app.platform.extensions import db
from app.platform.uow import UnitOfWork
from integrations.devices.results import PrintJobStatus

DESK_PERMISSION = "booking.manage"  # the booking desk's route (app/bookings/routes/bookings.py: desk)
STATE_KIND = "printer"
OUT_OF_PAPER, ERROR = PrintJobStatus.OUT_OF_PAPER.value, PrintJobStatus.ERROR.value
FAULTS = {OUT_OF_PAPER: notices.ROBOT_OUT_OF_PAPER, ERROR: notices.ROBOT_JAMMED}
WORKING = (PrintJobStatus.PRINTING.value, PrintJobStatus.DONE.value)
WAITING = ("sending", *(s.value for s in PrintJobStatus if not s.final))  # not printed yet, nor given up
DESK_ANCHOR = {OUT_OF_PAPER: "robots-without-paper", ERROR: "robots-stopped"}


@dataclass(frozen=True)
class Stopped:
    """A robot in an open episode, for the desk."""
    name: str
    location: str
    fault: str
    error: str
    since: datetime | None
    waiting: int


def follow(uow: UnitOfWork, job: DeviceJob, seq: int) -> bool:
    """After the event `seq` set `job`'s status (in the caller's unit of work): open or end the robot's episode.
    Returns True when an episode was opened (and the desk's staff told)."""
    if job.status not in FAULTS and job.status not in WORKING:
        return False
    row = device_state.locked(uow, job.device_id, STATE_KIND)
    if seq <= row.last_seq:
        return False  # an older change than the robot's newest known one
    state, now = dict(row.state or {}), clock.utcnow()
    row.last_seq, row.updated_at = seq, now
    if job.status in WORKING:
        if state.get("fault"):
            row.state = {"episode": state.get("episode", 0), "recovered": now.isoformat()}
        return False
    if state.get("fault"):
        return False  # still the same episode
    episode = int(state.get("episode", 0)) + 1
    row.state = {"fault": job.status, "error": job.error or "", "episode": episode, "since": now.isoformat()}
    _tell_the_desk(uow, job, episode)
    return True


def _waiting(session: UnitOfWork | Session, resource_id: int) -> int:
    return session.execute(select(func.count()).select_from(DeviceJob).where(
        DeviceJob.resource_id == resource_id, DeviceJob.kind == "print", DeviceJob.status.in_(WAITING))).scalar()


def _tell_the_desk(uow: UnitOfWork, job: DeviceJob, episode: int) -> None:
    resource = uow.get(Resource, job.resource_id)
    kind = FAULTS[job.status]
    notify(holders_of(DESK_PERMISSION, current_policy()), kind.name,
           params={"robot": resource.name, "location": resource.location or "—",
                   "waiting": _waiting(uow, resource.id), "error": job.error or "—"},
           link=f"{path_for('bookings.desk')}#{DESK_ANCHOR[job.status]}",
           key=f"print-robot:{job.device_id}:episode:{episode}")


def stopped_robots(fault: str | None = None) -> list[Stopped]:
    """Print robots whose episode is open (of `fault` only, if given), by name: the desk lists the jammed ones
    beside the jobs out of paper."""
    faults = {row.device_id: row.state for row in db.session.execute(
        select(DeviceState).where(DeviceState.kind == STATE_KIND)).scalars()
        if (row.state or {}).get("fault") and fault in (None, row.state["fault"])}
    if not faults:
        return []
    found = []
    for resource in db.session.execute(select(Resource).where(Resource.kind == domain.PRINT_ROBOT)
                                       .order_by(Resource.name)).scalars():
        for device in resource.devices or ():
            state = faults.get(device.get("id"))
            if state is not None:
                since = state.get("since")
                found.append(Stopped(resource.name, resource.location or "", state["fault"], state.get("error") or "",
                                     datetime.fromisoformat(since) if since else None,
                                     _waiting(db.session, resource.id)))
    return found
