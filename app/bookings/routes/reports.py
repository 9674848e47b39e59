"""Usage statistics (staff): per resource and per department, hours booked against hours used and the
no-show rate, over a chosen period, from the bookings' history; charts drawn with ECharts."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request

from app.bookings import domain, reports
from app.identity.guards import permission_required
from app.platform import clock
from app.platform.params import date_value

bp = Blueprint("booking_reports", __name__, url_prefix="/bookings/reports", template_folder="../templates")


@bp.get("/")
@permission_required("booking.report")
def index():
    today = clock.utcnow().astimezone(domain.LOCAL_TZ).date()
    until = date_value(request.args.get("until")) or today
    since = date_value(request.args.get("since")) or until - timedelta(days=30)
    if since > until:
        since, until = until, since
    usage = reports.usage(since, until)
    return render_template("bookings/reports.html", usage=usage, since=since, until=until)
