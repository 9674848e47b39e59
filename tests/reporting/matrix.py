"""Reporting's routes in the access matrix (tests/identity/test_access_matrix.py): operations for admins,
analytics for process owners (their processes only) and admins, reports for counselors, staff and admins."""
from __future__ import annotations

EITHER_200_404 = (200, 404)


def routes(o: dict, expect) -> list:
    instance, incident, definition = o["instance"], o["incident"], o["definition"]
    key = "employment_recommendation"

    def admin(status):
        return expect(302, 403, 403, 403, 403, 403, status)

    def analyst(owner, admin_status):  # the owner may or may not own the process in this database
        return expect(302, 403, 403, 403, 403, owner, admin_status)

    office = expect(302, 403, 200, 200, 403, 403, 200)
    annual, annual_post = expect(302, 403, 403, 200, 403, 403, 200), expect(302, 403, 403, 422, 403, 403, 422)
    annual_upload = expect(302, 403, 403, 303, 403, 403, 303)
    annual_missing = expect(302, 403, 403, 404, 403, 403, 404)
    return [
        ("GET", "/operations/", admin(200)),
        ("GET", "/operations/stuck", admin(200)),
        ("GET", "/operations/health", admin(200)),
        ("GET", "/operations/instances", admin(200)),
        ("POST", "/operations/filters", admin(302)),                       # no name: a message
        ("POST", "/operations/filters/999999/delete", admin(404)),
        ("GET", "/operations/incidents", admin(200)),
        ("GET", f"/operations/incidents/{incident}", admin(200)),
        ("POST", "/operations/incidents/retry", admin(303)),                # none chosen
        ("POST", f"/operations/incidents/{incident}/resolve", admin(302)),  # no note: a message
        ("POST", f"/operations/incidents/{incident}/comment", admin(302)),  # empty: a message
        ("GET", f"/operations/definitions/{definition}", admin(200)),
        ("GET", f"/operations/definitions/{definition}/diagram.bpmn", admin(200)),
        ("GET", "/analytics/", analyst(200, 200)),
        ("GET", f"/analytics/{key}", analyst(EITHER_200_404, 200)),
        ("GET", f"/analytics/{key}/diagram.bpmn", analyst(EITHER_200_404, 200)),
        ("POST", f"/analytics/{key}/sla", analyst((400, 404), 400)),        # no task named
        ("GET", "/reports/", office),
        ("GET", "/reports/destinations", office),
        ("GET", "/reports/agreements", office),
        ("GET", "/reports/funnel", office),
        ("GET", "/reports/devices", office),
        ("GET", "/reports/annual", annual),
        ("POST", "/reports/annual", annual_post),                          # nothing filled in
        ("GET", "/reports/annual/template.docx", annual),
        ("POST", "/reports/annual/template", annual_upload),               # no file
        ("GET", "/reports/annual/runs/999999", annual_missing),
        ("GET", "/reports/annual/runs/999999/report.pdf", annual_missing),
        ("GET", "/bigscreen/", office),
        ("GET", "/bigscreen/figures.json", office),
    ]
