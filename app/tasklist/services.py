"""Filling in a task: its form, drafts, validation, and completion through the engine.

Nothing is half-written: on a validation error no draft, task data or file is kept; files are moved into
place only when the whole form validated, and removed again if the engine refuses the completion.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup
from sqlalchemy import select

from app import engine
from app import forms as fs
from app.engine.models import OpenTask, ProcessInstance, TaskDraft, TaskSubmission
from app.forms.task_forms import uploads_dir
from app.forms.uploads import UploadBatch, find_reference, upload_path
from app.identity.access import can_be_assigned
from app.identity.guards import current_policy
from app.identity.queries import active_user, principal_of
from app.platform.areas import DocumentLink, registry
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work
from app.tasklist.queries import task_facts

EMPTY_FORM = {"type": "object", "properties": {}}


class TaskActionRefused(Exception):
    """The engine refused a claim, an unclaim or a completion (the task moved on, someone else has it...)."""


class NoLongerOpen(TaskActionRefused):
    """Someone else completed the task first, or it was withdrawn meanwhile."""


class ClaimedElsewhere(TaskActionRefused):
    """Someone else claimed the task first."""


class InstanceSuspended(TaskActionRefused):
    """The task's process is suspended: nobody may claim or complete its tasks until it is resumed."""


class NotAssignable(Exception):
    """Reassigning to someone the task may not be given to (not an active account, not of the task's lane and
    scope, not the party a task is addressed to)."""


@dataclass
class Outcome:
    status: str  # completed | saved | invalid | rerender | conflict | refused
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    http_status: int = 200
    message: str = ""


def form_for(task: OpenTask | TaskSubmission) -> fs.Form:
    """The task's form as deployed with the version its instance runs (versions deployed before forms were kept
    with them read the forms directory); for a submission, the form it was made with."""
    if not task.form_schema:
        return fs.Form(EMPTY_FORM, {}, source="(no form)")
    definition_id = db.session.execute(select(ProcessInstance.definition_id)
                                       .where(ProcessInstance.id == task.instance_id)).scalar()
    schema = engine.definition_file(definition_id, task.form_schema)
    if schema is None:
        return fs.task_form(task.form_schema, task.form_ui_schema)
    ui = engine.definition_file(definition_id, task.form_ui_schema) if task.form_ui_schema else None
    return fs.deployed_form(schema, ui, task.form_schema)


def readonly_rows(form: fs.Form, values: dict) -> list[tuple[str, str, int]]:
    """(label, shown value, depth) for every field that has a value in `values`: a submission read back,
    options by their labels, rows of a table one after the other."""
    rows: list[tuple[str, str, int]] = []

    def walk(specs, data, depth: int) -> None:
        for spec in specs:
            if not isinstance(data, dict) or spec.key not in data:
                continue
            value = data[spec.key]
            if spec.children:
                rows.append((spec.label, "", depth))
                walk(spec.children, value, depth + 1)
            elif spec.widget == "array" and spec.items is not None and spec.items.children:
                rows.append((spec.label, "", depth))
                for index, row in enumerate(value if isinstance(value, list) else [], start=1):
                    rows.append((f"{spec.item_label} {index}", "", depth + 1))
                    walk(spec.items.children, row, depth + 2)
            else:
                rows.append((spec.label, spec.display(value), depth))

    walk(form.fields, values, 0)
    return rows


def _draft(task_guid: str, user_id: int) -> dict | None:
    return db.session.execute(select(TaskDraft.data).where(TaskDraft.task_guid == task_guid,
                                                           TaskDraft.user_id == user_id)).scalar()


def start_values(task: OpenTask, form: fs.Form, user_id: int) -> dict:
    """The form's values: the task data with the user's draft over it (NoLongerOpen when the task was
    completed between the two reads)."""
    try:
        data = engine.task_data(task.task_guid)
    except engine.Conflict as err:
        raise NoLongerOpen(str(err)) from None
    draft = _draft(task.task_guid, user_id)
    if draft:
        data = fs.merge_submission(form, data, draft)
    return fs.initial_values(form, data)


def task_file(task: OpenTask, user_id: int, file_id: str) -> dict | None:
    """The reference of a file uploaded into this open task's data (or into this user's draft of it), or None:
    only files the task itself holds are served through it."""
    try:
        data = engine.task_data(task.task_guid)
    except engine.Conflict:
        return None
    return find_reference(data, file_id) or find_reference(_draft(task.task_guid, user_id) or {}, file_id)


def task_documents(task: OpenTask) -> list[DocumentLink]:
    """The documents the task is about (the agreement to sign), as the areas declare them."""
    try:
        data = engine.task_data(task.task_guid)
    except engine.Conflict:
        return []
    return registry().task_documents(task.process_key, task.spec_id, data)


def submit(task: OpenTask, form: fs.Form, user_id: int, formdata, files, remote_addr: str | None = None) -> Outcome:
    """Validate and complete the task (or save a draft). When someone else completed it first (also while
    this form was being read or validated) the outcome is `conflict`, and nothing of this submission stays."""
    try:
        existing = engine.task_data(task.task_guid)
    except engine.Conflict as err:
        return Outcome("conflict", message=str(err), http_status=409)
    action = fs.row_action(formdata)
    if action is not None:
        data = fs.parse_submission(form, formdata, None, existing, keep_blank_rows=True)
        return Outcome("rerender", fs.apply_row_action(form, data, action))
    saving = formdata.get(fs.ACTION_FIELD) == "save"
    with UploadBatch(uploads_dir()) as batch:
        data = fs.parse_submission(form, formdata, files, existing, uploads=batch)
        errors = fs.validate(form, data)
        if errors and not saving:
            return Outcome("invalid", fs.redisplay_values(form, data, existing), errors, 422)
        if saving:
            errors = {path: errs for path, errs in errors.items()
                      if any(e.code.startswith("file") for e in errs)}
            if errors:
                return Outcome("invalid", fs.redisplay_values(form, data, existing), errors, 422)
        stored = batch.commit()
    try:
        if saving:
            _save_draft(task.task_guid, user_id, data)
            return Outcome("saved")
        # Outside any transaction of ours: the engine runs the process code with no lock held and drops
        # the task's drafts in the step's own transaction.
        engine.complete_task(task.task_guid, fs.merge_submission(form, existing, data), user_id,
                             remote_addr=remote_addr, submission=data)
        return Outcome("completed")
    except engine.Conflict as err:
        _remove(stored)
        return Outcome("conflict", message=str(err), http_status=409)
    except engine.EngineError as err:
        _remove(stored)
        return Outcome("refused", fs.redisplay_values(form, data, existing), {}, 422, str(err))


def _save_draft(task_guid: str, user_id: int, data: dict) -> None:
    with unit_of_work() as uow:
        row = uow.execute(select(TaskDraft).where(TaskDraft.task_guid == task_guid,
                                                  TaskDraft.user_id == user_id)).scalar_one_or_none()
        if row is None:
            uow.add(TaskDraft(task_guid=task_guid, user_id=user_id, data=data, updated_at=utcnow()))
        else:
            row.data, row.updated_at = data, utcnow()
        uow.commit()


def claim(task_guid: str, user_id: int, remote_addr: str | None = None) -> None:
    """Take a group task: ClaimedElsewhere when someone was faster, NoLongerOpen when it is done."""
    try:
        engine.claim_task(task_guid, user_id, remote_addr)
    except engine.Conflict as err:
        raise ClaimedElsewhere(str(err)) from None
    except engine.NotFound as err:
        raise NoLongerOpen(str(err)) from None
    except engine.InvalidState as err:
        raise InstanceSuspended(str(err)) from None
    except engine.EngineError as err:
        raise TaskActionRefused(str(err)) from None


def unclaim(task_guid: str, user_id: int, remote_addr: str | None = None) -> None:
    try:
        engine.unclaim_task(task_guid, user_id, remote_addr)
    except engine.EngineError as err:
        raise TaskActionRefused(str(err)) from None


def reassign(task_guid: str, user_id: int, actor_id: int, remote_addr: str | None = None) -> str:
    """Hand the task to `user_id`, who must be someone it may be given to (access.can_be_assigned); returns
    that person's name. NoLongerOpen when the task was completed meanwhile."""
    _task, facts = task_facts(task_guid)
    if facts is None:
        raise NoLongerOpen(task_guid)
    target = active_user(user_id)
    if target is None or not can_be_assigned(principal_of(target, current_policy()), facts):
        raise NotAssignable(user_id)
    name = target.display_name
    try:
        engine.reassign_task(task_guid, target.id, actor_id, remote_addr)
    except engine.NotFound as err:
        raise NoLongerOpen(str(err)) from None
    return name


def _remove(refs: list[dict]) -> None:
    for ref in refs:
        upload_path(uploads_dir(), ref["file_id"]).unlink(missing_ok=True)


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def instructions_html(text: str | None) -> Markup | None:
    """Instructions from the BPMN (Markdown, untrusted): raw HTML and images are not rendered."""
    return Markup(_markdown().render(text)) if text else None
