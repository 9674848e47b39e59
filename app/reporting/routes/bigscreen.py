"""The big screen of the career-centre hall: the page (a staff account signed in on the hall's computer) and
its figures as JSON, read again whenever the page hears a `changed` event."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from app.identity.guards import permission_required, principal
from app.platform.live_stream import subscribe_page
from app.reporting import bigscreen

bp = Blueprint("bigscreen", __name__, url_prefix="/bigscreen", template_folder="../templates")


@bp.get("/")
@permission_required("report.view")
def screen():
    subscribe_page(bigscreen.CHANNEL)
    return render_template("reporting/bigscreen.html", f=bigscreen.figures(principal()))


@bp.get("/figures.json")
@permission_required("report.view")
def figures():
    return jsonify(bigscreen.figures(principal()))
