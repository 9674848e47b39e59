"""What process owners do with processes: drafts, validation, deploy, rollback, owners, migration, test runs.

Each use case takes ids and values, checks who may act (the process's owners and admins), does its work in
one unit of work and raises a named exception. The engine does the parsing, checking and versioning.
"""
from __future__ import annotations

from dataclasses import dataclass


from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app import engine
from app.engine.definitions import library_sources
from app.engine.models import ProcessDefinition, ProcessInstance
from app.modeler import drafts
from app.modeler.drafts import DraftContent
from app.modeler.models import MigrationRun, ProcessDraft, ProcessOwner
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from app import forms
from app.identity.guards import current_policy
from app.identity.principal import Principal

MANAGE_ALL = "process.manage_all"
MODEL = "process.model"
MAX_MIGRATION = 5000


class ModelerError(Exception):
    status = 400

    def __init__(self, message, problems: list | None = None):
        super().__init__(message)
        self.message = message  # a lazy translation: shown in the user's language
        self.problems = problems or []


class NotAllowed(ModelerError):
    status = 403


class NotFound(ModelerError):
    status = 404


class StaleDraft(ModelerError):
    """Someone saved the draft after this editor opened it."""

    status = 409


class Invalid(ModelerError):
    """The draft has problems (engine, lint or the modeler's own checks): nothing deployed or started."""

    status = 422


# -------------------------------------------------------------------------------------------- who may

def may_edit(principal: Principal, process_key: str) -> bool:
    """Admins (process.manage_all) edit every process; a process owner the processes he owns."""
    if principal.can(MANAGE_ALL):
        return True
    if not principal.can(MODEL):
        return False
    return db.session.get(ProcessOwner, (process_key, principal.id)) is not None


def _require_edit(principal: Principal, process_key: str) -> None:
    if not may_edit(principal, process_key):
        raise NotAllowed(_l("Only this process's owners and administrators may change it."))


def _require_deploy(principal: Principal, process_key: str) -> None:
    _require_edit(principal, process_key)
    if not principal.can("process.deploy"):
        raise NotAllowed(_l("You may edit this process but not deploy it."))


def known_lanes() -> set[str]:
    return {lane for role in current_policy().values() for lane in role.lanes}


def _form_problem(schema, ui, name: str) -> str | None:
    try:
        forms.Form(schema, ui, source=name)
    except forms.FormDefinitionError as err:
        return str(err)
    return None


# ---------------------------------------------------------------------------------------------- drafts

def create_process(principal: Principal, process_key: str, name: str) -> ProcessDraft:
    """A new process (its first draft); the one who creates it becomes its owner."""
    if not principal.can(MODEL):
        raise NotAllowed(_l("You may not create processes."))
    process_key, name = (process_key or "").strip(), (name or "").strip()
    if not drafts.KEY.match(process_key):
        raise Invalid(_l("The process id must start with a letter and use letters, digits, _ and - (at most 80)."),
                      [("process_key", None, "invalid")])
    if not name or len(name) > 200:
        raise Invalid(_l("Give the process a name (at most 200 characters)."), [("name", None, "invalid")])
    exists = db.session.execute(select(ProcessDefinition.id).where(ProcessDefinition.process_key == process_key)
                                .limit(1)).scalar() or db.session.execute(
        select(ProcessDraft.id).where(ProcessDraft.process_key == process_key)).scalar()
    if exists:
        raise Invalid(_l("A process with this id exists already."), [("process_key", None, "taken")])
    with unit_of_work() as session:
        draft = ProcessDraft(process_key=process_key, bpmn_xml=drafts.new_process_bpmn(process_key, name), files={},
                             revision=1, created_by=principal.id, updated_by=principal.id)
        session.add(draft)
        session.add(ProcessOwner(process_key=process_key, user_id=principal.id, added_by=principal.id))
        session.commit()
    return draft


MAX_IMPORT = 2 * 1024 * 1024


def import_file(principal: Principal, content: bytes) -> str:
    """A .bpmn file made elsewhere (Camunda or SpiffArena modeler, a colleague's export) becomes the draft of the
    process it defines: a new process (its owner: the importer), or the next revision of an existing one's draft
    (its forms and decision tables kept). Nothing is deployed: the owner checks and deploys it in the modeler.
    Returns the process id."""
    if not principal.can(MODEL):
        raise NotAllowed(_l("You may not create processes."))
    if len(content) > MAX_IMPORT:
        raise Invalid(_l("The file is larger than 2 MiB."), [("bpmn", None, "too_large")])
    try:
        bpmn = content.decode("utf-8-sig")
        ids = drafts.executable_ids(bpmn)
    except (UnicodeDecodeError, engine.DeployError):
        raise Invalid(_l("This is not a BPMN file (BPMN 2.0 XML, UTF-8)."), [("bpmn", None, "invalid")]) from None
    if len(ids) != 1 or not drafts.KEY.match(ids[0] or ""):
        raise Invalid(_l("The file must hold exactly one executable process with a valid id (it has %(n)s).",
                         n=len(ids)), [("bpmn", None, "processes")])
    process_key = ids[0]
    known = db.session.execute(select(ProcessDefinition.id).where(ProcessDefinition.process_key == process_key)
                               .limit(1)).scalar() or db.session.execute(
        select(ProcessDraft.id).where(ProcessDraft.process_key == process_key)).scalar()
    if known:
        draft = draft_for(principal, process_key)
        _write(principal, process_key, draft.revision, DraftContent(bpmn, dict(draft.files or {})))
        return process_key
    with unit_of_work() as session:
        session.add(ProcessDraft(process_key=process_key, bpmn_xml=bpmn, files={}, revision=1,
                                 created_by=principal.id, updated_by=principal.id))
        session.add(ProcessOwner(process_key=process_key, user_id=principal.id, added_by=principal.id))
        session.commit()
    return process_key


def draft_for(principal: Principal, process_key: str) -> ProcessDraft:
    """The process's draft. Without one, the latest version as revision 0 of a draft not stored yet (looking
    writes nothing; the first save stores it)."""
    _require_edit(principal, process_key)
    draft = db.session.execute(select(ProcessDraft).where(ProcessDraft.process_key == process_key)).scalar()
    if draft is not None:
        return draft
    latest = db.session.execute(select(ProcessDefinition).where(
        ProcessDefinition.process_key == process_key, ProcessDefinition.is_test.is_(False))
        .order_by(ProcessDefinition.version.desc()).limit(1)).scalar()
    if latest is None:
        raise NotFound(_l("No such process."))
    return ProcessDraft(process_key=process_key, bpmn_xml=latest.bpmn_xml, files=engine.definition_files(latest.id),
                        revision=0, base_definition_id=latest.id)


def open_version(principal: Principal, definition_id: int, revision: int | None) -> ProcessDraft:
    """Put a version into the process's draft to edit it (the draft's revision must be the one the user saw)."""
    definition = db.session.get(ProcessDefinition, definition_id)
    if definition is None or definition.is_test:
        raise NotFound(_l("No such version."))
    draft = draft_for(principal, definition.process_key)
    files = engine.definition_files(definition.id)
    _write(principal, draft.process_key, revision if revision is not None else draft.revision,
           DraftContent(definition.bpmn_xml, files), base_definition_id=definition.id)
    return draft


def save_draft(principal: Principal, process_key: str, revision: int, content: DraftContent) -> int:
    """Keep the draft; returns its new revision. Refused (StaleDraft) when someone saved after `revision`."""
    _require_edit(principal, process_key)
    return _write(principal, process_key, revision, content)


def _write(principal: Principal, process_key: str, revision: int, content: DraftContent,
           base_definition_id: int | None = None) -> int:
    values = dict(bpmn_xml=content.bpmn, files=content.files, revision=revision + 1, updated_by=principal.id,
                  updated_at=utcnow())
    if base_definition_id is not None:
        values["base_definition_id"] = base_definition_id
    try:
        with unit_of_work() as session:
            if revision == 0:  # the first save of a draft made from a version
                session.add(ProcessDraft(process_key=process_key, created_by=principal.id, **values))
                session.flush()
            elif session.execute(update(ProcessDraft).where(
                    ProcessDraft.process_key == process_key, ProcessDraft.revision == revision)
                    .values(**values)).rowcount != 1:
                raise _Lost()
            session.commit()
    except (_Lost, IntegrityError):
        raise _stale(process_key) from None
    return revision + 1


class _Lost(Exception):
    """Someone else's save came first (told after the rollback, so the message reads committed state)."""


def _stale(process_key: str) -> StaleDraft:
    from app.identity.models import User

    draft = db.session.execute(select(ProcessDraft).where(ProcessDraft.process_key == process_key)).scalar()
    if draft is None:
        return StaleDraft(_l("The draft no longer exists (it was deployed or discarded). Reload the page."))
    who = db.session.get(User, draft.updated_by) if draft.updated_by else None
    return StaleDraft(_l("%(who)s saved this draft at %(at)s after you opened it (now revision %(revision)s). Your "
                         "changes were not saved: reload to see theirs, then edit again.",
                         who=who.display_name if who else "?", revision=draft.revision,
                         at=draft.updated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")))


def discard_draft(principal: Principal, process_key: str, revision: int) -> None:
    _require_edit(principal, process_key)
    with unit_of_work() as session:
        gone = session.execute(delete(ProcessDraft).where(ProcessDraft.process_key == process_key,
                                                          ProcessDraft.revision == revision)).rowcount
        if gone != 1:
            raise _stale(process_key)
        session.commit()


# ---------------------------------------------------------------------------------- validate, deploy

def problems_of(process_key: str, content: DraftContent) -> list[tuple[str, str | None, str]]:
    """Everything that stops this draft from deploying: the modeler's checks, then the engine's."""
    own = drafts.draft_problems(process_key, content, known_lanes(), _form_problem)
    return own + engine.check(content.sources(process_key), library=_library(process_key),
                              files=content.file_bytes())


def validate_draft(principal: Principal, process_key: str, content: DraftContent) -> list:
    _require_edit(principal, process_key)
    return problems_of(process_key, content)


def _library(process_key: str) -> list:
    """The BPMN files in git that call activities may refer to (not the process's own shipped file)."""
    return [s for s in library_sources() if s.name != f"{process_key}.bpmn"]


def _deploy(principal: Principal, process_key: str, content: DraftContent, test: bool) -> ProcessDefinition:
    problems = problems_of(process_key, content)
    if problems:
        raise Invalid(_l("The process has problems: nothing was deployed."), problems)
    try:
        deployed = engine.deploy(content.sources(process_key), library=_library(process_key), deployed_by=principal.id,
                                 files=content.file_bytes(), test=test)
    except engine.DeployError as err:
        raise Invalid(_l("The process has problems: nothing was deployed."), err.problems) from None
    return next(d for d in deployed if d.process_key == process_key)


def deploy_draft(principal: Principal, process_key: str, revision: int, content: DraftContent
                 ) -> tuple[ProcessDefinition, int]:
    """Save the draft, then deploy it as the next version (or keep the latest if nothing changed)."""
    _require_deploy(principal, process_key)
    revision = _write(principal, process_key, revision, content)
    return _deploy(principal, process_key, content, test=False), revision


def rollback(principal: Principal, definition_id: int) -> ProcessDefinition:
    """Deploy an older version again, as the newest version (running instances stay where they are)."""
    old = db.session.get(ProcessDefinition, definition_id)
    if old is None or old.is_test:
        raise NotFound(_l("No such version."))
    _require_deploy(principal, old.process_key)
    content = DraftContent(old.bpmn_xml, engine.definition_files(old.id))
    try:
        deployed = engine.deploy(content.sources(old.process_key), library=_library(old.process_key),
                                 deployed_by=principal.id, files=content.file_bytes())
    except engine.DeployError as err:
        raise Invalid(_l("This version cannot be deployed again."), err.problems) from None
    return next(d for d in deployed if d.process_key == old.process_key)


# ------------------------------------------------------------------------------------------- owners

def add_owner(principal: Principal, process_key: str, user_id: int) -> None:
    from app.identity.models import User

    if not principal.can(MANAGE_ALL):
        raise NotAllowed(_l("Only administrators choose a process's owners."))
    user = db.session.get(User, user_id)
    if user is None or not user.active or "process_owner" not in user.role_names:
        raise Invalid(_l("Choose an active user with the process owner role."), [("user_id", None, "invalid")])
    with unit_of_work() as session:
        if session.get(ProcessOwner, (process_key, user_id)) is None:
            session.add(ProcessOwner(process_key=process_key, user_id=user_id, added_by=principal.id))
        session.commit()


def remove_owner(principal: Principal, process_key: str, user_id: int) -> None:
    if not principal.can(MANAGE_ALL):
        raise NotAllowed(_l("Only administrators choose a process's owners."))
    with unit_of_work() as session:
        session.execute(delete(ProcessOwner).where(ProcessOwner.process_key == process_key,
                                                   ProcessOwner.user_id == user_id))
        session.commit()


# ---------------------------------------------------------------------------------------- migration

@dataclass
class Preview:
    movable: list[int]
    staying: dict[int, list[str]]


def preview_migration(principal: Principal, definition_id: int, instance_ids: list[int]) -> Preview:
    target = _target(principal, definition_id)
    preview = Preview([], {})
    for instance_id in instance_ids[:MAX_MIGRATION]:
        reasons = engine.migration_problems(instance_id, target.id)
        if reasons:
            preview.staying[instance_id] = reasons
        else:
            preview.movable.append(instance_id)
    return preview


def _target(principal: Principal, definition_id: int) -> ProcessDefinition:
    target = db.session.get(ProcessDefinition, definition_id)
    if target is None or target.is_test:
        raise NotFound(_l("No such version."))
    _require_deploy(principal, target.process_key)
    return target


def start_migration(principal: Principal, definition_id: int, instance_ids: list[int]) -> int:
    """Queue a background job that moves these instances to the version; returns the run's id."""
    target = _target(principal, definition_id)
    ids = sorted(set(instance_ids))
    if not ids:
        raise Invalid(_l("Choose the instances to migrate."), [("instance_ids", None, "empty")])
    if len(ids) > MAX_MIGRATION:
        raise Invalid(_l("At most %(n)s instances at once.", n=MAX_MIGRATION), [("instance_ids", None, "too many")])
    ours = set(db.session.execute(select(ProcessInstance.id).where(
        ProcessInstance.id.in_(ids), ProcessInstance.process_key == target.process_key)).scalars())
    if ours != set(ids):
        raise Invalid(_l("Some instances do not belong to this process."), [("instance_ids", None, "foreign")])
    with unit_of_work() as session:
        run = MigrationRun(process_key=target.process_key, to_definition_id=target.id, instance_ids=ids,
                           status="queued", done=0, migrated=[], refused={}, started_by=principal.id)
        session.add(run)
        session.flush()
        run_id = run.id
        session.commit()
    from app.platform.queue import job_queue

    job_queue().enqueue("tasks.modeler.run_migration", run_id, job_id=f"migration-{run_id}", job_timeout=3600,
                        result_ttl=600)
    return run_id


def run_migration(run_id: int) -> None:
    """The job: move each instance, recording progress after each one. Safe to run twice: instances already
    at the target are counted as moved, the others are tried again."""
    run = db.session.get(MigrationRun, run_id)
    if run is None or run.status == "done":
        return
    with unit_of_work() as session:
        session.execute(update(MigrationRun).where(MigrationRun.id == run_id).values(status="running"))
        session.commit()
    migrated, refused = [], {}
    for done, instance_id in enumerate(run.instance_ids, start=1):
        current = db.session.execute(select(ProcessInstance.definition_id)
                                     .where(ProcessInstance.id == instance_id)).scalar()
        try:
            if current != run.to_definition_id:
                engine.migrate_instance(instance_id, run.to_definition_id, run.started_by)
            migrated.append(instance_id)
        except engine.MigrationError as err:
            refused[str(instance_id)] = [f"tasks missing in the target version: {', '.join(err.unmatched)}"]
        except engine.EngineError as err:
            refused[str(instance_id)] = [str(err)]
        with unit_of_work() as session:
            session.execute(update(MigrationRun).where(MigrationRun.id == run_id).values(
                done=done, migrated=list(migrated), refused=dict(refused)))
            session.commit()
    with unit_of_work() as session:
        session.execute(update(MigrationRun).where(MigrationRun.id == run_id).values(
            status="done", finished_at=utcnow()))
        session.commit()


# ------------------------------------------------------------------------------------------ test runs

def start_test_run(principal: Principal, process_key: str, revision: int, content: DraftContent
                   ) -> tuple[int, int]:
    """Save the draft and start a throw-away test instance of it. Every lane's tasks go to the tester (he
    steps through as each role); the instance is marked as a test and shown to nobody else."""
    _require_edit(principal, process_key)
    revision = _write(principal, process_key, revision, content)
    definition = _deploy(principal, process_key, content, test=True)
    from app.identity.models import User
    from app.processes.services import starter_data

    user = db.session.get(User, principal.id)
    data = starter_data(user, None)
    lanes = drafts_lanes(content.bpmn)
    data["lane_owners"] = {lane: [principal.id] for lane in lanes}
    try:
        instance_id = engine.start_instance(definition, data, started_by=principal.id, test=True)
    except engine.EngineError as err:
        raise Invalid(_l("The test run stopped at once: %(error)s", error=str(err)),
                      [(f"{process_key}.bpmn", getattr(err, "element", None), str(err))]) from None
    return instance_id, revision


def drafts_lanes(bpmn: str) -> list[str]:
    from app.engine.definitions import BPMN_NS, parse_xml

    root = parse_xml(engine.Source("draft.bpmn", bpmn.encode("utf-8")))
    return sorted({(lane.get("name") or "").strip() for lane in root.iter(f"{{{BPMN_NS}}}lane")} - {""})


def test_instance(principal: Principal, instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None or not instance.is_test or instance.started_by != principal.id:
        raise NotFound(_l("No such test run."))
    return instance


def complete_test_job(principal: Principal, instance_id: int, job_id: int, result) -> None:
    test_instance(principal, instance_id)
    from app.engine.models import Job

    job = db.session.get(Job, job_id)
    if job is None or job.instance_id != instance_id:
        raise NotFound(_l("No such service task in this test run."))
    try:
        engine.complete_test_job(job_id, result, principal.id)
    except (engine.EngineError, TypeError, ValueError) as err:
        raise Invalid(_l("The result was not applied: %(error)s", error=str(err))) from None
