"""The toy area's page: how many tickets the desk has stamped."""
from __future__ import annotations

from flask import Blueprint, render_template

from app.identity.guards import permission_required
from tests.toy_area import queries

bp = Blueprint("toy", __name__, url_prefix="/toy", template_folder="templates")


@bp.get("/")
@permission_required("toy.view")
def desk():
    return render_template("toy/desk.html", issued=queries.tickets_issued())
