"""The task inbox: My tasks, My groups' tasks, Unassigned, Overdue, Due today, Completed by me."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, render_template, request

from app.services.inbox import SORTS, VIEWS, InboxQuery, list_tasks, process_choices
from app.web.params import page_number
from app.web.security import permission_required, principal

bp = Blueprint("inbox", __name__)


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        abort(400, description="date must be YYYY-MM-DD")


@bp.get("/")
@permission_required("inbox.view")
def index():
    view = request.args.get("view", "mine")
    if view not in VIEWS:
        abort(404)
    sort = request.args.get("sort", "created")
    page = page_number()
    query = InboxQuery(view=view, process_key=request.args.get("process") or None,
                       business_key=(request.args.get("key") or "").strip()[:120] or None,
                       due_before=_date(request.args.get("due_before")), due_after=_date(request.args.get("due_after")),
                       sort=sort if sort in SORTS else "created", page=page)
    result = list_tasks(principal(), query)
    return render_template("inbox/index.html", q=query, result=result, views=VIEWS, sorts=list(SORTS),
                           processes=process_choices())
