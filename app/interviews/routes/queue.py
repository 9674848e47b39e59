"""A booth during the fair: its console (call next, start, finish with the outcome, no-show, take out of the
queue), its QR poster; and the check-in page the QR code opens on a student's phone."""
from __future__ import annotations

import io

import segno
from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from app.identity.guards import permission_required, principal
from app.interviews import checkin_tokens, domain, labels, offers, queries, queue_queries, queue_services
from app.interviews import queue_rules as rules
from app.platform.db_types import utcnow
from app.platform.live_stream import subscribe_page
from app.platform.params import object_id, text_value
from app.platform.params import whole_number as int_value

bp = Blueprint("booths", __name__, url_prefix="/booths", template_folder="../templates")
checkin_bp = Blueprint("checkin", __name__, url_prefix="/checkin", template_folder="../templates")


def _console_or_404(booth_id: int) -> queue_services.BoothFacts:
    facts = queue_queries.console_booth(principal(), object_id(booth_id))
    if facts is None:
        abort(404)
    return facts


def _back(booth_id: int):
    return redirect(url_for("booths.console", booth_id=booth_id), 303)


@bp.get("/<int:booth_id>/console")
@permission_required("booth.run")
def console(booth_id: int):
    facts = _console_or_404(booth_id)
    subscribe_page(facts.console_channel)
    return render_template("interviews/booths/console.html", c=queue_queries.console(facts), now=utcnow(),
                           positions=queries.booth_positions(booth_id),
                           may_offer=principal().can("invitation.send"), outcomes=domain.OUTCOMES)


@bp.get("/<int:booth_id>/console.json")
@permission_required("booth.run")
def console_json(booth_id: int):
    facts = _console_or_404(booth_id)
    return jsonify(queue_queries.console(facts).as_json(utcnow()))


@bp.post("/<int:booth_id>/call")
@permission_required("booth.run")
def call(booth_id: int):
    _console_or_404(booth_id)
    try:
        called = queue_services.call_next(booth_id, principal().id)
    except queue_services.QueueError as err:
        flash(str(err), "error")
        return _back(booth_id)
    if called is None:
        flash(_("Nobody is waiting who can be called now."), "error")
    else:
        flash(_("Number %(number)s was called.", number=rules.display_number(called.number)), "success")
    return _back(booth_id)


def _ticket_action(booth_id: int, ticket_id: int, act, done: str):
    _console_or_404(booth_id)
    try:
        act()
    except (queue_services.QueueError, offers.OfferError) as err:
        flash(str(err), "error")
        return _back(booth_id)
    flash(done, "success")
    return _back(booth_id)


@bp.post("/<int:booth_id>/tickets/<int:ticket_id>/start")
@permission_required("booth.run")
def start(booth_id: int, ticket_id: int):
    return _ticket_action(booth_id, ticket_id, lambda: queue_services.start(object_id(ticket_id), booth_id,
                                                                           principal().id),
                          _("The interview started."))


@bp.post("/<int:booth_id>/tickets/<int:ticket_id>/finish")
@permission_required("booth.run")
def finish(booth_id: int, ticket_id: int):
    outcome = request.form.get("outcome") or ""
    offer = None
    if outcome == domain.OUTCOME_OFFER:
        if not principal().can("invitation.send"):
            flash(_("Only the employer's own accounts make offers."), "error")
            return _back(booth_id)
        position_id = int_value(request.form.get("position_id"))
        pay = int_value(request.form.get("monthly_pay"), 1, domain.MAX_PAY) if request.form.get("monthly_pay") else None
        if position_id is None or (request.form.get("monthly_pay") and pay is None):
            flash(_("Choose the position and the monthly pay of the offer."), "error")
            return _back(booth_id)
        offer = offers.OfferRequest(position_id, pay)
    note = text_value(request.form.get("note"), 500)
    agreement = {}

    def act():
        agreement["id"] = queue_services.finish(object_id(ticket_id), booth_id, principal().id, outcome, note, offer,
                                                remote_addr=request.remote_addr)

    done = _("The interview was recorded: %(outcome)s.", outcome=labels.OUTCOME.get(outcome, outcome))
    response = _ticket_action(booth_id, ticket_id, act, done)
    if agreement.get("id"):
        flash(_("The offer was sent: the student finds the tripartite agreement in the inbox."), "success")
    return response


@bp.post("/<int:booth_id>/tickets/<int:ticket_id>/no-show")
@permission_required("booth.run")
def no_show(booth_id: int, ticket_id: int):
    return _ticket_action(booth_id, ticket_id,
                          lambda: queue_services.mark_no_show(object_id(ticket_id), booth_id, principal().id),
                          _("Marked as not there. A first time puts the student back at the end of the queue."))


@bp.post("/<int:booth_id>/tickets/<int:ticket_id>/leave")
@permission_required("booth.run")
def remove(booth_id: int, ticket_id: int):
    return _ticket_action(booth_id, ticket_id,
                          lambda: queue_services.leave(object_id(ticket_id), principal().id, booth_id=booth_id),
                          _("The student was taken out of the queue."))


def checkin_url(facts: queue_services.BoothFacts) -> str:
    token = checkin_tokens.make(facts.booth_id, facts.ends_at)
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/")
    return f"{base}{url_for('checkin.page', token=token)}"


def _qr_svg(url: str) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=6, border=2, xmldecl=False, svgns=True,
                                    title="QR")
    return buffer.getvalue().decode()


@bp.get("/<int:booth_id>/qr")
@permission_required("booth.run")
def qr(booth_id: int):
    facts = _console_or_404(booth_id)
    url = checkin_url(facts)
    return render_template("interviews/booths/qr.html", facts=facts, url=url, svg=Markup(_qr_svg(url)))


@bp.get("/<int:booth_id>/qr.svg")
@permission_required("booth.run")
def qr_svg(booth_id: int):
    facts = _console_or_404(booth_id)
    return Response(_qr_svg(checkin_url(facts)), mimetype="image/svg+xml",
                    headers={"Content-Disposition": f"attachment; filename=booth-{facts.code}-qr.svg"})


# -- check-in (the page the QR code opens) -----------------------------------------------------------------------------

def _booth_of(token: str) -> queue_services.BoothFacts:
    try:
        booth_id = checkin_tokens.read(token)
        return queue_services.booth_facts(booth_id)
    except (checkin_tokens.BadToken, queue_services.NotFound):
        abort(404)


@checkin_bp.get("/<token>")
@permission_required("fair.register")
def page(token: str):
    facts = _booth_of(token)
    return render_template("interviews/checkin.html", facts=facts, token=token,
                           positions=queries.booth_positions(facts.booth_id),
                           open_now=domain.check_in_open(facts.fair_status, facts.starts_at, facts.ends_at, utcnow()))


@checkin_bp.post("/<token>")
@permission_required("fair.register")
def check_in(token: str):
    facts = _booth_of(token)
    try:
        ticket = queue_services.check_in(principal().id, facts.booth_id, rules.VIA_QR, facts=facts)
    except queue_services.QueueError as err:
        flash(str(err), "error")
        return redirect(url_for("checkin.page", token=token), 303)
    flash(_("You are in the queue of booth %(booth)s: number %(number)s.", booth=facts.code,
            number=rules.display_number(ticket.number)), "success")
    return redirect(url_for("fairs.my_queue", fair_id=facts.fair_id), 303)
