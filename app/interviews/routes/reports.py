"""The recruiting reports (staff): the funnel per employer (overall or at one fair), waits and no-shows per
booth of a fair."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from app.identity.guards import permission_required, principal
from app.interviews import queries, reports
from app.platform.params import whole_number as int_value

bp = Blueprint("interview_reports", __name__, url_prefix="/interviews/reports", template_folder="../templates")


@bp.get("/")
@permission_required("interview.report")
def index():
    fair_id = int_value(request.args.get("fair")) if request.args.get("fair") else None
    fairs = queries.fairs(principal())
    if fair_id is not None and fair_id not in {f.id for f in fairs}:
        abort(404)
    return render_template("interviews/reports.html", fairs=fairs, fair_id=fair_id, steps=reports.STEPS,
                           funnel=reports.funnel(fair_id), waits=reports.booth_waits(fair_id) if fair_id else None,
                           no_show_rate=reports.no_show_rate(fair_id) if fair_id else None)
