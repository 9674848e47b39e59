"""Usage statistics (staff): per resource and per department, hours booked against hours used and the
no-show rate, over a chosen period, from the bookings' history; charts drawn with ECharts."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request

from app.bookings import clock, domain, reports
from app.bookings.routes._common import date_value
from app.identity.guards import permission_required

bp = Blueprint("booking_reports", __name__, url_prefix="/bookings/reports", template_folder="../templates")


@bp.get("/")
@permission_required("booking.report")
def index():
    today = clock.now().astimezone(domain.LOCAL_TZ).date()
    until = date_value(request.args.get("until")) or today
    since = date_value(request.args.get("since")) or until - timedelta(days=30)
    if since > until:
        since, until = until, since
    usage = reports.usage(since, until)
    return render_template("bookings/reports.html", usage=usage, since=since, until=until)
