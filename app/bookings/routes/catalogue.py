"""The catalogue's management (staff): resources with their booking mode, schedule, roles and devices;
a new or changed resource; the catalogue as Excel (template, export, import with a dry run, row problems,
all or nothing, the upload marked up)."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.bookings import catalogue, catalogue_sheet, domain, queries
from app.identity.guards import permission_required
from app.platform import xlsx_import as xl
from app.platform.params import object_id

bp = Blueprint("booking_catalogue", __name__, url_prefix="/bookings/catalogue", template_folder="../templates")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULTS = {"kind": domain.STUDIO, "booking_mode": domain.DIRECT, "opens": "08:00", "closes": "21:00",
            "slot_minutes": "60", "max_minutes": "120", "advance_days": "7", "grace_minutes": "15",
            "remind_minutes": "60", "roles": "student"}


@bp.get("/")
@permission_required("booking.manage")
def index():
    return render_template("bookings/catalogue.html", resources=queries.resources(include_inactive=True),
                           preview=None)


def _form(values: dict, errors: dict, resource_id: int | None, status: int = 200):
    return render_template("bookings/resource_form.html", values=values, errors=errors, resource_id=resource_id,
                           kinds=domain.RESOURCE_KINDS, modes=domain.BOOKING_MODES, roles=domain.BOOKING_ROLES), status


@bp.route("/new", methods=["GET", "POST"])
@permission_required("booking.manage")
def new():
    return _edit(None)


@bp.route("/<int:resource_id>/edit", methods=["GET", "POST"])
@permission_required("booking.manage")
def edit(resource_id: int):
    return _edit(object_id(resource_id))


def _edit(resource_id: int | None):
    resource = None
    if resource_id is not None:
        resource = queries.resource(resource_id)
        if resource is None:
            abort(404)
    if request.method == "GET":
        return _form(catalogue.as_values(resource) if resource else dict(DEFAULTS), {}, resource_id)
    values = {k: (request.form.get(k) or "").replace("\x00", "").strip()[:2000] for k in catalogue.FIELDS}
    values["roles"] = ",".join(r for r in request.form.getlist("roles") if r in domain.BOOKING_ROLES)
    value, problems = catalogue.read_input(values)
    if value is None:
        return _form(values, {k: str(catalogue.PROBLEMS[c]) for k, c in problems.items()}, resource_id, 422)
    try:
        saved = catalogue.save(resource_id, value)
    except catalogue.CatalogueError as err:
        return _form(values, {k: str(v) for k, v in err.errors.items()}, resource_id, 422)
    flash(_("Saved."), "success")
    return redirect(url_for("bookings.calendar", resource_id=saved), 303)


@bp.post("/<int:resource_id>/active")
@permission_required("booking.manage")
def set_active(resource_id: int):
    try:
        catalogue.set_active(object_id(resource_id), request.form.get("active") == "1")
    except catalogue.CatalogueError as err:
        flash(str(err), "error")
    return redirect(url_for("booking_catalogue.index"), 303)


@bp.get("/template.xlsx")
@permission_required("booking.manage")
def template():
    return send_file(io.BytesIO(catalogue_sheet.template()), mimetype=XLSX, as_attachment=True,
                     download_name="resource-catalogue-template.xlsx")


@bp.get("/export.xlsx")
@permission_required("booking.manage")
def export():
    data = catalogue_sheet.export(queries.resources(include_inactive=True))
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True, download_name="resource-catalogue.xlsx")


@bp.post("/import")
@permission_required("booking.manage")
def import_file():
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    if not data:
        flash(_("Choose an .xlsx file."), "error")
        return render_template("bookings/catalogue.html", resources=queries.resources(include_inactive=True),
                               preview=None), 400
    dry_run = request.form.get("commit") != "1"
    try:
        preview = catalogue_sheet.import_catalogue(data, dry_run)
    except xl.ImportFileError as err:
        flash(str(err), "error")
        return render_template("bookings/catalogue.html", resources=queries.resources(include_inactive=True),
                               preview=None), 400
    if preview.problems and request.form.get("report") == "1":
        return send_file(io.BytesIO(catalogue_sheet.marked_up(data, preview.problems)), mimetype=XLSX,
                         as_attachment=True, download_name="resource-catalogue-problems.xlsx")
    if preview.saved:
        flash(_("Imported: %(created)s new, %(updated)s changed.", created=preview.saved[0],
                updated=preview.saved[1]), "success")
        return redirect(url_for("booking_catalogue.index"), 303)
    return render_template("bookings/catalogue.html", resources=queries.resources(include_inactive=True),
                           preview=preview), 422 if preview.problems else 200
