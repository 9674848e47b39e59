"""Devices outside a booking: printing an employment document at a print robot (students), content on a big
screen (staff), and the webhook the device gateway posts its status events to (print job progress, what a
screen shows), signed per device or for the endpoint and refused when replayed."""
from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.bookings import device_jobs, domain, labels, queries
from app.identity.guards import permission_required, principal
from app.platform.live_stream import subscribe_page
from app.platform.params import object_id, text_value, whole_number
from app.platform.web import public, signed_elsewhere
from integrations.devices import webhook

bp = Blueprint("booking_devices", __name__, url_prefix="/bookings", template_folder="../templates")
MAX_EVENT_BYTES = 64 * 1024


@bp.app_context_processor
def _labels():
    return {"device_job_labels": labels.DEVICE_JOB}


# -- printing ---------------------------------------------------------------------------------------------------

def _print_page(errors: dict | None = None, status: int = 200, values: dict | None = None):
    me = principal()
    return render_template("bookings/print.html", robots=device_jobs.places(me, device_jobs.PRINT),
                           documents=device_jobs.printables(me), jobs=device_jobs.jobs_of(me.id),
                           errors=errors or {}, values=values or {}, max_copies=device_jobs.MAX_COPIES), status


@bp.get("/print")
@permission_required("booking.create")
def print_page():
    return _print_page()


@bp.post("/print")
@permission_required("booking.create")
def print_document():
    values = {k: text_value(request.form.get(k), 40) for k in ("resource", "document", "copies")}
    try:
        device_jobs.request_print(principal(), whole_number(values["resource"], 1), values["document"],
                                  whole_number(values["copies"], 1, device_jobs.MAX_COPIES))
    except device_jobs.DeviceJobError as err:
        return _print_page({err.field or "form": str(err)}, 422, values)
    flash(_("Sent to the print robot; its progress shows below."), "success")
    return redirect(url_for("booking_devices.print_page"), 303)


@bp.post("/device-jobs/<int:job_id>/again")
@permission_required("booking.create")
def send_again(job_id: int):
    try:
        device_jobs.send_again(principal(), object_id(job_id))
        flash(_("Sent again."), "success")
    except device_jobs.DeviceJobError as err:
        flash(str(err), "error")
    back = request.form.get("back")
    if back == "desk" and principal().can("booking.manage"):
        return redirect(url_for("bookings.desk", _anchor="failed-device-jobs"), 303)
    return redirect(url_for("booking_devices.screen", resource_id=int(back)) if back and back.isdigit()
                    and len(back) <= 10 else url_for("booking_devices.print_page"), 303)


# -- screens (staff) ----------------------------------------------------------------------------------------------

def _screen_page(resource_id: int, errors: dict | None = None, status: int = 200, values: dict | None = None):
    resource = queries.resource(object_id(resource_id))
    if resource is None or resource.kind != domain.BIG_SCREEN:
        abort(404)
    from app.bookings.live_events import resource_channel

    subscribe_page(resource_channel(resource.id))
    showing, sent = device_jobs.screen_of(resource)
    return render_template("bookings/screen.html", resource=resource, showing=showing, sent=sent,
                           boards=device_jobs.boards(), dashboard=url_for("bigscreen.screen", _external=True),
                           errors=errors or {}, values=values or {}), status


@bp.get("/resources/<int:resource_id>/screen")
@permission_required("booking.manage")
def screen(resource_id: int):
    return _screen_page(resource_id)


@bp.post("/resources/<int:resource_id>/screen")
@permission_required("booking.manage")
def show_on_screen(resource_id: int):
    values = {"what": request.form.get("what", ""), "board": text_value(request.form.get("board"), 30),
              "url": text_value(request.form.get("url"), 2000), "title": text_value(request.form.get("title"), 100),
              "text": text_value(request.form.get("text"), 2000)}
    try:
        content = device_jobs.screen_content(values)
        device_jobs.request_screen(principal(), object_id(resource_id), content)
    except device_jobs.DeviceJobError as err:
        return _screen_page(resource_id, {err.field or "form": str(err)}, 422, values)
    flash(_("Sent to the screen."), "success")
    return redirect(url_for("booking_devices.screen", resource_id=resource_id), 303)


# -- the gateway's status events ------------------------------------------------------------------------------------

def _secret_for(body: bytes) -> str | None:
    """The device's own secret (DEVICE_WEBHOOK_SECRETS: device id -> secret), else the endpoint's."""
    try:
        device_id = json.loads(body).get("device_id")
    except (ValueError, AttributeError):
        return None
    per_device = current_app.config.get("DEVICE_WEBHOOK_SECRETS") or {}
    return per_device.get(device_id) if isinstance(device_id, str) and device_id in per_device \
        else current_app.config.get("DEVICE_WEBHOOK_SECRET")


@bp.post("/devices/events")
@public
@signed_elsewhere
def device_events():
    if (request.content_length or 0) > MAX_EVENT_BYTES:
        return jsonify(error="too_large"), 413
    body = request.get_data(cache=False)
    secret = _secret_for(body)
    if secret is None:
        return jsonify(error="bad_payload", message="not a device event"), 400
    try:
        event = webhook.verify(body, request.headers.get(webhook.SIGNATURE_HEADER), secret)
    except webhook.InvalidSignature as err:
        return jsonify(error="bad_signature", message=str(err)), 400
    try:
        return jsonify(result=device_jobs.receive(event, 2 * webhook.TOLERANCE_S)), 200
    except (ValueError, TypeError, KeyError, AttributeError) as err:  # signed, but its data is not what it says
        return jsonify(error="bad_payload", message=str(err)[:200]), 400
