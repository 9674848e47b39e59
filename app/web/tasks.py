"""A task page: the form, instructions, the instance's history; claim, unclaim, reassign, save, complete.

Two people acting on the same task at once (two owners submitting, two counselors claiming) is normal:
whoever comes second gets one answer, a message that someone else completed or claimed it first and the
way back to the inbox, never an error page.
"""
from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import engine
from app.platform.source_texts import source_text
from app.services import inbox, task_forms
from app.services.access import can_claim_task, can_reassign_task, can_see_task, can_work_task
from app.web.security import permission_required, principal

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


def _visible(task_guid: str):
    task, facts = inbox.task_facts(task_guid)
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
    task, facts = inbox.task_facts(task_guid)
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


def _render(task, facts, form, values, errors, status: int = 200, message: str | None = None):
    return render_template(
        "tasks/show.html", task=task, form=form, values=values, errors=errors, message=message,
        can_work=can_work_task(principal(), facts), can_claim=can_claim_task(principal(), facts),
        instructions=task_forms.instructions_html(source_text(task.instructions)),
        timeline=task_forms.timeline(task.instance_id)), status


@bp.get("/<task_guid>")
@permission_required("inbox.view")
def show(task_guid: str):
    task, facts = _visible(task_guid)
    form = task_forms.form_for(task)
    try:
        values = task_forms.start_values(task, form, principal().id)
    except engine.Conflict:  # completed between the two reads
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
    form = task_forms.form_for(task)
    outcome = task_forms.submit(task, form, principal().id, request.form, request.files, request.remote_addr)
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
    try:
        engine.claim_task(task_guid, principal().id, request.remote_addr)
    except engine.Conflict:
        _task, now = inbox.task_facts(task_guid)
        if now is not None and now.assignee_id == principal().id:  # this user's other tab was faster
            return redirect(url_for("tasks.show", task_guid=task_guid))
        return _claimed_elsewhere()
    except engine.NotFound:
        return _completed_elsewhere()
    flash(_("The task is yours now."), "success")
    return redirect(url_for("tasks.show", task_guid=task_guid))


@bp.post("/<task_guid>/unclaim")
@permission_required("inbox.view")
def unclaim(task_guid: str):
    task, facts = _visible(task_guid)
    if facts.assignee_id != principal().id:
        abort(403)
    try:
        engine.unclaim_task(task_guid, principal().id, request.remote_addr)
        flash(_("The task is back in the group's list."), "success")
    except engine.EngineError as err:
        flash(str(err), "error")
    return redirect(url_for("inbox.index"))


@bp.post("/<task_guid>/reassign")
@permission_required("task.reassign")
def reassign(task_guid: str):
    task, facts = _visible(task_guid)
    if not can_reassign_task(principal(), facts):
        abort(403)
    from app.services.people import find_user

    target = find_user(request.form.get("username", "").strip())
    if target is None:
        flash(_("No such user."), "error")
        return redirect(url_for("tasks.show", task_guid=task_guid)), 303
    engine.reassign_task(task_guid, target.id, principal().id, request.remote_addr)
    flash(_("Reassigned to %(name)s.", name=target.display_name), "success")
    return redirect(url_for("tasks.show", task_guid=task_guid))
