"""The task inbox (My tasks, My groups' tasks, Unassigned, Overdue, Due today, Completed by me) and a task's
page: the form, instructions, the instance's history; claim, unclaim, reassign, save, complete.

Two people acting on the same task at once (two owners submitting, two counselors claiming) is normal:
whoever comes second gets one answer, a message that someone else completed or claimed it first and the
way back to the inbox, never an error page.
"""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.forms.task_forms import upload_response
from app.identity.access import can_claim_task, can_reassign_task, can_see_task, can_work_task
from app.identity.guards import permission_required, principal
from app.platform import params
from app.platform.params import page_number
from app.platform.source_texts import source_text
from app.processes import queries as process_queries
from app.tasklist import queries, services
from app.tasklist.queries import SORTS, VIEWS, InboxQuery

inbox_bp = Blueprint("inbox", __name__, template_folder="templates")
bp = Blueprint("tasks", __name__, url_prefix="/tasks", template_folder="templates")


@inbox_bp.get("/")
@permission_required("inbox.view")
def index():
    view = request.args.get("view", "mine")
    if view not in VIEWS:
        abort(404)
    sort = request.args.get("sort", "created")
    page = page_number()
    args = request.args
    query = InboxQuery(view=view, process_key=params.text(args, "process", 255),
                       business_key=params.text(args, "key", 120),
                       due_before=params.iso_date(args, "due_before"), due_after=params.iso_date(args, "due_after"),
                       sort=sort if sort in SORTS else "created", page=page)
    result = queries.list_tasks(principal(), query)
    return render_template("inbox/index.html", q=query, result=result, views=VIEWS, sorts=list(SORTS),
                           processes=queries.process_choices())


def _visible(task_guid: str):
    task, facts = queries.task_facts(task_guid)
    if task is None or not can_see_task(principal(), facts):
        abort(404)
    return task, facts


def _completed_elsewhere():
    flash(_("Someone else completed this task first, or it was withdrawn meanwhile."), "error")
    return redirect(url_for("inbox.index")), 303


def _claimed_elsewhere():
    flash(_("Someone else claimed this task first."), "error")
    return redirect(url_for("inbox.index")), 303


def _open_for_action(task_guid: str):
    """The task for a POST: (task, facts), or (None, None) when it is no longer open (someone else was
    faster); 404 when it is open but not this user's to see."""
    task, facts = queries.task_facts(task_guid)
    if task is None:
        return None, None
    if not can_see_task(principal(), facts):
        abort(404)
    return task, facts


def _taken_by_someone_else(facts) -> bool:
    """Claimed by another user, and this one could have claimed it while it was free."""
    me = principal()
    return (facts.assignee_id is not None and facts.assignee_id != me.id
            and can_claim_task(me, replace(facts, assignee_id=None)))


def _suspended_refusal(task_guid: str):
    flash(_("This process is suspended: its tasks can be neither claimed nor completed until the career "
            "office resumes it."), "error")
    return redirect(url_for("tasks.show", task_guid=task_guid)), 303


def _render(task, facts, form, values, errors, status: int = 200, message: str | None = None):
    """The task page. Someone who may claim a group task but has not sees its form read-only (a preview, as
    in Camunda Tasklist) with the claim button, so nobody claims blindly to learn what a task is about."""
    suspended = queries.instance_status(task.instance_id) == "suspended"
    can_work = not suspended and can_work_task(principal(), facts)
    preview = not suspended and not can_work and can_claim_task(principal(), facts)
    return render_template(
        "tasks/show.html", task=task, form=form, values=values, errors=errors, message=message,
        suspended=suspended, suspension_reason=queries.suspension_reason(task.instance_id) if suspended else None,
        can_work=can_work, can_claim=preview,
        claimants=queries.other_claimants(facts, principal().id) if preview else ([], False),
        assignee=queries.assignee_name(task.assignee_id),
        assignees=queries.assignees(facts) if can_reassign_task(principal(), facts) else [],
        instructions=services.instructions_html(source_text(task.instructions)),
        documents=services.task_documents(task),
        file_url=lambda file_id: url_for("tasks.file", task_guid=task.task_guid, file_id=file_id),
        timeline=process_queries.business_timeline(task.instance_id)), status


@bp.get("/<task_guid>")
@permission_required("inbox.view")
def show(task_guid: str):
    task, facts = _visible(task_guid)
    form = services.form_for(task)
    try:
        values = services.start_values(task, form, principal().id)
    except services.NoLongerOpen:  # completed between the two reads
        return _completed_elsewhere()
    return _render(task, facts, form, values, {})


@bp.post("/<task_guid>")
@permission_required("inbox.view")
def submit(task_guid: str):
    """Save a draft (`__action__=save`), add/remove a row, or complete the task."""
    task, facts = _open_for_action(task_guid)
    if task is None:
        return _completed_elsewhere()
    if not can_work_task(principal(), facts):
        if _taken_by_someone_else(facts):
            return _claimed_elsewhere()
        abort(403)
    if queries.instance_status(task.instance_id) == "suspended":
        return _suspended_refusal(task_guid)
    form = services.form_for(task)
    outcome = services.submit(task, form, principal().id, request.form, request.files, request.remote_addr)
    if outcome.status == "completed":
        flash(_("Submitted."), "success")
        return redirect(url_for("inbox.index"))
    if outcome.status == "saved":
        flash(_("Draft saved."), "success")
        return redirect(url_for("tasks.show", task_guid=task_guid))
    if outcome.status == "conflict":
        return _completed_elsewhere()
    return _render(task, facts, form, outcome.values, outcome.errors, outcome.http_status, outcome.message)


@bp.post("/<task_guid>/claim")
@permission_required("inbox.view")
def claim(task_guid: str):
    task, facts = _open_for_action(task_guid)
    if task is None:
        return _completed_elsewhere()
    if facts.assignee_id == principal().id:
        return redirect(url_for("tasks.show", task_guid=task_guid))  # a double click: it is already ours
    if not can_claim_task(principal(), facts):
        if _taken_by_someone_else(facts):
            return _claimed_elsewhere()
        abort(403)
    if queries.instance_status(task.instance_id) == "suspended":
        return _suspended_refusal(task_guid)
    try:
        services.claim(task_guid, principal().id, request.remote_addr)
    except services.ClaimedElsewhere:
        _task, now = queries.task_facts(task_guid)
        if now is not None and now.assignee_id == principal().id:  # this user's other tab was faster
            return redirect(url_for("tasks.show", task_guid=task_guid))
        return _claimed_elsewhere()
    except services.NoLongerOpen:
        return _completed_elsewhere()
    except services.InstanceSuspended:
        return _suspended_refusal(task_guid)
    except services.TaskActionRefused as err:
        flash(str(err), "error")
        return redirect(url_for("tasks.show", task_guid=task_guid))
    flash(_("The task is yours now."), "success")
    return redirect(url_for("tasks.show", task_guid=task_guid))


@bp.post("/<task_guid>/unclaim")
@permission_required("inbox.view")
def unclaim(task_guid: str):
    task, facts = _visible(task_guid)
    if facts.assignee_id != principal().id:
        abort(403)
    try:
        services.unclaim(task_guid, principal().id, request.remote_addr)
        flash(_("The task is back in the group's list."), "success")
    except services.TaskActionRefused as err:
        flash(str(err), "error")
    return redirect(url_for("inbox.index"))


@bp.post("/<task_guid>/reassign")
@permission_required("task.reassign")
def reassign(task_guid: str):
    task, facts = _visible(task_guid)
    if not can_reassign_task(principal(), facts):
        abort(403)
    value = request.form.get("user_id", "")
    if not (value.isascii() and value.isdigit() and len(value) < 10):
        flash(_("Choose the person to hand the task to."), "error")
        return redirect(url_for("tasks.show", task_guid=task_guid)), 303
    try:
        name = services.reassign(task_guid, int(value), principal().id, request.remote_addr)
    except services.NotAssignable:
        flash(_("This task cannot be given to that person: only people of its group and scope, or the party it "
                "is addressed to, may work on it."), "error")
        return redirect(url_for("tasks.show", task_guid=task_guid)), 303
    except services.NoLongerOpen:
        return _completed_elsewhere()
    flash(_("Reassigned to %(name)s.", name=name), "success")
    return redirect(url_for("tasks.show", task_guid=task_guid))


@bp.get("/<task_guid>/files/<file_id>")
@permission_required("inbox.view")
def file(task_guid: str, file_id: str):
    """A file uploaded into this task's data (the licence to review, a rescission letter): for whoever may see
    the task; PDF and images inline, `?download=1` as an attachment."""
    task, _facts = _visible(task_guid)
    reference = services.task_file(task, principal().id, file_id)
    if reference is None:
        abort(404)
    return upload_response(reference, download=request.args.get("download") == "1")


@bp.get("/done/<task_guid>")
@permission_required("inbox.view")
def submitted(task_guid: str):
    """What this user submitted when completing the task, read-only (from "Completed by me")."""
    submission = queries.my_submission(principal(), task_guid)
    if submission is None:
        abort(404)
    form = services.form_for(submission)
    return render_template("tasks/submitted.html", submission=submission, form=form,
                           rows=services.readonly_rows(form, submission.data),
                           process=process_queries.instance_summary(submission.instance_id))
