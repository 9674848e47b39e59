"""A group task read before it is claimed (Camunda Tasklist's preview): whoever may claim it sees its form
read-only, every control disabled and outside any form, with the instructions, the due date, who else may
take it and a Claim button; viewing changes nothing; the preview cannot be submitted; claiming from it opens
the editable form. Whoever may not claim it gets what he got before."""
from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from sqlalchemy import func, select

from app.engine.models import HistoryEvent, OpenTask, TaskDraft
from app.identity.guards import current_policy
from app.identity.models import User, UserRole
from app.platform.extensions import db
from tests.tasklist.test_inbox_work import apply_for_recommendation, page

REVIEW = {"__action__": "submit", "counselor_decision": "approve", "counselor_comment": "同意推荐"}


@dataclass
class Control:
    tag: str
    name: str | None
    form_action: str | None  # the action of the <form> around it, None outside any form
    disabled: bool  # disabled itself or inside a disabled fieldset


class _Controls(HTMLParser):
    """The page's controls, each with the form it would be sent with and whether it is disabled."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[Control] = []
        self.forms: list[str] = []
        self.fieldsets: list[bool] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append(attributes.get("action") or "")
        elif tag == "fieldset":
            self.fieldsets.append("disabled" in attributes)
        elif tag in ("input", "select", "textarea", "button"):
            self.controls.append(Control(tag, attributes.get("name"), self.forms[-1] if self.forms else None,
                                         "disabled" in attributes or any(self.fieldsets)))

    def handle_endtag(self, tag):
        if tag == "form" and self.forms:
            self.forms.pop()
        elif tag == "fieldset" and self.fieldsets:
            self.fieldsets.pop()


def controls(html: str) -> list[Control]:
    parser = _Controls()
    parser.feed(html.split("<main", 1)[1])
    return parser.controls


def state(web, instance_id: int, guid: str) -> tuple:
    """What viewing must not change: the task's holder, the instance's history, drafts of the task."""
    return (web.scalar(select(OpenTask.assignee_id).where(OpenTask.task_guid == guid)),
            web.scalar(select(func.count()).select_from(OpenTask).where(OpenTask.task_guid == guid)),
            web.scalar(select(func.count()).select_from(HistoryEvent).where(HistoryEvent.instance_id == instance_id)),
            web.scalar(select(func.count()).select_from(TaskDraft).where(TaskDraft.task_guid == guid)))


def office_review(web, student: str, counselor: str = "counselor_cs") -> tuple[int, str]:
    """A recommendation the counselor approved: the career office's review waits in lane career_office."""
    instance_id, review = apply_for_recommendation(web, student)
    client = web.client(counselor)
    assert client.post(f"/tasks/{review}/claim").status_code == 302
    assert client.post(f"/tasks/{review}", data=REVIEW).status_code == 302
    guid = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id,
                                                       OpenTask.spec_id == "office_review"))
    assert guid is not None
    return instance_id, guid


def test_a_lane_member_of_the_scope_reads_the_form_before_claiming(web, unique):
    instance_id, review = apply_for_recommendation(web, "2022010101", target_city=f"苏州{unique}")
    before = state(web, instance_id, review)
    html = page(resp := web.client("counselor_cs").get(f"/tasks/{review}"))
    assert resp.status_code == 200
    assert 'class="task-preview" disabled' in html and "只读预览" in html
    assert f"苏州{unique}" in html and "张伟" in html  # the student's answers and who it is about
    assert "核对学生填写的信息" in html and "截止" in html  # the instructions, the due date
    fields = [c for c in controls(html) if c.name in ("counselor_decision", "counselor_comment")]
    assert {c.name for c in fields} == {"counselor_decision", "counselor_comment"}
    assert all(c.disabled and c.form_action is None for c in fields), fields
    # nothing on the page would send anything to the task but the claim
    sent_to_task = {c.form_action for c in controls(html) if c.form_action and f"/tasks/{review}" in c.form_action}
    assert sent_to_task == {f"/tasks/{review}/claim"}
    assert all(c.disabled for c in controls(html) if c.name == "__action__")
    assert state(web, instance_id, review) == before, "viewing changed nothing"
    web.client("counselor_cs").get(f"/tasks/{review}")
    assert state(web, instance_id, review) == before


def test_the_preview_says_who_else_may_take_it(web):
    instance_id, guid = office_review(web, "2022010102")
    html = page(web.client("staff1").get(f"/tasks/{guid}"))
    assert 'class="task-preview" disabled' in html
    others = html.split('<p class="claimants">', 1)[1].split("</p>", 1)[0]
    # the active accounts of the roles that work the lane and may claim, by name, but the reader himself
    # (other tests add staff accounts: the first eight are named, then "and more")
    with web.app.app_context():
        roles = [r.name for r in current_policy().values() if "career_office" in r.lanes
                 and "task.claim" in r.permissions and "task.work" in r.permissions]
        names = [n for n, in db.session.execute(
            select(User.display_name).where(User.active.is_(True), User.username != "staff1", User.id.in_(
                select(UserRole.user_id).where(UserRole.role.in_(roles))))
            .order_by(User.display_name, User.username)).all()]
        db.session.remove()
    assert {"staff", "admin"} <= set(roles) and "就业中心 林老师" in names  # staff2 works that lane
    listed = others.split("：", 1)[1].removesuffix(" 等").split("、")
    assert listed == names[:8] and others.endswith(" 等") == (len(names) > 8)
    assert "就业中心 陈老师" not in listed  # not the reader himself
    # once someone holds it, the others see who does and no preview
    assert web.client("staff2").post(f"/tasks/{guid}/claim").status_code == 302
    held = page(web.client("staff1").get(f"/tasks/{guid}"))
    assert "task-preview" not in held and "就业中心 林老师 正在处理" in held
    assert not [c for c in controls(held) if c.name == "office_decision"]


def test_who_may_not_claim_gets_what_he_got_before(web):
    instance_id, review = apply_for_recommendation(web, "2022010101")
    before = state(web, instance_id, review)
    for outsider in ("counselor_em", "2022010102", "hr_huachen"):  # another college, a student, an employer
        client = web.client(outsider)
        assert client.get(f"/tasks/{review}").status_code == 404
        assert client.post(f"/tasks/{review}", data=REVIEW).status_code == 404
    # the career office may look (it may reassign) but works another lane: no preview, no claim
    staff = page(resp := web.client("staff1").get(f"/tasks/{review}"))
    assert resp.status_code == 200 and "task-preview" not in staff and f"/tasks/{review}/claim" not in staff
    assert not [c for c in controls(staff) if c.name == "counselor_decision"]
    assert state(web, instance_id, review) == before
    # a counselor does not work the career office's lane
    _instance, office = office_review(web, "2022010102")
    assert web.client("counselor_cs").get(f"/tasks/{office}").status_code == 404


def test_the_preview_cannot_be_submitted_without_a_claim(web):
    instance_id, review = apply_for_recommendation(web, "2022010101")
    before = state(web, instance_id, review)
    counselor = web.client("counselor_cs")
    assert counselor.post(f"/tasks/{review}", data=REVIEW).status_code == 403
    assert counselor.post(f"/tasks/{review}", data={**REVIEW, "__action__": "save"}).status_code == 403
    assert state(web, instance_id, review) == before, "nothing completed, claimed or saved"


def test_claiming_from_the_preview_opens_the_form_to_fill_in(web):
    instance_id, review = apply_for_recommendation(web, "2022010101")
    counselor = web.client("counselor_cs")
    assert f'action="/tasks/{review}/claim"' in page(counselor.get(f"/tasks/{review}"))
    resp = counselor.post(f"/tasks/{review}/claim")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/tasks/{review}")
    html = page(counselor.get(f"/tasks/{review}"))
    assert "task-preview" not in html and 'class="task-form"' in html
    decision = [c for c in controls(html) if c.name == "counselor_decision"]
    assert decision and all(not c.disabled and c.form_action == f"/tasks/{review}" for c in decision)
    assert counselor.post(f"/tasks/{review}", data=REVIEW).status_code == 302
    assert web.scalar(select(OpenTask.id).where(OpenTask.task_guid == review)) is None
    assert web.scalar(select(OpenTask.spec_id).where(OpenTask.instance_id == instance_id)) == "office_review"
