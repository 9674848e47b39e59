"""The modeler's read side: the process library, versions, instances to migrate, runs, test runs."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select

from app.engine.models import HistoryEvent, Incident, Job, OpenTask, ProcessDefinition, ProcessInstance, Timer
from app.modeler.drafts import process_name
from app.modeler.models import MigrationRun, ProcessDraft, ProcessOwner
from app.identity.models import User
from app.platform.clock import LOCAL_TZ
from app.platform.extensions import db
from app.identity.principal import Principal

ACTIVE = ("running", "suspended")


@dataclass
class LibraryRow:
    process_key: str
    name: str
    latest_version: int | None
    versions: int
    running: int
    draft_revision: int | None
    draft_updated_at: datetime | None
    owners: list[str] = field(default_factory=list)
    editable: bool = False


def library(principal: Principal, may_edit) -> list[LibraryRow]:
    """Every process: deployed ones with their latest version, and drafts never deployed."""
    real = ProcessDefinition.is_test.is_(False)
    newest = (select(ProcessDefinition.process_key.label("key"), func.max(ProcessDefinition.version).label("v"),
                     func.count().label("n")).where(real).group_by(ProcessDefinition.process_key).subquery())
    deployed = {r.process_key: r for r in db.session.execute(
        select(ProcessDefinition.process_key, ProcessDefinition.name, newest.c.v, newest.c.n).join(
            newest, and_(ProcessDefinition.process_key == newest.c.key, ProcessDefinition.version == newest.c.v)))}
    running = dict(db.session.execute(select(ProcessInstance.process_key, func.count()).where(
        ProcessInstance.status.in_(ACTIVE), ProcessInstance.is_test.is_(False))
        .group_by(ProcessInstance.process_key)).all())
    drafts = {d.process_key: d for d in db.session.execute(select(ProcessDraft)).scalars()}
    owners: dict[str, list[str]] = {}
    for key, name in db.session.execute(select(ProcessOwner.process_key, User.display_name)
                                        .join(User, User.id == ProcessOwner.user_id).order_by(User.display_name)):
        owners.setdefault(key, []).append(name)
    rows = []
    for key in sorted(set(deployed) | set(drafts)):
        draft, latest = drafts.get(key), deployed.get(key)
        name = latest.name if latest is not None else process_name(draft.bpmn_xml, key)
        rows.append(LibraryRow(key, name or key, latest.v if latest else None, latest.n if latest else 0,
                               running.get(key, 0),
                               draft.revision if draft else None, draft.updated_at if draft else None,
                               owners.get(key, []), may_edit(principal, key)))
    return rows


@dataclass
class VersionRow:
    id: int
    version: int
    name: str
    content_hash: str
    created_at: datetime
    deployed_by: str | None
    running: int
    total: int


def versions(process_key: str) -> list[VersionRow]:
    running = dict(db.session.execute(select(ProcessInstance.definition_id, func.count()).where(
        ProcessInstance.process_key == process_key, ProcessInstance.status.in_(ACTIVE))
        .group_by(ProcessInstance.definition_id)).all())
    total = dict(db.session.execute(select(ProcessInstance.definition_id, func.count()).where(
        ProcessInstance.process_key == process_key).group_by(ProcessInstance.definition_id)).all())
    rows = db.session.execute(
        select(ProcessDefinition.id, ProcessDefinition.version, ProcessDefinition.name, ProcessDefinition.content_hash,
               ProcessDefinition.created_at, User.display_name)
        .outerjoin(User, User.id == ProcessDefinition.deployed_by)
        .where(ProcessDefinition.process_key == process_key, ProcessDefinition.is_test.is_(False))
        .order_by(ProcessDefinition.version.desc())).all()
    return [VersionRow(r.id, r.version, r.name, r.content_hash, r.created_at, r.display_name,
                       running.get(r.id, 0), total.get(r.id, 0)) for r in rows]


def definition(definition_id: int) -> ProcessDefinition | None:
    found = db.session.get(ProcessDefinition, definition_id)
    return found if found is not None and not found.is_test else None


def draft(process_key: str) -> ProcessDraft | None:
    return db.session.execute(select(ProcessDraft).where(ProcessDraft.process_key == process_key)).scalar()


def owned_processes(user_id: int) -> set[str]:
    """The process keys this user owns (what other packages may show him about his processes)."""
    return set(db.session.execute(select(ProcessOwner.process_key).where(ProcessOwner.user_id == user_id)).scalars())


def owners(process_key: str) -> list:
    return db.session.execute(select(User.id, User.display_name, User.username)
                              .join(ProcessOwner, ProcessOwner.user_id == User.id)
                              .where(ProcessOwner.process_key == process_key).order_by(User.display_name)).all()


def owner_candidates() -> list:
    from app.identity.models import UserRole

    return db.session.execute(select(User.id, User.display_name, User.username)
                              .join(UserRole, UserRole.user_id == User.id)
                              .where(UserRole.role == "process_owner", User.active.is_(True))
                              .order_by(User.display_name)).all()


@dataclass
class InstanceFilter:
    definition_id: int | None = None
    status: str | None = None
    business_key: str | None = None
    started_from: date | None = None
    started_to: date | None = None


def instances(process_key: str, f: InstanceFilter, limit: int = 500) -> list:
    """Running or suspended instances of a process (not test runs), for the migration page."""
    where = [ProcessInstance.process_key == process_key, ProcessInstance.is_test.is_(False),
             ProcessInstance.status.in_((f.status,) if f.status in ACTIVE else ACTIVE)]
    if f.definition_id:
        where.append(ProcessInstance.definition_id == f.definition_id)
    if f.business_key:
        where.append(ProcessInstance.business_key.like(f.business_key.replace("%", r"\%") + "%", escape="\\"))
    if f.started_from:
        where.append(ProcessInstance.created_at >= datetime.combine(f.started_from, time.min, LOCAL_TZ))
    if f.started_to:
        where.append(ProcessInstance.created_at < datetime.combine(f.started_to + timedelta(days=1), time.min, LOCAL_TZ))
    return db.session.execute(
        select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.status, ProcessInstance.created_at,
               ProcessDefinition.version, User.display_name.label("starter"))
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(User, User.id == ProcessInstance.started_by)
        .where(*where).order_by(ProcessInstance.id).limit(limit)).all()


def waiting_at(instance_ids: list[int]) -> dict[int, list[str]]:
    rows = db.session.execute(select(OpenTask.instance_id, OpenTask.name).where(OpenTask.instance_id.in_(instance_ids))
                              ).all() if instance_ids else []
    found: dict[int, list[str]] = {}
    for instance_id, name in rows:
        found.setdefault(instance_id, []).append(name)
    return found


def migration_run(run_id: int) -> MigrationRun | None:
    return db.session.get(MigrationRun, run_id)


def migration_runs(process_key: str, limit: int = 20) -> list[MigrationRun]:
    return list(db.session.execute(select(MigrationRun).where(MigrationRun.process_key == process_key)
                                   .order_by(MigrationRun.id.desc()).limit(limit)).scalars())


@dataclass
class TestRunView:
    instance: ProcessInstance
    tasks: list
    jobs: list
    timers: list
    history: list
    incidents: list


def test_run(instance: ProcessInstance) -> TestRunView:
    tasks = db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance.id)
                               .order_by(OpenTask.id)).scalars().all()
    jobs = db.session.execute(select(Job).where(Job.instance_id == instance.id, Job.status.in_(("pending", "queued")))
                              .order_by(Job.id)).scalars().all()
    timers = db.session.execute(select(Timer).where(Timer.instance_id == instance.id).order_by(Timer.due_at)
                                ).scalars().all()
    history = db.session.execute(select(HistoryEvent).where(HistoryEvent.instance_id == instance.id)
                                 .order_by(HistoryEvent.id)).scalars().all()
    incidents = db.session.execute(select(Incident).where(Incident.instance_id == instance.id,
                                                          Incident.resolved_at.is_(None))).scalars().all()
    return TestRunView(instance, list(tasks), list(jobs), list(timers), list(history), list(incidents))


def operation_parameters() -> dict[str, list[str]]:
    """For each service operation, the parameter names the deployed processes give it (the registry declares
    none): the properties panel offers them when the operation is picked."""
    from app.engine import DeployError, Source
    from app.engine.definitions import latest_definitions, parse_xml

    spiff = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
    found: dict[str, list[str]] = {}
    for definition in latest_definitions():
        try:
            root = parse_xml(Source(definition.source_name, definition.bpmn_xml.encode("utf-8")))
        except DeployError:
            continue
        for operator in root.iter(f"{spiff}serviceTaskOperator"):
            names = found.setdefault(operator.get("id") or "", [])
            for parameter in operator.iter(f"{spiff}parameter"):
                if parameter.get("id") and parameter.get("id") not in names:
                    names.append(parameter.get("id"))
    return found
