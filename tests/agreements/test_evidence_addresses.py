"""Client addresses in an agreement's evidence table: the career office and admins see them; the parties and
counselors see only that an address was recorded (issue 8 point 7)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.agreements import services
from app.agreements.models import Agreement
from app.identity.models import User
from tests.web import ROLE_USERS

ADDRESS = "203.0.113.77"


@pytest.fixture(scope="module")
def agreement_id(web_setup):
    from tests.web import Web

    web = Web(web_setup)
    student = web.scalar(select(User.id).where(User.username == ROLE_USERS["student"]))
    employer = web.scalar(select(User.employer_id).where(User.username == ROLE_USERS["employer"]))
    agreement_id = web.add(Agreement(student_id=student, employer_id=employer, status="declined",
                                     terms={"position": "evidence-addresses"}))
    with web.app.app_context():
        services.record_act(agreement_id, "viewed", student, remote_addr=ADDRESS, details={"status": "declined"})
    return agreement_id


@pytest.mark.parametrize(("role", "sees"), [("student", False), ("employer", False), ("counselor", False),
                                            ("staff", True), ("admin", True)])
def test_addresses_only_for_the_career_office(web, agreement_id, role, sees):
    client = web.client(ROLE_USERS[role])
    for url in (f"/agreements/{agreement_id}", f"/agreements/{agreement_id}/audit"):
        resp = client.get(url)
        assert resp.status_code == 200
        html = resp.get_data(as_text=True)
        assert (ADDRESS in html) is sees, url
        if not sees:
            assert "已记录" in html
