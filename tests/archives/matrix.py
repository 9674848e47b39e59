"""The archive routes in the access matrix (tests/identity/test_access_matrix.py), on the demo data: the CS
student's own archive (the identity demo's students get theirs with the archives' demo)."""
from __future__ import annotations

from sqlalchemy import select

from app.identity.models import User


def objects(web, student_username: str) -> dict:
    return {"student": web.scalar(select(User.id).where(User.username == student_username))}


def routes(o: dict, expect) -> list:
    sid = o["student"]
    office = expect(302, 403, 403, 200, 403, 403, 200)
    office_post = expect(302, 403, 403, 422, 403, 403, 422)
    missing_run = expect(302, 403, 403, 404, 403, 403, 404)
    return [
        ("GET", "/archives/", expect(302, 302, 200, 200, 403, 403, 200)),
        ("GET", "/archives/me", expect(302, 302, 302, 302, 403, 403, 302)),
        ("GET", f"/archives/{sid}", expect(302, 200, 200, 200, 403, 403, 200)),
        ("POST", f"/archives/{sid}/notes", expect(302, 403, 422, 422, 403, 403, 403)),  # empty note
        ("POST", f"/archives/{sid}/update-request", expect(302, 403, 403, 403, 403, 403, 403)),  # not sealed
        ("GET", "/archives/import", office),
        ("GET", "/archives/import/template.xlsx", office),
        ("POST", "/archives/import", expect(302, 403, 403, 400, 403, 403, 400)),  # no file
        ("GET", "/archives/import/999999", missing_run),
        ("GET", "/archives/import/999999/report.xlsx", missing_run),
        ("POST", "/archives/import/999999/commit", missing_run),
        ("GET", "/archives/import/999999/progress", missing_run),
        ("GET", "/archives/students/new", office),
        ("POST", "/archives/students/new", office_post),
        ("GET", f"/archives/{sid}/edit", office),
        ("POST", f"/archives/{sid}/edit", office_post),
        ("GET", "/archives/export.xlsx", office),
        ("GET", "/archives/seeking", expect(302, 403, 200, 200, 403, 403, 200)),
    ]
