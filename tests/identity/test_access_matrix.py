"""Every route x every role (and anonymous) -> the expected status, the security headers and no inline script
in the page it renders; then object-level checks."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.engine.models import Incident, OpenTask, ProcessDefinition
from app.identity.models import User
from tests.archives import matrix as archive_matrix
from tests.bookings import matrix as booking_matrix
from tests.interviews import matrix as interview_matrix
from tests.page_scan import page_problems
from tests.reporting import matrix as reporting_matrix
from tests.web import ROLE_USERS

ROLES = ["anonymous", *ROLE_USERS]
# Expected status per role, in the order of ROLES. 302 for anonymous = sent to the login page.
ALL_SIGNED_IN = {"anonymous": 302, "student": 200, "counselor": 200, "staff": 200, "employer": 200,
                 "process_owner": 200, "admin": 200}


EITHER_200_404 = (200, 404)


def expect(anonymous, student, counselor, staff, employer, process_owner, admin):
    return dict(zip(ROLES, (anonymous, student, counselor, staff, employer, process_owner, admin)))


@pytest.fixture
def objects(web):
    """A recommendation request by the CS student, now waiting for the CS counselor; an incident."""
    student = web.client(ROLE_USERS["student"])
    resp = student.post("/processes/employment_recommendation/start")
    assert resp.status_code == 302
    task_guid = resp.headers["Location"].rsplit("/", 1)[-1]
    instance_id = web.scalar(select(OpenTask.instance_id).where(OpenTask.task_guid == task_guid))
    definition_id = web.scalar(select(ProcessDefinition.id).where(
        ProcessDefinition.process_key == "employment_recommendation"))
    incident_id = web.add(Incident(instance_id=instance_id, kind="test", message="for the matrix"))
    student_id = web.scalar(select(User.id).where(User.username == ROLE_USERS["student"]))
    return {"task": task_guid, "instance": instance_id, "definition": definition_id, "incident": incident_id,
            "agreement": _matrix_agreement(web), "student": student_id,
            "notification": _student_notification(web, student_id, task_guid),
            "interviews": interview_matrix.objects(web, ROLE_USERS["student"], ROLE_USERS["employer"]),
            "archives": archive_matrix.objects(web, ROLE_USERS["student"]),
            "bookings": booking_matrix.objects(web, ROLE_USERS["student"])}


def _student_notification(web, student_id: int, task_guid: str) -> int:
    """One notification of the CS student's (about his task): only he may open it."""
    from app.notifications import notify, translated
    from app.notifications.models import Notification

    key = f"matrix:{task_guid}"
    with web.app.app_context():
        notify([student_id], "task.assigned", params={"task": translated("填写就业推荐表")},
               link=f"/tasks/{task_guid}", key=key)
    return web.scalar(select(Notification.id).where(Notification.dedup_key == key))


def _matrix_agreement(web) -> int:
    """A declined agreement of the CS student with 华辰科技 (made once per database): the parties, his counselor
    and the career office see it. Declined: no open offer, nothing in force, no document to download."""
    from app.agreements.models import Agreement
    from app.identity.models import User

    marker = {"position": "access-matrix"}
    for agreement_id, terms in web.query(select(Agreement.id, Agreement.terms).where(Agreement.status == "declined")):
        if terms == marker:
            return agreement_id
    student = web.scalar(select(User.id).where(User.username == ROLE_USERS["student"]))
    employer = web.scalar(select(User.employer_id).where(User.username == ROLE_USERS["employer"]))
    return web.add(Agreement(student_id=student, employer_id=employer, status="declined", terms=marker))


def routes(o):
    """(method, url, expected by role) for every route of the app."""
    # The student's own task: the student works on it; career-office staff and admins (who may reassign)
    # can look at it; nobody else knows it exists.
    own_task = expect(302, 200, 404, 200, 404, 404, 200)
    return [
        ("GET", "/healthz", {r: 200 for r in ROLES}),
        ("GET", "/healthz/pieces", {r: 503 for r in ROLES}),  # no worker or scheduler runs in this test
        ("GET", "/login", expect(200, 302, 302, 302, 302, 302, 302)),
        ("POST", "/login", expect(400, 302, 302, 302, 302, 302, 302)),  # empty form: a clear 400
        ("POST", "/logout", expect(302, 302, 302, 302, 302, 302, 302)),
        ("POST", "/language", {r: 302 for r in ROLES}),
        ("GET", "/account/password", ALL_SIGNED_IN),
        ("POST", "/account/password", expect(302, 422, 422, 422, 422, 422, 422)),  # empty form: field errors
        ("GET", "/", ALL_SIGNED_IN),
        ("GET", "/home", expect(302, 302, 302, 302, 302, 302, 302)),  # to the first page of one's menu
        ("GET", f"/tasks/{o['task']}", own_task),
        ("POST", f"/tasks/{o['task']}", expect(302, 422, 404, 403, 404, 404, 403)),
        ("POST", f"/tasks/{o['task']}/claim", expect(302, 302, 404, 403, 404, 404, 403)),
        ("GET", "/tasks/done/not-a-task", expect(302, 404, 404, 404, 404, 404, 404)),
        ("GET", f"/tasks/{o['task']}/files/not-a-file", expect(302, 404, 404, 404, 404, 404, 404)),
        ("POST", f"/tasks/{o['task']}/unclaim", expect(302, 403, 404, 403, 404, 404, 403)),
        ("POST", f"/tasks/{o['task']}/reassign", expect(302, 403, 403, 303, 403, 403, 303)),
        ("GET", "/processes/", expect(302, 200, 403, 200, 200, 200, 200)),
        ("POST", "/processes/employment_recommendation/start", expect(302, 302, 403, 404, 404, 404, 404)),
        ("GET", "/processes/mine", expect(302, 200, 403, 200, 200, 200, 200)),
        ("GET", "/instances/", ALL_SIGNED_IN),
        ("GET", f"/instances/{o['instance']}", expect(302, 200, 200, 200, 404, 200, 200)),
        ("GET", f"/instances/{o['instance']}/diagram.bpmn", expect(302, 200, 200, 200, 404, 200, 200)),
        # suspending and terminating need a reason: the admin's empty post is refused with 422
        ("POST", f"/instances/{o['instance']}/suspend", expect(302, 403, 403, 403, 403, 403, 422)),
        ("POST", f"/instances/{o['instance']}/resume", expect(302, 403, 403, 403, 403, 403, 302)),
        ("POST", f"/instances/{o['instance']}/terminate", expect(302, 403, 403, 403, 403, 403, 422)),
        ("POST", f"/instances/incidents/{o['incident']}/retry", expect(302, 403, 403, 403, 403, 403, 302)),
        ("GET", "/admin/oplog", expect(302, 403, 403, 403, 403, 403, 200)),
        # the process library and the modeler: process owners and admins; a process owner may change only the
        # processes he owns (the shipped ones have no owners: admins only). Empty bodies are clear 4xx.
        *_modeler_routes(o),
        # agreements: the list is scoped per role; process owners have no business with personal agreements
        ("GET", "/agreements/", expect(302, 200, 200, 200, 200, 403, 200)),
        ("GET", "/agreements/export.xlsx", expect(302, 403, 200, 200, 403, 403, 200)),
        ("GET", "/agreements/new", expect(302, 403, 403, 403, 200, 403, 403)),
        ("POST", "/agreements/new", expect(302, 403, 403, 403, 422, 403, 403)),  # empty form: field errors
        ("GET", f"/agreements/{o['agreement']}", expect(302, 200, 200, 200, 200, 403, 200)),
        ("GET", f"/agreements/{o['agreement']}/audit", expect(302, 200, 200, 200, 200, 403, 200)),
        # the certified PDF: asked for with a POST (made by a worker; a synchronous test queue makes it at
        # once), then served (404 until made: which role's request comes first decides, hence either)
        ("POST", f"/agreements/{o['agreement']}/certificate", expect(302, 303, 303, 303, 303, 403, 303)),
        ("GET", f"/agreements/{o['agreement']}/certificate.pdf",
         expect(302, EITHER_200_404, EITHER_200_404, EITHER_200_404, EITHER_200_404, 403, EITHER_200_404)),
        # no document yet: 404 for the parties and staff; counselors may not download at all
        ("GET", f"/agreements/{o['agreement']}/document.pdf", expect(302, 404, 403, 404, 404, 403, 404)),
        ("GET", f"/agreements/{o['agreement']}/files/not-a-file", expect(302, 404, 404, 404, 404, 403, 404)),
        # declined, so nothing to rescind or revoke: refused with a message (303) for the parties
        ("POST", f"/agreements/{o['agreement']}/rescind", expect(302, 303, 403, 403, 303, 403, 403)),
        ("POST", f"/agreements/{o['agreement']}/revoke", expect(302, 403, 403, 403, 303, 403, 403)),
        # public: employer registration (an empty form is refused with field errors) and verification
        ("GET", "/employers/register", {r: 200 for r in ROLES}),
        ("POST", "/employers/register", {r: 422 for r in ROLES}),
        ("GET", "/employers/register/done", {r: 200 for r in ROLES}),
        ("GET", "/employers/status", expect(302, 403, 403, 403, 200, 403, 403)),  # one's own organisation
        ("GET", "/verify", {r: 200 for r in ROLES}),
        ("POST", "/verify", {r: 400 for r in ROLES}),  # no file chosen
        # notifications: everyone signed in has their own; one of them is the student's alone
        ("GET", "/notifications", ALL_SIGNED_IN),
        ("GET", "/notifications/unread-count", ALL_SIGNED_IN),
        ("POST", "/notifications/read-all", expect(302, 302, 302, 302, 302, 302, 302)),
        ("POST", f"/notifications/{o['notification']}/open", expect(302, 302, 404, 404, 404, 404, 404)),
        # live events: the stream wants a token (none here); tokens for a user channel go to that user only
        ("GET", "/events", {r: 401 for r in ROLES}),
        ("GET", f"/live/token?c=user:{o['student']}", expect(403, 200, 403, 403, 403, 403, 403)),
        *interview_matrix.routes(o["interviews"], expect),
        *archive_matrix.routes(o["archives"], expect),
        *reporting_matrix.routes(o, expect),
        *booking_matrix.routes(o["bookings"], expect),
    ]


def _modeler_routes(o):
    key, d = "employment_recommendation", o["definition"]
    none = (403, 403, 403, 403)  # student, counselor, staff, employer

    def model(owner, admin):
        return expect(302, *none, owner, admin)

    return [
        ("GET", "/modeler/", model(200, 200)),
        ("POST", "/modeler/new", model(422, 422)),
        ("POST", "/modeler/import", model(422, 422)),  # no file
        ("GET", f"/modeler/{key}", model(200, 200)),
        ("GET", f"/modeler/{key}/edit", model(403, 200)),
        ("POST", f"/modeler/{key}/draft", model(400, 400)),
        ("POST", f"/modeler/{key}/validate", model(400, 400)),
        ("POST", f"/modeler/{key}/deploy", model(400, 400)),
        ("POST", f"/modeler/{key}/test-run", model(400, 400)),
        ("POST", f"/modeler/{key}/discard", model(302, 302)),  # refused with a message
        ("POST", "/modeler/markdown", model(200, 200)),
        ("POST", "/modeler/forms/preview", model(422, 422)),
        ("GET", "/modeler/forms/library", model(404, 404)),
        ("GET", f"/modeler/versions/{d}", model(200, 200)),
        ("GET", f"/modeler/versions/{d}/diagram.bpmn", model(200, 200)),
        ("GET", f"/modeler/versions/{d}/files/none.json", model(404, 404)),
        ("POST", f"/modeler/versions/{d}/open", model(403, 302)),
        ("POST", f"/modeler/versions/{d}/rollback", model(403, 302)),  # the latest again: no new version
        ("GET", f"/modeler/{key}/diff", model(200, 200)),
        ("GET", f"/modeler/{key}/migrate", model(403, 200)),
        ("POST", f"/modeler/{key}/migrate", model(403, 200)),  # nothing chosen: a message
        ("POST", f"/modeler/{key}/migrate/start", model(403, 302)),  # nothing chosen: a message
        ("GET", "/modeler/migrations/999999", model(404, 404)),
        ("GET", "/modeler/migrations/999999/progress", model(404, 404)),
        ("POST", f"/modeler/{key}/owners", expect(302, *none, 403, 302)),  # nobody chosen: a message
        ("POST", f"/modeler/{key}/owners/999999/remove", expect(302, *none, 403, 302)),
        ("GET", "/modeler/tests/999999", model(404, 404)),
        ("POST", "/modeler/tests/999999/tasks/none", model(404, 404)),
        ("POST", "/modeler/tests/999999/jobs/1", model(404, 404)),
    ]


def test_every_route_is_in_the_matrix(web, objects):
    listed = {(m, url) for m, url, _ in routes(objects)}
    for rule in web.app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert any(m == method and web.app.url_map.bind("x").match(url.split("?")[0], method=m)[0] == rule.endpoint
                       for m, url in listed), f"{method} {rule.rule} is not in the access matrix"


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(web, objects, role):
    failures = []
    signed_in = web.client(ROLE_USERS.get(role))  # one sign-in per role for the whole matrix
    for index in range(len(routes(objects))):
        method, url, expected = routes(objects)[index]  # rebuilt: a claim or terminate renews the objects
        # signing out ends the session: that request gets a client of its own
        client = web.client(ROLE_USERS.get(role)) if url == "/logout" else signed_in
        # state-changing routes are checked each with a fresh object set so one role's action
        # (terminate, claim) does not change what the next request sees
        resp = client.open(url, method=method, data={})
        allowed = expected[role] if isinstance(expected[role], tuple) else (expected[role],)
        if resp.status_code not in allowed:
            failures.append(f"{method} {url}: {resp.status_code}, expected {expected[role]}")
        failures.extend(f"{method} {url}: {problem}" for problem in page_problems(resp))
        if resp.status_code == 302 and method == "GET":  # the page it leads to (the login page for anonymous)
            followed = client.get(resp.headers["Location"])
            failures.extend(f"{method} {url} -> {resp.headers['Location']}: {problem}"
                            for problem in page_problems(followed))
        if method == "POST" and url.endswith(("/terminate", "/claim")):
            objects.update(_fresh(web))
    assert not failures, f"role {role}:\n" + "\n".join(failures)


def _fresh(web):
    student = web.client(ROLE_USERS["student"])
    guid = student.post("/processes/employment_recommendation/start").headers["Location"].rsplit("/", 1)[-1]
    return {"task": guid, "instance": web.scalar(select(OpenTask.instance_id).where(OpenTask.task_guid == guid))}


def test_students_do_not_see_each_other(web, objects):
    other = web.client("2022010102")  # same college, another student
    assert other.get(f"/tasks/{objects['task']}").status_code == 404
    assert other.get(f"/instances/{objects['instance']}").status_code == 404
    assert other.post(f"/tasks/{objects['task']}", data={}).status_code == 404
    assert objects["task"] not in other.get("/?view=unassigned").get_data(as_text=True)


def test_counselor_sees_only_his_college(web, objects):
    student = web.client(ROLE_USERS["student"])
    guid = objects["task"]
    resp = student.post(f"/tasks/{guid}", data={
        "phone": "13800138000", "email": "zhangwei@example.edu.cn", "target_industry": "it",
        "target_city": "上海", "self_assessment": "学习认真，积极参加社会实践，具备良好的团队合作能力。"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    review = web.scalar(select(OpenTask.task_guid).where(
        OpenTask.instance_id == objects["instance"], OpenTask.spec_id == "counselor_review"))
    cs, em = web.client("counselor_cs"), web.client("counselor_em")
    assert cs.get(f"/tasks/{review}").status_code == 200
    assert review in cs.get("/?view=groups").get_data(as_text=True)
    assert em.get(f"/tasks/{review}").status_code == 404
    assert review not in em.get("/?view=groups").get_data(as_text=True)
    assert em.get(f"/instances/{objects['instance']}").status_code == 404
    assert em.post(f"/tasks/{review}/claim").status_code == 404


def test_employers_do_not_see_students_or_each_other(web, objects):
    link = f'href="/instances/{objects["instance"]}"'
    assert link in web.client("staff1").get("/instances/").get_data(as_text=True)  # the overview links instances
    for username in ("hr_huachen", "hr_jiangnan"):
        client = web.client(username)
        assert client.get(f"/instances/{objects['instance']}").status_code == 404
        assert link not in client.get("/instances/").get_data(as_text=True)


def test_login_throttled_after_failures(web, unique):
    from app.identity import throttle

    client = web.app.test_client()
    address = f"10.9.{int(unique[:2], 16)}.{int(unique[2:4], 16)}"
    client.environ_base["REMOTE_ADDR"] = address
    with web.app.app_context():
        throttle.reset("staff2", address)
    try:
        for _ in range(5):
            assert client.post("/login", data={"username": "staff2", "password": "wrong"}).status_code == 401
        locked = client.post("/login", data={"username": "staff2", "password": "Demo@2026"})
        assert locked.status_code == 429
    finally:
        with web.app.app_context():
            throttle.reset("staff2", address)


def test_state_changes_are_in_the_operation_log(web, objects):
    from app.platform.oplog import OperationLog

    admin = web.client("admin")
    admin.post(f"/instances/{objects['instance']}/suspend", data={"reason": "核对信息"})
    (row,) = web.query(select(OperationLog.username, OperationLog.status_code, OperationLog.outcome,
                              OperationLog.remote_addr)
                       .where(OperationLog.path == f"/instances/{objects['instance']}/suspend")
                       .order_by(OperationLog.id.desc()).limit(1))
    assert row.username == "admin" and row.status_code == 302 and row.outcome == "ok" and row.remote_addr
    assert "suspend" in admin.get("/admin/oplog").get_data(as_text=True)
