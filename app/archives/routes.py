"""The archives' pages: the list of students one may see, a student's archive (timeline, masked personal data,
notes), the Excel import (template, dry run, marked-up report, commit with progress), manual create and edit,
export."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.archives import domain, imports, queries, services
from app.archives.services import ArchiveError
from app.identity.guards import permission_required, principal
from app.platform import progress
from app.platform.clock import LOCAL_TZ, local_text
from app.platform.db_types import utcnow
from app.platform.params import page_number, whole_number
from app.platform import xlsx_import as xl
from app.platform.xlsx_import import ImportFileError

bp = Blueprint("archives", __name__, url_prefix="/archives", template_folder="templates")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ID = 2**31 - 1


def _id(value: int) -> int:
    if not 0 < value <= MAX_ID:
        abort(404)
    return value


@bp.app_context_processor
def _labels():
    return {"archive_categories": domain.BY_CODE}


@bp.app_template_filter("archive_time")
def _archive_time(moment) -> str:
    return local_text(moment)


@bp.get("/")
@permission_required("archive.view")
def index():
    me = principal()
    if me.roles == {"student"}:
        return redirect(url_for("archives.show", student_id=me.id))
    q = (request.args.get("q") or "").strip()[:40]
    year = request.args.get("year", "")
    year_value = whole_number(year, 1900, 2199)
    result = queries.list_students(me, q, year_value, page_number())
    return render_template("archives/index.html", result=result, q=q, year=year_value or "")


@bp.get("/me")
@permission_required("archive.view")
def mine():
    return redirect(url_for("archives.show", student_id=principal().id))


@bp.get("/<int:student_id>")
@permission_required("archive.view")
def show(student_id: int):
    view = queries.archive_view(principal(), _id(student_id), utcnow().astimezone(LOCAL_TZ).date())
    if view is None:
        abort(404)
    return render_template("archives/show.html", view=view, errors={}, values={})


@bp.post("/<int:student_id>/notes")
@permission_required("archive.note")
def add_note(student_id: int):
    me = principal()
    view = queries.archive_view(me, _id(student_id), utcnow().astimezone(LOCAL_TZ).date())
    if view is None:
        abort(404)
    if not view.may_note:
        abort(403)
    kind = request.form.get("kind", domain.NOTE)
    try:
        services.add_note(student_id, request.form.get("text", ""), me.id,
                          kind=kind if kind in (domain.NOTE, domain.ASSESSMENT) else domain.NOTE,
                          title=request.form.get("title", ""))
    except ArchiveError as err:
        return render_template("archives/show.html", view=view, errors={err.field or "text": _(str(err))},
                               values=request.form), 422
    flash(_("Added to the archive."), "success")
    return redirect(url_for("archives.show", student_id=student_id))


@bp.post("/<int:student_id>/update-request")
@permission_required("archive.view")
def request_update(student_id: int):
    me = principal()
    view = queries.archive_view(me, _id(student_id), utcnow().astimezone(LOCAL_TZ).date())
    if view is None:
        abort(404)
    if not view.may_request_update:
        abort(403)
    try:
        services.request_update(student_id, {k: (request.form.get(k) or "").strip()[:500] for k in
                                             ("current_employer", "current_position", "update_reason")})
    except ArchiveError as err:
        return render_template("archives/show.html", view=view, errors={err.field or "update_reason": _(str(err))},
                               values=request.form), 422
    flash(_("Your request was sent to the career office."), "success")
    return redirect(url_for("archives.show", student_id=student_id))


@bp.get("/seeking")
@permission_required("destination.report")
def seeking():
    year = request.args.get("year", "")
    today = utcnow().astimezone(LOCAL_TZ).date()
    graduation_year = int(year) if year.isdigit() and len(year) == 4 else today.year
    rows = queries.seeking_graduates(principal(), graduation_year, today)
    if request.args.get("format") == "xlsx":
        return send_file(io.BytesIO(_seeking_workbook(rows)), mimetype=XLSX, as_attachment=True,
                         download_name=f"待就业毕业生-{graduation_year}.xlsx")
    return render_template("archives/seeking.html", rows=rows, year=graduation_year, today=today)


def _seeking_workbook(rows) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet("待就业")
    ws.append([_("Student number"), _("Name"), _("College"), _("Major"), _("Degree"), _("Gender"), _("Phone"),
               _("Destination"), _("Registration")])
    for s in rows:
        g = s.graduate
        ws.append([g.student_no, g.name, g.college, g.major, g.degree, g.gender, s.phone,
                   domain.category(g.category).label, s.pending or ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- import -----------------------------------------------------------------------------------------------------

@bp.get("/import")
@permission_required("archive.import")
def import_page():
    return render_template("archives/import.html", error=None)


@bp.get("/import/template.xlsx")
@permission_required("archive.import")
def import_template():
    return send_file(io.BytesIO(xl.template(imports.sheet())), mimetype=XLSX, as_attachment=True,
                     download_name="学生基本信息导入模板.xlsx")


@bp.post("/import")
@permission_required("archive.import")
def upload():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("archives/import.html", error=_("Choose an Excel file (.xlsx).")), 400
    content = upload.read(xl.MAX_BYTES + 1)
    try:
        run_id = imports.check_upload(upload.filename, content, principal().id)
    except ImportFileError as err:
        return render_template("archives/import.html", error=str(err)), 400
    return redirect(url_for("archives.import_run", run_id=run_id))


def _own_run(run_id: int):
    run = queries.import_run(_id(run_id))
    if run is None or run.created_by != principal().id:
        abort(404)
    return run


@bp.get("/import/<int:run_id>")
@permission_required("archive.import")
def import_run(run_id: int):
    run = _own_run(run_id)
    return render_template("archives/import_run.html", run=run,
                           progress=progress.current(f"archive-import:{run.id}"))


@bp.get("/import/<int:run_id>/report.xlsx")
@permission_required("archive.import")
def import_report(run_id: int):
    run = _own_run(run_id)
    return send_file(io.BytesIO(imports.marked_up(run)), mimetype=XLSX, as_attachment=True,
                     download_name=f"导入问题-{run.id}.xlsx")


@bp.post("/import/<int:run_id>/commit")
@permission_required("archive.import")
def import_commit(run_id: int):
    _own_run(run_id)
    try:
        imports.queue_run(run_id, principal().id)
    except imports.ImportError_ as err:
        flash(_(str(err)), "error")
        return redirect(url_for("archives.import_run", run_id=run_id)), 409
    return redirect(url_for("archives.import_run", run_id=run_id))


@bp.get("/import/<int:run_id>/progress")
@permission_required("archive.import")
def import_progress(run_id: int):
    run = _own_run(run_id)
    return jsonify(status=run.status, summary=run.summary, progress=progress.current(f"archive-import:{run.id}"))


# -- manual create and edit, export -------------------------------------------------------------------------

@bp.route("/students/new", methods=["GET", "POST"])
@permission_required("archive.import")
def new_student():
    if request.method == "GET":
        return render_template("archives/edit.html", values={}, errors={}, student_id=None,
                               columns=imports.sheet().columns)
    values = {c.key: request.form.get(c.key, "")[:200] for c in imports.sheet().columns}
    student_id, errors = imports.save_student(values, principal().id)
    if errors:
        return render_template("archives/edit.html", values=values, errors=errors, student_id=None,
                               columns=imports.sheet().columns), 422
    flash(_("The student and the archive were created."), "success")
    return redirect(url_for("archives.show", student_id=student_id))


@bp.route("/<int:student_id>/edit", methods=["GET", "POST"])
@permission_required("archive.import")
def edit_student(student_id: int):
    facts = queries.student_facts(_id(student_id))
    if facts is None:
        abort(404)
    current = imports.student_texts(student_id)
    if request.method == "GET":
        return render_template("archives/edit.html", values=current, errors={}, student_id=student_id,
                               columns=imports.sheet().columns)
    values = {c.key: request.form.get(c.key, "")[:200] for c in imports.sheet().columns}
    _sid, errors = imports.save_student(values, principal().id, student_no=current["student_no"])
    if errors:
        return render_template("archives/edit.html", values=values, errors=errors, student_id=student_id,
                               columns=imports.sheet().columns), 422
    flash(_("Saved."), "success")
    return redirect(url_for("archives.show", student_id=student_id))


@bp.get("/export.xlsx")
@permission_required("archive.import")
def export():
    return send_file(io.BytesIO(imports.export_workbook(principal())), mimetype=XLSX, as_attachment=True,
                     download_name="学生基本信息.xlsx")
