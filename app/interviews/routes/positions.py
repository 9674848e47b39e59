"""Positions: search and browse (students), write, submit and close (employers), apply with a résumé
(students), applicants and screening (employers), the résumé file (its access is recorded)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.forms.task_forms import uploads_dir
from app.forms.uploads import DOCX, PDF, UploadBatch, UploadRejected, format_size, upload_path
from app.identity.guards import permission_required, principal
from app.interviews import domain, labels, positions, queries
from app.platform.params import date_value, object_id, page_number, text_value
from app.platform.params import whole_number as int_value

bp = Blueprint("positions", __name__, url_prefix="/positions", template_folder="../templates")

MAX_RESUME = 10 * 1024 * 1024
TEXT_FIELDS = ("title", "description", "city", "work_location", "breach_terms", "other_clauses", "archive_address")
NUMBER_FIELDS = {"pay_min": (1, domain.MAX_PAY), "pay_max": (1, domain.MAX_PAY), "headcount": (1, domain.MAX_HEADCOUNT),
                 "probation_months": (0, 6), "contract_years": (1, 10)}


@bp.app_context_processor
def _labels():
    return {"position_status_labels": labels.POSITION_STATUS, "application_status_labels": labels.APPLICATION_STATUS,
            "flag_labels": labels.FLAG_CATEGORY, "degree_labels": labels.DEGREE}


@bp.get("/")
@permission_required("position.view")
def index():
    search = queries.Search.from_args(request.args)
    if "degree" not in request.args and principal().roles == {"student"}:
        search = queries.Search(search.q, search.city, search.major_id, queries.student_degree(principal().id))
    result = queries.search_positions(principal(), search, page_number())
    return render_template("interviews/positions/index.html", result=result, search=search,
                           choices=queries.search_choices())


@bp.get("/mine")
@permission_required("position.manage")
def mine():
    return render_template("interviews/positions/mine.html", result=queries.my_positions(principal(), page_number()))


def _form_input(form) -> tuple[domain.PositionInput | None, dict[str, str], dict]:
    values = {name: text_value(form.get(name), 4000) for name in TEXT_FIELDS}
    values["degree"] = form.get("degree") or ""
    errors: dict[str, str] = {}
    numbers = {}
    for name, (low, high) in NUMBER_FIELDS.items():
        values[name] = (form.get(name) or "").strip()
        numbers[name] = int_value(values[name], low, high)
        if numbers[name] is None:
            errors[name] = str(labels.PROBLEM["number"])
    values["deadline"] = (form.get("deadline") or "").strip()
    deadline = date_value(values["deadline"]) if values["deadline"] else None
    if values["deadline"] and deadline is None:
        errors["deadline"] = str(labels.PROBLEM["date"])
    majors = tuple(sorted({v for v in (int_value(m) for m in form.getlist("majors")) if v}))
    values["majors"] = list(majors)
    values["hukou_transfer"] = form.get("hukou_transfer") == "yes"
    if errors:
        return None, errors, values
    data = domain.PositionInput(values["title"], values["description"], majors, values["degree"], values["city"],
                                values["work_location"], numbers["pay_min"], numbers["pay_max"], numbers["headcount"],
                                deadline, numbers["probation_months"], numbers["contract_years"],
                                values["breach_terms"], values["other_clauses"], values["archive_address"],
                                values["hukou_transfer"])
    return data, {}, values


def _editor(values: dict, errors: dict, position_id: int | None = None, status: int = 200, message: str | None = None):
    return render_template("interviews/positions/edit.html", values=values, errors=errors, position_id=position_id,
                           majors=queries.majors(), degrees=(domain.ANY_DEGREE, *domain.DEGREES),
                           message=message), status


def _save(position_id: int | None):
    data, errors, values = _form_input(request.form)
    if data is None:
        return _editor(values, errors, position_id, 422, _("Please correct the marked fields."))
    try:
        saved = positions.save_position(principal().id, data, position_id)
    except positions.PositionError as err:
        return _editor(values, labels.problems(err.problems), position_id, 422, str(err))
    flash(_("The position was saved. Submit it for review when it is ready."), "success")
    return redirect(url_for("positions.show", position_id=saved), 303)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("position.manage")
def new():
    if request.method == "GET":
        return _editor({"degree": "本科", "probation_months": "3", "contract_years": "3", "headcount": "1",
                        "other_clauses": "无", "majors": []}, {})
    return _save(None)


@bp.route("/<int:position_id>/edit", methods=["GET", "POST"])
@permission_required("position.manage")
def edit(position_id: int):
    position = queries.editable_position(principal(), object_id(position_id))
    if position is None:
        abort(404)
    if request.method == "POST":
        return _save(position_id)
    values = {name: getattr(position, name) for name in (*TEXT_FIELDS, "degree", *NUMBER_FIELDS, "hukou_transfer")}
    values.update(deadline=position.deadline.isoformat() if position.deadline else "",
                  majors=queries.position_majors(position_id))
    return _editor(values, {}, position_id)


@bp.get("/<int:position_id>")
@permission_required("position.view")
def show(position_id: int):
    detail = queries.position_detail(principal(), object_id(position_id))
    if detail is None:
        abort(404)
    return render_template("interviews/positions/show.html", d=detail, max_resume=format_size(MAX_RESUME),
                           open_for_applications=domain.is_open_for_applications(
                               detail.position.status, detail.position.deadline, date.today()))


def _owner_action(position_id: int, act, done: str):
    try:
        act(principal().id, object_id(position_id))
    except positions.PositionError as err:
        flash(str(err), "error")
        return redirect(url_for("positions.show", position_id=position_id), 303)
    flash(done, "success")
    return redirect(url_for("positions.show", position_id=position_id), 303)


@bp.post("/<int:position_id>/submit")
@permission_required("position.manage")
def submit(position_id: int):
    return _owner_action(position_id, positions.submit_position,
                         _("The position was sent to the career office for review."))


@bp.post("/<int:position_id>/close")
@permission_required("position.manage")
def close(position_id: int):
    return _owner_action(position_id, positions.close_position, _("The position was closed."))


@bp.post("/<int:position_id>/apply")
@permission_required("application.create")
def apply(position_id: int):
    back = redirect(url_for("positions.show", position_id=object_id(position_id)), 303)
    upload = request.files.get("resume")
    if upload is None or not upload.filename:
        flash(_("Attach your résumé (PDF or Word)."), "error")
        return back
    with UploadBatch(uploads_dir()) as batch:
        try:
            reference = batch.stage(upload, accept=[PDF, DOCX], max_size=MAX_RESUME)
        except UploadRejected as err:
            flash(_("The résumé must be a PDF or Word file of at most %(size)s.", size=format_size(MAX_RESUME))
                  if err.code != "fileEmpty" else _("The file is empty."), "error")
            return back
        batch.commit()
    try:
        positions.apply(principal().id, position_id, reference, text_value(request.form.get("note"), 2000))
    except BaseException as err:
        upload_path(uploads_dir(), reference["file_id"]).unlink(missing_ok=True)  # nothing kept on a refusal
        if not isinstance(err, positions.PositionError):
            raise
        flash(str(err), "error")
        return back
    flash(_("Your application was sent. You can follow it under My applications."), "success")
    return back


@bp.get("/applications")
@permission_required("application.create")
def my_applications():
    return render_template("interviews/positions/applications.html", rows=queries.my_applications(principal()))


@bp.post("/applications/<int:application_id>/withdraw")
@permission_required("application.create")
def withdraw(application_id: int):
    try:
        positions.withdraw(principal().id, object_id(application_id))
        flash(_("Your application was withdrawn."), "success")
    except positions.PositionError as err:
        flash(str(err), "error")
    return redirect(url_for("positions.my_applications"), 303)


@bp.get("/<int:position_id>/applicants")
@permission_required("position.view")
def applicants(position_id: int):
    rows = queries.applicants(principal(), object_id(position_id))
    detail = queries.position_detail(principal(), position_id)
    if rows is None or detail is None:
        abort(404)
    return render_template("interviews/positions/applicants.html", d=detail, rows=rows,
                           can_screen=domain.can_screen(principal(), detail.position.employer_id))


@bp.post("/applications/<int:application_id>/screen")
@permission_required("position.manage")
def screen(application_id: int):
    application = queries.visible_application(principal(), object_id(application_id))
    if application is None:
        abort(404)
    try:
        positions.screen(principal().id, application_id, request.form.get("decision") or "",
                         text_value(request.form.get("reason"), 2000))
        flash(_("The student was told."), "success")
    except positions.PositionError as err:
        flash(str(err), "error")
    return redirect(url_for("positions.applicants", position_id=application.position_id), 303)


@bp.get("/applications/<int:application_id>/resume")
@permission_required("position.view")
def resume(application_id: int):
    application = queries.visible_application(principal(), object_id(application_id))
    if application is None:
        abort(404)
    try:
        path = upload_path(uploads_dir(), application.resume["file_id"])
    except ValueError:
        abort(404)
    if not path.exists():
        abort(404)
    if principal().id != application.student_id:
        positions.record_resume_access(application_id, principal().id)
    return send_file(path, mimetype=application.resume.get("content_type") or "application/octet-stream",
                     as_attachment=True, download_name=application.resume.get("name") or "resume",
                     max_age=0)
