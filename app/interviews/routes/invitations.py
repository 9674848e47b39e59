"""Interview invitations: the list (one's own, one's organisation's, all for staff), inviting a student (from
an application or by student number), one invitation with its answer task and its agreement, cancelling."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.identity.guards import permission_required, principal
from app.interviews import domain, invitations, labels, queries
from app.platform.params import local_datetime, object_id, page_number, text_value
from app.platform.params import whole_number as int_value
from app.platform.db_types import utcnow

bp = Blueprint("invitations", __name__, url_prefix="/invitations", template_folder="../templates")


@bp.app_context_processor
def _labels():
    return {"invitation_status_labels": labels.INVITATION_STATUS, "place_labels": labels.PLACE_KIND}


@bp.get("/")
@permission_required("invitation.view")
def index():
    status = request.args.get("status")
    status = status if status in domain.INVITATION_STATUSES else None
    return render_template("interviews/invitations/index.html", status=status, statuses=domain.INVITATION_STATUSES,
                           result=queries.invitations(principal(), status, page_number()))


def _form_page(values: dict, errors: dict, status: int = 200, message: str | None = None):
    return render_template("interviews/invitations/new.html", values=values, errors=errors, message=message,
                           positions=queries.employer_open_positions(principal().employer_id),
                           booths=queries.employer_booths(principal().employer_id),
                           places=domain.PLACE_KINDS), status


@bp.route("/new", methods=["GET", "POST"])
@permission_required("invitation.send")
def new():
    if request.method == "GET":
        values = {"place_kind": domain.PLACE_ROOM}
        application_id = int_value(request.args.get("application"))
        if application_id:
            application = queries.visible_application(principal(), application_id)
            if application is None or not domain.is_employer_of(principal(), application.employer_id):
                abort(404)
            student = queries.student_number_of(application.student_id)
            values.update(application_id=application_id, student_no=student, position_id=application.position_id)
        start = (utcnow() + timedelta(days=2)).astimezone(invitations.LOCAL_TZ).replace(minute=0, second=0,
                                                                                          microsecond=0)
        values.update(slot_start=start.strftime("%Y-%m-%dT%H:%M"),
                      slot_end=(start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
                      expires_at=(start - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"))
        return _form_page(values, {})
    form = request.form
    values = {k: text_value(form.get(k), 500) for k in ("student_no", "position_id", "slot_start", "slot_end",
                                                          "expires_at", "place_kind", "booth_id", "room", "online_url",
                                                          "message", "application_id")}
    errors = {}
    student = queries.student_by_number(values["student_no"])
    if student is None:
        errors["student_no"] = _("No student has this number.")
    position_id = int_value(values["position_id"])
    if position_id is None:
        errors["position_id"] = _("Choose one of your published positions.")
    times = {k: local_datetime(values[k]) for k in ("slot_start", "slot_end", "expires_at")}
    for name, value in times.items():
        if value is None:
            errors[name] = str(labels.PROBLEM["datetime"])
    if errors:
        return _form_page(values, errors, 422, _("Please correct the marked fields."))
    place = invitations.Place(values["place_kind"], int_value(values["booth_id"]), values["room"], values["online_url"])
    try:
        invitation_id = invitations.invite(
            principal().id, student[0], position_id, domain.Slot(times["slot_start"], times["slot_end"]),
            place, times["expires_at"], values["message"], int_value(values["application_id"]))
    except invitations.InvitationError as err:
        return _form_page(values, {err.field: str(err)} if err.field else {}, 422, str(err))
    flash(_("The invitation was sent to %(student)s.", student=student[1]), "success")
    return redirect(url_for("invitations.show", invitation_id=invitation_id), 303)


@bp.get("/<int:invitation_id>")
@permission_required("invitation.view")
def show(invitation_id: int):
    detail = queries.invitation_detail(principal(), object_id(invitation_id))
    if detail is None:
        abort(404)
    return render_template("interviews/invitations/show.html", d=detail)


@bp.post("/<int:invitation_id>/cancel")
@permission_required("invitation.view")
def cancel(invitation_id: int):
    detail = queries.invitation_detail(principal(), object_id(invitation_id))
    if detail is None:
        abort(404)
    if detail.party is None:
        flash(_("Only the student or the employer can cancel an interview."), "error")
    else:
        try:
            invitations.cancel(invitation_id, principal().id, detail.party, text_value(request.form.get("reason"), 600))
            flash(_("The interview was cancelled; the other side was told."), "success")
        except invitations.InvitationError as err:
            flash(str(err), "error")
    return redirect(url_for("invitations.show", invitation_id=invitation_id), 303)
