"""Fairs: the list, creating and opening one (staff), a fair's page with its booth maps, registering
(students), applying for a booth (employers), the student's own queues (his phone during the fair), the
kiosk (staff check students in), the staff overview, a hall's big-screen board (public), one ticket."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.identity.guards import permission_required, principal
from app.interviews import domain, fairs, labels, queries, queue_queries, queue_services
from app.interviews import queue_rules as rules
from app.platform.live_stream import subscribe_page
from app.platform.params import date_value, local_datetime, object_id, text_value
from app.platform.params import whole_number as int_value
from app.platform.web import public

bp = Blueprint("fairs", __name__, url_prefix="/fairs", template_folder="../templates")


@bp.app_context_processor
def _labels():
    return {"fair_status_labels": labels.FAIR_STATUS, "booth_status_labels": labels.BOOTH_STATUS,
            "ticket_status_labels": labels.TICKET_STATUS, "outcome_labels": labels.OUTCOME,
            "display_number": rules.display_number}


def _fair_or_404(fair_id: int):
    fair = queries.visible_fair(principal(), object_id(fair_id))
    if fair is None:
        abort(404)
    return fair


@bp.get("/")
@permission_required("fair.view")
def index():
    return render_template("interviews/fairs/index.html", fairs=queries.fairs(principal()))


def _fair_input(form) -> tuple[domain.FairInput | None, dict[str, str], dict]:
    values = {k: text_value(form.get(k), 200) for k in ("title", "venue", "day", "starts_at", "ends_at",
                                                          "booth_deadline", "capacity", "no_show_minutes",
                                                          "pause_minutes", "halls")}
    errors: dict[str, str] = {}
    day = date_value(values["day"])
    deadline = date_value(values["booth_deadline"])
    starts, ends = local_datetime(values["starts_at"]), local_datetime(values["ends_at"])
    for name, value, code in (("day", day, "date"), ("booth_deadline", deadline, "date"),
                              ("starts_at", starts, "datetime"), ("ends_at", ends, "datetime")):
        if value is None:
            errors[name] = str(labels.PROBLEM[code])
    numbers = {}
    for name, low, high in (("capacity", 1, 100_000), ("no_show_minutes", 1, 60), ("pause_minutes", 1, 120)):
        numbers[name] = int_value(values[name], low, high)
        if numbers[name] is None:
            errors[name] = str(labels.PROBLEM["number"])
    halls = []
    for line in values["halls"].replace("；", ";").split(";"):
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) != 4 or int_value(parts[2], 1, 40) is None or int_value(parts[3], 1, 40) is None:
            errors["halls"] = _("One hall per entry as code,name,rows,columns; separate halls with ';'.")
            break
        halls.append((parts[0].upper(), parts[1], int(parts[2]), int(parts[3])))
    if errors:
        return None, errors, values
    return domain.FairInput(values["title"], day, starts, ends, values["venue"], numbers["capacity"], deadline,
                            numbers["no_show_minutes"], numbers["pause_minutes"], tuple(halls)), {}, values


@bp.route("/new", methods=["GET", "POST"])
@permission_required("fair.manage")
def new():
    if request.method == "GET":
        return render_template("interviews/fairs/new.html", values={
            "no_show_minutes": "3", "pause_minutes": "5", "capacity": "3000", "halls": "A,一号馆,4,6; B,二号馆,4,6"},
            errors={})
    data, errors, values = _fair_input(request.form)
    if data is not None:
        try:
            fair_id = fairs.create_fair(principal().id, data)
        except fairs.FairError as err:
            errors = labels.problems(err.problems)
        else:
            flash(_("The fair was created as a draft. Open it when employers may apply for booths."), "success")
            return redirect(url_for("fairs.show", fair_id=fair_id), 303)
    return render_template("interviews/fairs/new.html", values=values, errors=errors), 422


@bp.get("/<int:fair_id>")
@permission_required("fair.view")
def show(fair_id: int):
    detail = queries.fair_detail(principal(), object_id(fair_id))
    if detail is None:
        abort(404)
    today = date.today()
    return render_template(
        "interviews/fairs/show.html", d=detail, today=today,
        booth_applications_open=domain.booth_applications_open(detail.fair.status, detail.fair.booth_deadline, today),
        my_positions=queries.employer_open_positions(principal().employer_id) if principal().can("booth.apply") else [],
        counts=queue_queries.fair_counts(fair_id) if domain.is_office(principal()) else None)


@bp.post("/<int:fair_id>/status")
@permission_required("fair.manage")
def set_status(fair_id: int):
    _fair_or_404(fair_id)
    try:
        fairs.set_fair_status(fair_id, request.form.get("status") or "")
        flash(_("The fair's status was changed."), "success")
    except fairs.FairError as err:
        flash(str(err), "error")
    return redirect(url_for("fairs.show", fair_id=fair_id), 303)


@bp.post("/<int:fair_id>/register")
@permission_required("fair.register")
def register(fair_id: int):
    _fair_or_404(fair_id)
    try:
        added = fairs.register(principal().id, fair_id)
        flash(_("You are registered for the fair.") if added else _("You were registered already."), "success")
    except fairs.FairError as err:
        flash(str(err), "error")
    return redirect(url_for("fairs.show", fair_id=fair_id), 303)


@bp.post("/<int:fair_id>/booth-application")
@permission_required("booth.apply")
def apply_for_booth(fair_id: int):
    _fair_or_404(fair_id)
    ids = [v for v in (int_value(p) for p in request.form.getlist("positions")) if v]
    try:
        fairs.apply_for_booth(principal().id, fair_id, ids, text_value(request.form.get("hall"), 4) or None,
                              text_value(request.form.get("note"), 2000))
        flash(_("Your booth application was sent to the career office."), "success")
    except fairs.FairError as err:
        flash(str(err), "error")
    return redirect(url_for("fairs.show", fair_id=fair_id), 303)


@bp.post("/booth-applications/<int:application_id>/move")
@permission_required("fair.manage")
def move_booth(application_id: int):
    try:
        fairs.move_booth(object_id(application_id), text_value(request.form.get("booth"), 8))
        flash(_("The employer was moved to the other booth."), "success")
    except fairs.FairError as err:
        flash(str(err), "error")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url) else url_for("fairs.index"),
                    303)


# -- during the fair -------------------------------------------------------------------------------------------

@bp.get("/<int:fair_id>/me")
@permission_required("fair.register")
def my_queue(fair_id: int):
    fair = _fair_or_404(fair_id)
    mine = queue_queries.my_queues(fair, principal().id)
    subscribe_page(*(queue_services.board_channel(fair.id, hall_id) for hall_id in mine.hall_ids[:12]))
    return render_template("interviews/fairs/me.html", fair=fair, mine=mine,
                           status_labels={k: str(v) for k, v in labels.TICKET_STATUS.items()})


@bp.get("/<int:fair_id>/me.json")
@permission_required("fair.register")
def my_queue_json(fair_id: int):
    fair = _fair_or_404(fair_id)
    return jsonify(queue_queries.my_queues(fair, principal().id).as_json())


@bp.post("/tickets/<int:ticket_id>/leave")
@permission_required("fair.register")
def leave(ticket_id: int):
    row = queue_queries.visible_ticket(principal(), object_id(ticket_id))
    if row is None or row.student_id != principal().id:
        abort(404)
    try:
        queue_services.leave(ticket_id, principal().id)
        flash(_("You left the queue of booth %(booth)s.", booth=row.code), "success")
    except queue_services.QueueError as err:
        flash(str(err), "error")
    return redirect(url_for("fairs.my_queue", fair_id=row.fair_id), 303)


@bp.get("/tickets/<int:ticket_id>")
@permission_required("fair.view")
def ticket(ticket_id: int):
    row = queue_queries.visible_ticket(principal(), object_id(ticket_id))
    if row is None:
        abort(404)
    return render_template("interviews/fairs/ticket.html", t=row, label=rules.ticket_label(row.code, row.number))


@bp.get("/<int:fair_id>/overview")
@permission_required("fair.manage")
def overview(fair_id: int):
    fair = _fair_or_404(fair_id)
    detail = queries.fair_detail(principal(), fair_id)
    subscribe_page(*(queue_services.board_channel(fair.id, m.hall.id) for m in detail.halls[:12]))
    return render_template("interviews/fairs/overview.html", fair=fair, rows=queue_queries.overview(fair),
                           counts=queue_queries.fair_counts(fair_id), halls=[m.hall for m in detail.halls])


@bp.get("/<int:fair_id>/overview.json")
@permission_required("fair.manage")
def overview_json(fair_id: int):
    fair = _fair_or_404(fair_id)
    return jsonify(counts=queue_queries.fair_counts(fair_id),
                   booths=[row.__dict__ for row in queue_queries.overview(fair)])


@bp.route("/<int:fair_id>/kiosk", methods=["GET", "POST"])
@permission_required("fair.manage")
def kiosk(fair_id: int):
    fair = _fair_or_404(fair_id)
    detail = queries.fair_detail(principal(), fair_id)
    booths = [cell[0] for m in detail.halls for row in m.grid for cell in row if cell and cell[0].employer_id]
    names = {cell[0].id: cell[1] for m in detail.halls for row in m.grid for cell in row if cell}
    status, result, error = 200, None, None
    values = {"student_no": "", "booth": ""}
    if request.method == "POST":
        values = {"student_no": text_value(request.form.get("student_no"), 20),
                  "booth": text_value(request.form.get("booth"), 12)}
        student = queries.student_by_number(values["student_no"])
        booth_id = int_value(values["booth"])
        if student is None:
            status, error = 422, _("No student has this number.")
        elif booth_id not in {b.id for b in booths}:
            status, error = 422, _("Choose a booth of this fair.")
        else:
            try:
                result = queue_services.check_in(student[0], booth_id, rules.VIA_KIOSK, actor_id=principal().id)
                result = (result, student[1])
                values["student_no"] = ""
            except queue_services.QueueError as err:
                status, error = 409, str(err)
    return render_template("interviews/fairs/kiosk.html", fair=fair, booths=booths, names=names, values=values,
                           result=result, error=error), status


@bp.get("/<int:fair_id>/halls/<int:hall_id>/board")
@public
def board(fair_id: int, hall_id: int):
    found = queue_queries.hall(object_id(fair_id), object_id(hall_id))
    if found is None:
        abort(404)
    fair, hall = found
    subscribe_page(queue_services.board_channel(fair_id, hall_id))
    return render_template("interviews/fairs/board.html", fair=fair, hall=hall, booths=queue_queries.board(fair, hall))


@bp.get("/<int:fair_id>/halls/<int:hall_id>/board.json")
@public
def board_json(fair_id: int, hall_id: int):
    found = queue_queries.hall(object_id(fair_id), object_id(hall_id))
    if found is None:
        abort(404)
    return jsonify(booths=queue_queries.board(*found))
