"""Booking pages: the catalogue, a resource's calendar (day or week; book a free slot, queue for a taken one),
one booking (cancel, check in, finish, answer an offer, its recording), one's bookings and credit, and the
staff's desk (every booking, device incidents, suspensions and lifting them)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from app.bookings import credit, device_jobs, domain, labels, live_events, queries, robot_alerts, services
from app.identity.guards import permission_required, principal
from app.platform import clock
from app.platform.live_stream import subscribe_page
from app.platform.params import date_value, local_datetime, object_id, text_value

bp = Blueprint("bookings", __name__, url_prefix="/bookings", template_folder="../templates")


@bp.app_context_processor
def _labels():
    return {"booking_status_labels": labels.STATUS, "resource_kind_labels": labels.KIND,
            "booking_mode_labels": labels.MODE, "slot_labels": labels.SLOT, "booking_role_labels": labels.ROLE,
            "credit_event_labels": labels.CREDIT_EVENT, "weekday_labels": labels.WEEKDAYS}


@bp.get("/")
@permission_required("booking.view")
def index():
    return render_template("bookings/index.html", resources=queries.resources())


def _visible_resource(resource_id: int):
    found = queries.resource(object_id(resource_id))
    if found is None or (not found.active and not domain.is_manager(principal())):
        abort(404)
    return found


@bp.get("/resources/<int:resource_id>")
@permission_required("booking.view")
def calendar(resource_id: int):
    resource = _visible_resource(resource_id)
    today = clock.utcnow().astimezone(domain.LOCAL_TZ).date()
    first = date_value(request.args.get("day")) or today
    view = "week" if request.args.get("view") == "week" else "day"
    if view == "week":
        first = first - timedelta(days=first.weekday())
    days = queries.calendar(principal(), resource, first, 7 if view == "week" else 1)
    subscribe_page(live_events.resource_channel(resource.id))
    showing = device_jobs.screen_of(resource)[0] if resource.kind == domain.BIG_SCREEN \
        and domain.is_manager(principal()) else None
    step = timedelta(days=7 if view == "week" else 1)
    return render_template("bookings/calendar.html", resource=resource, days=days, view=view, first=first,
                           previous=first - step, following=first + step, today=today,
                           may_book=domain.may_book(principal().roles, resource.roles or ())
                           and principal().can("booking.create") and resource.booking_mode != domain.NOT_BOOKABLE,
                           message=None, showing=showing)


def _slot_from_form(resource):
    start = local_datetime(request.form.get("start"))
    count = request.form.get("slots", "1")
    count = int(count) if count.isascii() and count.isdigit() and 0 < int(count) <= 48 else None
    if start is None or count is None:
        return None
    return domain.Slot(start, start + timedelta(minutes=resource.slot_minutes * count))


def _refused(resource, message: str, status: int):
    today = clock.utcnow().astimezone(domain.LOCAL_TZ).date()
    start = local_datetime(request.form.get("start"))
    first = start.astimezone(domain.LOCAL_TZ).date() if start else today
    days = queries.calendar(principal(), resource, first, 1)
    return render_template("bookings/calendar.html", resource=resource, days=days, view="day", first=first,
                           previous=first - timedelta(days=1), following=first + timedelta(days=1), today=today,
                           may_book=True, message=message, purpose=request.form.get("purpose", "")), status


@bp.post("/resources/<int:resource_id>/book")
@permission_required("booking.create")
def book(resource_id: int):
    resource = _visible_resource(resource_id)
    slot = _slot_from_form(resource)
    if slot is None:
        return _refused(resource, _("Choose a slot from the calendar."), 422)
    waitlist = request.form.get("waitlist") == "1"
    try:
        action = services.join_waitlist if waitlist else services.book
        booking_id = action(principal().id, resource.id, slot, text_value(request.form.get("purpose"), 300))
    except services.BookingError as err:
        return _refused(resource, str(err), 409 if err.code == "taken" else 422)
    flash(_("You are on the waitlist.") if waitlist else _("Booked."), "success")
    return redirect(url_for("bookings.show", booking_id=booking_id), 303)


@bp.get("/<int:booking_id>")
@permission_required("booking.view")
def show(booking_id: int):
    detail = queries.booking_detail(principal(), object_id(booking_id))
    if detail is None:
        abort(404)
    return render_template("bookings/show.html", d=detail, now=clock.utcnow())


def _act(booking_id: int, action, done: str):
    detail = queries.booking_detail(principal(), object_id(booking_id))
    if detail is None:
        abort(404)
    try:
        action(detail)
        flash(done, "success")
    except (services.BookingError, credit.CreditError) as err:
        flash(str(err), "error")
    return redirect(url_for("bookings.show", booking_id=booking_id), 303)


@bp.post("/<int:booking_id>/cancel")
@permission_required("booking.view")
def cancel(booking_id: int):
    reason = text_value(request.form.get("reason"), 600)
    return _act(booking_id, lambda d: services.cancel(booking_id, principal().id, reason,
                                                      as_staff=not d.is_booker and d.is_manager),
                _("The booking was cancelled."))


@bp.post("/<int:booking_id>/check-in")
@permission_required("booking.create")
def check_in(booking_id: int):
    return _act(booking_id, lambda d: services.check_in(booking_id, principal().id), _("Checked in."))


@bp.post("/<int:booking_id>/finish")
@permission_required("booking.create")
def finish(booking_id: int):
    return _act(booking_id, lambda d: services.finish(booking_id, principal().id),
                _("Ended; the devices are being switched off."))


@bp.post("/<int:booking_id>/offer")
@permission_required("booking.create")
def answer_offer(booking_id: int):
    accept = request.form.get("answer") == "accept"
    return _act(booking_id, lambda d: services.answer_offer(booking_id, principal().id, accept),
                _("The slot is yours.") if accept else _("You gave the slot up."))


@bp.get("/<int:booking_id>/recording")
@permission_required("booking.view")
def recording(booking_id: int):
    detail = queries.booking_detail(principal(), object_id(booking_id))
    if detail is None or not detail.booking.recording:
        abort(404)
    path = services.recording_path(detail.booking, current_app.config["VAR_DIR"])
    if path is None:
        abort(404)
    return send_file(path, mimetype=detail.booking.recording.get("content_type") or "application/octet-stream",
                     as_attachment=True, download_name=detail.booking.recording["name"])


@bp.get("/mine")
@permission_required("booking.view")
def mine():
    return render_template("bookings/mine.html", bookings=queries.my_bookings(principal().id),
                           credit=queries.credit_of(principal().id, credit.policy().start), policy=credit.policy())


@bp.get("/desk")
@permission_required("booking.manage")
def desk():
    status = request.args.get("status")
    status = status if status in domain.BOOKING_STATUSES else None
    return render_template("bookings/desk.html", rows=queries.all_bookings(status, None), status=status,
                           statuses=domain.BOOKING_STATUSES, incidents=queries.device_incidents(),
                           suspensions=queries.suspensions(), no_paper=device_jobs.robots_without_paper(),
                           stopped=robot_alerts.stopped_robots(robot_alerts.ERROR),
                           failed_jobs=device_jobs.failed_jobs())


@bp.post("/suspensions/<int:user_id>/lift")
@permission_required("booking.manage")
def lift(user_id: int):
    try:
        credit.lift(object_id(user_id), principal().id, text_value(request.form.get("reason"), 600))
        flash(_("The suspension was lifted."), "success")
    except credit.CreditError as err:
        flash(str(err), "error")
    return redirect(url_for("bookings.desk"), 303)


@bp.post("/<int:booking_id>/incidents/<int:incident_id>/retry")
@permission_required("booking.manage")
def retry_devices(booking_id: int, incident_id: int):
    return _act(booking_id, lambda d: services.retry_devices(booking_id, object_id(incident_id), principal().id),
                _("Retried: the device step runs again."))
