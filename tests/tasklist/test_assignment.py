"""Who a task may be given to (issue 8 point 1): claim and reassignment only to people who could work the
task by its lane, owners and scope; the reassign form offers exactly them; a task once handed to the wrong
person stays closed to him; a signing job refuses a confirming account that is not the signing party."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app import engine
from app.engine.models import OpenTask
from app.identity.models import User
from tests.web import ROLE_USERS

RECOMMENDATION = {"phone": "13800138000", "email": "zhangwei@example.edu.cn", "target_industry": "it",
                  "target_city": "上海", "self_assessment": "学习认真，积极参加社会实践，具备良好的团队合作能力。"}


def _user_id(web, username: str) -> int:
    return web.scalar(select(User.id).where(User.username == username))


def _assignee(web, guid: str) -> int | None:
    return web.scalar(select(OpenTask.assignee_id).where(OpenTask.task_guid == guid))


@pytest.fixture
def tasks(web):
    """The CS student's own recommendation form (addressed to him) and, after he submitted another one, the
    CS counselors' review (a group task of lane counselor, college CS)."""
    student = web.client(ROLE_USERS["student"])
    own = student.post("/processes/employment_recommendation/start").headers["Location"].rsplit("/", 1)[-1]
    submitted = student.post("/processes/employment_recommendation/start").headers["Location"].rsplit("/", 1)[-1]
    instance = web.scalar(select(OpenTask.instance_id).where(OpenTask.task_guid == submitted))
    assert student.post(f"/tasks/{submitted}", data=RECOMMENDATION).status_code == 302
    review = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance,
                                                         OpenTask.spec_id == "counselor_review"))
    return {"own": own, "review": review}


def _reassign(client, guid: str, user_id: int):
    return client.post(f"/tasks/{guid}/reassign", data={"user_id": str(user_id)})


@pytest.mark.parametrize("target", ["2022010101", "2022010102", "counselor_em", "hr_huachen", "owner"])
def test_a_review_is_not_handed_to_someone_outside_its_lane_and_scope(web, tasks, target):
    staff = web.client("staff1")
    resp = _reassign(staff, tasks["review"], _user_id(web, target))
    assert resp.status_code == 303
    assert _assignee(web, tasks["review"]) is None
    flashed = staff.get(f"/tasks/{tasks['review']}").get_data(as_text=True)
    assert "不能交给" in flashed


def test_a_review_goes_to_a_counselor_of_the_college_who_then_works_it(web, tasks):
    staff, counselor = web.client("staff1"), web.client("counselor_cs")
    target = _user_id(web, "counselor_cs")
    assert _reassign(staff, tasks["review"], target).status_code == 302
    assert _assignee(web, tasks["review"]) == target
    page = counselor.get(f"/tasks/{tasks['review']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="task-form"' in html and "task-preview" not in html  # his to fill in


def test_the_picker_offers_exactly_the_eligible_people(web, tasks):
    page = web.client("staff1").get(f"/tasks/{tasks['review']}").get_data(as_text=True)
    assert 'name="user_id"' in page and 'name="username"' not in page
    assert f'value="{_user_id(web, "counselor_cs")}"' in page
    for outsider in ("counselor_em", "2022010101", "hr_huachen", "staff2"):
        assert f'value="{_user_id(web, outsider)}"' not in page
    own = web.client("staff1").get(f"/tasks/{tasks['own']}").get_data(as_text=True)
    assert f'value="{_user_id(web, "2022010101")}"' in own  # the student's own task: only him
    assert f'value="{_user_id(web, "2022010102")}"' not in own


@pytest.mark.parametrize("target", ["2022010102", "hr_huachen", "staff2"])
def test_a_task_addressed_to_a_person_goes_to_no_one_else(web, tasks, target):
    assert _reassign(web.client("staff1"), tasks["own"], _user_id(web, target)).status_code == 303
    assert _assignee(web, tasks["own"]) is None


def test_bad_picker_values_are_refused_plainly(web, tasks):
    staff = web.client("staff1")
    for value in ("", "abc", "²", "99999999999", "999999"):
        assert staff.post(f"/tasks/{tasks['review']}/reassign", data={"user_id": value}).status_code == 303
    assert _assignee(web, tasks["review"]) is None


def test_a_task_handed_to_the_wrong_person_earlier_stays_closed_to_him(web, tasks):
    """As a version without the check could have left it: the review assigned to a student."""
    student_id = _user_id(web, "2022010102")
    with web.app.app_context():
        engine.reassign_task(tasks["review"], student_id, _user_id(web, "staff1"))
    student = web.client("2022010102")
    resp = student.post(f"/tasks/{tasks['review']}", data={"counselor_decision": "approve"})
    assert resp.status_code in (403, 404)
    assert web.scalar(select(OpenTask.id).where(OpenTask.task_guid == tasks["review"])) is not None


def test_a_group_task_is_claimed_only_within_scope(web, tasks):
    assert web.client("counselor_em").post(f"/tasks/{tasks['review']}/claim").status_code == 404
    assert web.client("2022010102").post(f"/tasks/{tasks['review']}/claim").status_code == 404
    assert _assignee(web, tasks["review"]) is None
    assert web.client("counselor_cs").post(f"/tasks/{tasks['review']}/claim").status_code == 302
    assert _assignee(web, tasks["review"]) == _user_id(web, "counselor_cs")
