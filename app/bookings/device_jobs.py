"""Jobs for devices outside a booking: a student prints an employment document at a print robot, staff put
content on a big screen. Both go the bookings' device path: a `booking_device_job` row, then the worker
(`tasks.bookings.send_device_job`) calls the device through integrations/devices with an idempotency key of
the job's own, so a job sent again (a lost answer, the person pressing "send again") is never printed twice.

The print robot's progress (queued, printing, out of paper, done, error) comes back as device events (the
signed webhook or MQTT, `apply_event`), never by polling; every change is a live event on the sender's
channel (app/bookings/live_events.py). An event may arrive before the worker has recorded the robot's job
id: it is kept in Redis for that job id first, and the worker applies what came meanwhile once it has."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.agreements import queries as agreement_queries
from app.bookings import device_state, domain, live_events, robot_alerts
from app.bookings.models import DeviceJob, DeviceState, Resource
from app.identity.principal import Principal
from app.recommendations import documents as recommendation_documents
from app.platform import clock
from app.platform.extensions import db
from app.platform.uow import after_commit, read_only, unit_of_work
from integrations.devices import (
    Device, DeviceError, DeviceEvent, PrintJob, ScreenState, print_params, shared_client,
)
from integrations.devices.settings import DeviceSettings

PRINT, SCREEN = "print", "screen"
SENDING, QUEUED, PRINTING, OUT_OF_PAPER, DONE, ERROR, CANCELLED, FAILED, SHOWN = (
    "sending", "queued", "printing", "out_of_paper", "done", "error", "cancelled", "failed", "shown")
STATUSES = (SENDING, QUEUED, PRINTING, OUT_OF_PAPER, DONE, ERROR, CANCELLED, FAILED, SHOWN)
MAX_COPIES = 5
PENDING_TTL_S = 3600  # how long an event for a robot job id nobody has recorded yet is kept
DEVICE_KIND = {PRINT: "printer", SCREEN: "screen"}
RESOURCE_KIND = {PRINT: domain.PRINT_ROBOT, SCREEN: domain.BIG_SCREEN}


class DeviceJobError(Exception):
    """A refused request; `field` names the form field it is about."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Printable:
    """A document the person may print: `ref` ("agreement:<id>") is what the form sends."""
    ref: str
    title: str
    detail: str


@dataclass(frozen=True)
class ScreenContent:
    """What a screen is told to show: a page (`url`) or an announcement (`text` with a `title`)."""
    url: str | None = None
    text: str | None = None
    title: str = ""

    def params(self) -> dict:
        return {"url": self.url} if self.url else {"text": self.text, "title": self.title[:100]}

    def summary(self) -> str:
        return (self.url or f"{self.title} {self.text}".strip())[:200]


# -- what one may print, and where ----------------------------------------------------------------------------

def printables(principal: Principal) -> list[Printable]:
    """The signed employment agreements the person may download (the agreement area's rule) and the
    recommendation forms issued to them (the recommendation area's rule)."""
    agreements = [Printable(f"agreement:{agreement.id}", str(_l("Employment agreement %(number)s",
                                                                 number=agreement.number or agreement.id)),
                            f"v{doc.version} · {doc.sha256[:12]}")
                  for agreement, doc in agreement_queries.signed_documents_of(principal)]
    forms = [Printable(f"recommendation:{form.instance_id}", str(_l("Employment recommendation form")),
                       form.issued_at) for form in recommendation_documents.issued_to(principal)]
    return agreements + forms


def _device_of(resource: Resource, kind: str) -> Device | None:
    for entry in resource.devices or ():
        if entry.get("kind") == DEVICE_KIND[kind]:
            return Device(entry["id"], entry["kind"])
    return None


def places(principal: Principal, kind: str) -> list[Resource]:
    """Active print robots (screens) with their device that the person may use."""
    rows = db.session.execute(select(Resource).where(Resource.kind == RESOURCE_KIND[kind], Resource.active)
                              .order_by(Resource.code)).scalars().all()
    return [r for r in rows if _device_of(r, kind) is not None
            and (kind == SCREEN or domain.may_book(principal.roles, r.roles or ()) or domain.is_manager(principal))]


def _place(principal: Principal, resource_id: int | None, kind: str) -> tuple[Resource, Device]:
    for resource in places(principal, kind):
        if resource.id == resource_id:
            return resource, _device_of(resource, kind)
    raise DeviceJobError(_l("Choose a print robot.") if kind == PRINT else _l("Choose a screen."), "resource")


def _document(principal: Principal, ref: str) -> tuple[str, dict]:
    """The title and source of a printable document `ref`, by the agreement area's download rule."""
    kind, _, raw_id = (ref or "").partition(":")
    if kind == "agreement" and raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 10:
        found = agreement_queries.downloadable(principal, int(raw_id))
        if found is not None and found[1].kind.startswith("signed"):
            agreement, doc = found
            return (str(_l("Employment agreement %(number)s", number=agreement.number or agreement.id)),
                    {"kind": "agreement", "id": agreement.id, "document_id": doc.id, "version": doc.version,
                     "sha256": doc.sha256})
    if kind == "recommendation" and raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 10:
        form = recommendation_documents.issued(principal, int(raw_id))
        if form is not None:
            return str(_l("Employment recommendation form")), {"kind": "recommendation", "id": form.instance_id}
    raise DeviceJobError(_l("Choose one of your documents."), "document")


def boards() -> list[tuple[str, str]]:
    """The interview area's public hall boards a screen can show: (value for the form, label)."""
    from app.interviews.queue_queries import public_boards

    return [(f"{fair_id}-{hall_id}", label) for fair_id, hall_id, label in public_boards()]


def screen_content(values: dict) -> ScreenContent:
    """The staff's choice read from the form: `what` is board (a hall's live board), url (a dashboard page)
    or text (an announcement)."""
    what = values.get("what")
    if what == "board":
        if any(value == values.get("board") for value, _label in boards()):
            fair, _, hall = values["board"].partition("-")
            return ScreenContent(url=url_for("fairs.board", fair_id=int(fair), hall_id=int(hall), _external=True))
        raise DeviceJobError(_l("Choose one of the fairs' boards."), "board")
    if what == "url":
        url = values.get("url") or ""
        if re.fullmatch(r"https?://\S{1,1990}", url):
            return ScreenContent(url=url)
        raise DeviceJobError(_l("A web address starting with http:// or https://."), "url")
    if what == "text":
        if len(values.get("text") or "") >= 1:
            return ScreenContent(text=values["text"], title=values.get("title") or "")
        raise DeviceJobError(_l("Write the announcement."), "text")
    raise DeviceJobError(_l("Choose what the screen shows."), "what")


# -- asking -----------------------------------------------------------------------------------------------------

def request_print(principal: Principal, resource_id: int | None, document_ref: str, copies: int | None) -> int:
    """A student's print job: checked (robot, document, copies), saved, then sent by the worker."""
    resource, device = _place(principal, resource_id, PRINT)
    title, source = _document(principal, document_ref)
    if copies is None or not 1 <= copies <= MAX_COPIES:
        raise DeviceJobError(_l("From 1 to %(n)s copies.", n=MAX_COPIES), "copies")
    return _create(principal, resource, device, PRINT, title, source, copies)


def request_screen(principal: Principal, resource_id: int | None, content: ScreenContent) -> int:
    """Staff put content on a big screen."""
    if not domain.is_manager(principal):
        raise DeviceJobError(_l("Only the career centre's staff send content to screens."))
    resource, device = _place(principal, resource_id, SCREEN)
    return _create(principal, resource, device, SCREEN, content.summary(),
                   {"kind": "url" if content.url else "text", **content.params()}, 1)


def _create(principal: Principal, resource: Resource, device: Device, kind: str, title: str, source: dict,
            copies: int) -> int:
    now = clock.utcnow()
    with unit_of_work() as uow:
        job = DeviceJob(kind=kind, resource_id=resource.id, device_id=device.id, user_id=principal.id,
                        title=title[:200], source=source, copies=copies, status=SENDING, last_seq=0,
                        created_at=now, updated_at=now)
        uow.add(job)
        uow.flush()
        job_id = job.id
        live_events.device_job_changed(job)
        after_commit(lambda: _enqueue(job_id))
        uow.commit()
    return job_id


def send_again(principal: Principal, job_id: int) -> None:
    """A job whose sending failed is sent again with the same key: what did reach the device is not redone."""
    with unit_of_work() as uow:
        job = uow.get(DeviceJob, job_id)
        if job is None or job.user_id != principal.id and not domain.is_manager(principal):
            raise DeviceJobError(_l("There is no such job."))
        if job.status != FAILED:
            raise DeviceJobError(_l("Only a job that could not be sent is sent again."))
        job.status, job.error, job.updated_at = SENDING, None, clock.utcnow()
        live_events.device_job_changed(job)
        after_commit(lambda: _enqueue(job_id))
        uow.commit()


def _enqueue(job_id: int) -> None:
    from app.platform.queue import job_queue

    job_queue().enqueue("tasks.bookings.send_device_job", job_id, job_timeout=120, result_ttl=600,
                        failure_ttl=86400)


# -- the worker's side ------------------------------------------------------------------------------------------

def _source_bytes(job_id: int, source: dict) -> bytes:
    """The exact document that was asked for: an agreement's version (its recorded SHA-256 checked on
    reading); a recommendation form rendered once for the job and kept, so sending it again sends the same
    bytes (the same idempotency key with other parameters would be refused)."""
    if source["kind"] == "recommendation":
        kept = Path(current_app.config["VAR_DIR"]) / "bookings" / "print" / f"{job_id}.pdf"
        if not kept.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
            partial.write_bytes(recommendation_documents.form_pdf(source["id"]))
            os.replace(partial, kept)
        return kept.read_bytes()
    return agreement_queries.document_version_bytes(source["document_id"], source["sha256"])


def send(job_id: int) -> dict:
    """Worker: hand the job to its device. Safe to run twice (the key; a job already sent is left alone)."""
    with read_only():
        job = db.session.get(DeviceJob, job_id)
        if job is None or job.status != SENDING:
            return {"status": job.status if job else None}
        kind, device = job.kind, Device(job.device_id, DEVICE_KIND[job.kind])
        source, title, copies = dict(job.source), job.title, job.copies
    payload = _source_bytes(job_id, source) if kind == PRINT else None  # no transaction open while rendering
    client = shared_client(DeviceSettings.from_mapping(current_app.config))
    command = "print" if kind == PRINT else "show"
    key = f"device-job:{job_id}:{device.id}:{command}"
    try:
        params = print_params(payload, title, copies) if kind == PRINT else ScreenContent(
            url=source.get("url"), text=source.get("text"), title=source.get("title") or "").params()
        result = client.call(device, command, params, idempotency_key=key)
    except DeviceError as err:
        _record(job_id, status=FAILED, error=str(err)[:1000])
        return {"status": FAILED}
    if kind == PRINT:
        value: PrintJob = result.value
        _record(job_id, device_job_id=value.job_id, pages=value.pages, printed=value.printed,
                status=value.status.value, error=value.error)
        for event in _pending(device.id, value.job_id):
            apply_event(event)
    else:
        _record(job_id, status=SHOWN)
        _screen_state(device.id, result.value.to_json(), None)
    return {"status": "sent", "replayed": result.replayed}


def _record(job_id: int, **changes) -> None:
    with unit_of_work() as uow:
        job = uow.get(DeviceJob, job_id)
        if job.status != SENDING:  # events got there first: they are newer than the answer
            changes = {k: v for k, v in changes.items() if k in ("device_job_id", "pages")}
        for name, value in changes.items():
            setattr(job, name, value)
        job.updated_at = clock.utcnow()
        live_events.device_job_changed(job)
        uow.commit()


# -- device events (webhook, MQTT) --------------------------------------------------------------------------------

def _pending_key(device_id: str, device_job_id: str) -> str:
    return f"{current_app.config['RQ_QUEUE']}:device-job-events:{device_id}:{device_job_id}"


def _pending(device_id: str, device_job_id: str) -> list[DeviceEvent]:
    from app.platform.queue import redis_connection

    raw = redis_connection().lrange(_pending_key(device_id, device_job_id), 0, -1)
    return [DeviceEvent.from_json(json.loads(item)) for item in raw]


def _keep(event: DeviceEvent, device_job_id: str) -> None:
    from app.platform.queue import redis_connection

    key = _pending_key(event.device_id, device_job_id)
    pipe = redis_connection().pipeline()
    pipe.rpush(key, json.dumps(event.to_json()))
    pipe.expire(key, PENDING_TTL_S)
    pipe.execute()


def _seen_key(event_id: str) -> str:
    return f"{current_app.config['RQ_QUEUE']}:device-event:{event_id[:100]}"


def receive(event: DeviceEvent, keep_s: int = 600) -> str:
    """A device event as it arrives (webhook, MQTT): each event id is taken once within `keep_s` (a replay
    answers "duplicate"; the webhook's signature refuses older ones), then applied. When applying fails the
    id is let go again, so the gateway's retry is taken."""
    from app.platform.queue import redis_connection

    redis = redis_connection()
    if not redis.set(_seen_key(event.event_id), 1, nx=True, ex=keep_s):
        return "duplicate"
    try:
        return apply_event(event)
    except Exception:
        redis.delete(_seen_key(event.event_id))
        raise


def apply_event(event: DeviceEvent) -> str:
    """One device event: a print job's status onto its job, a screen's content onto its state. Idempotent and
    order-proof (a change older than the one applied is skipped). Returns what happened: applied, kept
    (a print job not recorded yet), stale or ignored."""
    if event.type == "print_job":
        printed = event.print_job
        _keep(event, printed.job_id)  # first: the worker reads these after recording the job id
        with unit_of_work() as uow:
            job = uow.execute(select(DeviceJob).where(DeviceJob.device_id == event.device_id,
                                                      DeviceJob.device_job_id == printed.job_id)
                              .with_for_update()).scalar_one_or_none()
            if job is None:
                return "kept"
            if event.seq <= job.last_seq:
                return "stale"
            job.status, job.printed, job.pages = printed.status.value, printed.printed, printed.pages or job.pages
            job.error, job.last_seq, job.updated_at = printed.error, event.seq, clock.utcnow()
            live_events.device_job_changed(job)
            robot_alerts.follow(uow, job, event.seq)
            uow.commit()
        return "applied"
    if event.type == "screen":
        return "applied" if _screen_state(event.device_id, event.data, event.seq) else "stale"
    return "ignored"


def _screen_state(device_id: str, state: dict, seq: int | None) -> bool:
    """Record what a screen shows (from an event with its `seq`, or from the answer to `show`: seq None)."""
    clean = ScreenState.from_json(state).to_json()
    with unit_of_work() as uow:
        row = device_state.locked(uow, device_id, "screen")
        if seq is not None and seq <= row.last_seq:
            return False
        row.state, row.updated_at = clean, clock.utcnow()
        row.last_seq = max(row.last_seq or 0, seq or 0)
        resource_ids = [r.id for r in uow.execute(select(Resource).where(Resource.kind == domain.BIG_SCREEN))
                        .scalars() if any(d.get("id") == device_id for d in r.devices or ())]
        live_events.screen_changed(resource_ids, device_id, clean)
        uow.commit()
    return True


# -- reading ----------------------------------------------------------------------------------------------------

def jobs_of(user_id: int, kind: str = PRINT, limit: int = 20) -> list[DeviceJob]:
    return list(db.session.execute(select(DeviceJob).where(DeviceJob.user_id == user_id, DeviceJob.kind == kind)
                                   .order_by(DeviceJob.id.desc()).limit(limit)).scalars())


def screen_of(resource: Resource) -> tuple[dict | None, list[DeviceJob]]:
    """What the resource's screen shows (as it last reported) and the content sent to it lately."""
    device = _device_of(resource, SCREEN)
    if device is None:
        return None, []
    state = db.session.get(DeviceState, device.id)
    sent = list(db.session.execute(select(DeviceJob).where(DeviceJob.resource_id == resource.id,
                                                           DeviceJob.kind == SCREEN)
                                   .order_by(DeviceJob.id.desc()).limit(10)).scalars())
    return (state.state if state else None), sent


def failed_jobs(limit: int = 50) -> list[tuple[DeviceJob, str, str]]:
    """Jobs whose device could not be reached, newest first, for the desk to send again: (job, resource name,
    who asked)."""
    from app.identity.models import User

    rows = db.session.execute(select(DeviceJob, Resource.name, User.display_name)
                              .join(Resource, Resource.id == DeviceJob.resource_id)
                              .join(User, User.id == DeviceJob.user_id)
                              .where(DeviceJob.status == FAILED).order_by(DeviceJob.id.desc()).limit(limit)).all()
    return [tuple(row) for row in rows]


def robots_without_paper() -> list[tuple[str, str, int]]:
    """Print robots holding jobs out of paper, for the desk: (name, location, jobs waiting)."""
    rows = db.session.execute(select(Resource.name, Resource.location, func.count(DeviceJob.id))
                              .join(DeviceJob, DeviceJob.resource_id == Resource.id)
                              .where(DeviceJob.status == OUT_OF_PAPER)
                              .group_by(Resource.id, Resource.name, Resource.location).order_by(Resource.name)).all()
    return [tuple(row) for row in rows]
