"""The inbox as counselors, staff and students use it: the landing view and its badge include the group work one
may claim; rows say what a task is about (the BPMN's summary fields) and are found by what the user knows;
assignment reads plainly; "completed by me" opens what was submitted; a suspended process's tasks can be
neither claimed nor completed; suspending and terminating ask for a reason kept in the history; the history
people read speaks business, the engine's events stay on the administrator's page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.engine.models import HistoryEvent, OpenTask, TaskSubmission
from app.platform.process_summary import parse_summary_fields, search_text, summary_values

APPLICATION = {"phone": "13912345678", "email": "liu.yang@example.edu.cn", "target_industry": "finance",
               "target_city": "成都", "self_assessment": "踏实肯干，善于沟通，在校期间担任班长，组织过多次志愿服务活动。"}


def page(resp) -> str:
    return resp.get_data(as_text=True)


def apply_for_recommendation(web, student: str, **changes) -> tuple[int, str]:
    """The student starts and submits a recommendation; returns (instance id, the counselor's task guid)."""
    client = web.client(student)
    guid = client.post("/processes/employment_recommendation/start").headers["Location"].rsplit("/", 1)[-1]
    resp = client.post(f"/tasks/{guid}", data={"__action__": "submit", **APPLICATION, **changes})
    assert resp.status_code == 302, re.findall(r"(?s)<main.*?</main>", page(resp))[0][:3000]
    instance_id = web.scalar(select(HistoryEvent.instance_id).where(HistoryEvent.task_guid == guid))
    review = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id))
    assert review is not None
    return instance_id, review


def test_summary_fields_convention():
    fields = parse_summary_fields("学生=student.name, 学号=student.student_no,, agreement_number ,=x")
    assert fields == [["学生", "student.name"], ["学号", "student.student_no"],
                      ["agreement_number", "agreement_number"], ["x", "x"]]
    data = {"student": {"name": "张伟", "student_no": "2022010101"}, "agreement_number": None, "x": {"nested": 1}}
    summary = summary_values(fields, data)
    assert summary == [["学生", "张伟"], ["学号", "2022010101"]]
    assert search_text("AGR-7", summary) == "agr-7 张伟 2022010101"
    assert search_text(None, []) is None


def test_counselor_lands_on_the_group_work_waiting_for_him(web):
    _instance, review = apply_for_recommendation(web, "2022010101")  # a CS student
    home = page(web.client("counselor_cs").get("/"))
    assert f"/tasks/{review}" in home, "the waiting review is on the counselor's landing view"
    total = int(re.search(r'<span class="count">(\d+)</span>', home).group(1))
    badge = int(re.search(r'<span class="badge" aria-label="[^"]*">(\d+)</span>', home).group(1))
    assert badge == total >= 1, "the badge counts what the landing view lists"
    assert "我的待办" in home and "在你的小组等待处理" in home and "认领" in home
    assert f"/tasks/{review}" not in page(web.client("counselor_em").get("/")), "another college's counselor"
    # a student's landing view has only his own work
    assert f"/tasks/{review}" not in page(web.client("2022010102").get("/"))


def test_rows_show_what_the_task_is_about_and_are_found_by_it(web, unique):
    _instance, review = apply_for_recommendation(web, "2022010102", target_city=f"杭州{unique}")
    counselor = web.client("counselor_cs")
    row = page(counselor.get("/", query_string={"key": "2022010102"}))
    assert f"/tasks/{review}" in row
    assert "李娜" in row and "2022010102" in row and f"杭州{unique}" in row  # student, number, city
    assert "学生" in row and "学号" in row and "意向城市" in row  # the labels declared in the BPMN
    assert f"/tasks/{review}" in page(counselor.get("/", query_string={"key": f"杭州{unique}"}))
    assert f"/tasks/{review}" in page(counselor.get("/", query_string={"key": "李娜"}))
    assert f"/tasks/{review}" not in page(counselor.get("/", query_string={"key": "nobody-" + unique}))
    assert counselor.get("/", query_string={"key": "%_\\"}).status_code == 200  # LIKE characters are text
    counselor.post("/language", data={"lang": "en", "next": "/"})
    try:
        english = page(counselor.get("/", query_string={"key": "2022010102"}))
        assert "Student" in english and "Student number" in english and "Waiting in your group" in english
    finally:
        counselor.post("/language", data={"lang": "zh_CN", "next": "/"})


def test_assignment_reads_plainly(web):
    _instance, review = apply_for_recommendation(web, "2022010101")
    first, second = web.client("counselor_cs"), web.client("staff1")
    task_page = page(first.get(f"/tasks/{review}"))
    assert "在辅导员小组等待处理" in task_page  # waiting in the group, nobody holds it
    assert first.post(f"/tasks/{review}/claim").status_code == 302
    mine = page(first.get("/", query_string={"key": "2022010101"}))
    assert "已分配给你" in mine  # assigned to you
    held = page(second.get(f"/tasks/{review}"))
    assert "计算机学院辅导员 王老师" in held and "正在处理" in held  # who holds it, for someone who may see it


def test_completed_by_me_shows_the_process_and_opens_what_was_submitted(web, unique):
    _instance, _review = apply_for_recommendation(web, "2022030101", target_city=f"重庆{unique}")
    student = web.client("2022030101")
    done = page(student.get("/", query_string={"view": "completed"}))
    assert "就业推荐表申请" in done  # the process's name, not its key
    link = re.search(r'href="(/tasks/done/[0-9a-f-]+)"', done).group(1)
    submitted = page(student.get(link))
    assert f"重庆{unique}" in submitted and "金融" in submitted  # the option's label, not "finance"
    assert "liu.yang@example.edu.cn" in submitted and "<form" not in submitted.split("<main", 1)[1]  # read-only
    assert web.client("2022010101").get(link).status_code == 404  # nobody else's
    assert web.client("counselor_fl").get(link).status_code == 404
    guid = link.rsplit("/", 1)[-1]
    assert web.scalar(select(TaskSubmission.data).where(TaskSubmission.task_guid == guid))["target_city"] == \
        f"重庆{unique}"


def test_a_suspended_process_cannot_be_worked_and_says_so(web):
    instance_id, review = apply_for_recommendation(web, "2022010101")
    admin, counselor = web.client("admin"), web.client("counselor_cs")
    refused = admin.post(f"/instances/{instance_id}/suspend", data={"reason": "  "})
    assert refused.status_code == 422 and "reason-suspend-error" in page(refused)
    assert admin.post(f"/instances/{instance_id}/suspend", data={"reason": "学生信息待核实"}).status_code == 302
    reason = web.scalar(select(HistoryEvent.data).where(HistoryEvent.instance_id == instance_id,
                                                        HistoryEvent.event_type == "instance_suspended"))
    assert reason == {"reason": "学生信息待核实"}

    task_page = page(counselor.get(f"/tasks/{review}"))
    assert "流程已暂停" in task_page and "学生信息待核实" in task_page
    assert f'action="/tasks/{review}/claim"' not in task_page
    resp = counselor.post(f"/tasks/{review}/claim", follow_redirects=True)
    assert "流程已暂停" in page(resp)
    assert web.scalar(select(OpenTask.assignee_id).where(OpenTask.task_guid == review)) is None
    listed = page(counselor.get("/", query_string={"key": "2022010101"}))
    assert "流程已暂停" in listed

    from app import engine

    with web.app.app_context():  # the engine refuses it too (a claim racing the suspension)
        with pytest.raises(engine.InvalidState):
            engine.claim_task(review, 1)

    assert admin.post(f"/instances/{instance_id}/resume").status_code == 302
    assert counselor.post(f"/tasks/{review}/claim").status_code == 302
    resp = counselor.post(f"/tasks/{review}", data={"__action__": "submit", "counselor_decision": "approve"})
    assert resp.status_code == 302

    assert admin.post(f"/instances/{instance_id}/terminate", data={}).status_code == 422
    assert admin.post(f"/instances/{instance_id}/terminate", data={"reason": "学生已放弃申请"}).status_code == 302
    events = page(web.client("2022010101").get(f"/instances/{instance_id}"))
    assert "学生已放弃申请" in events and "学生信息待核实" in events


def test_people_read_business_events_the_admin_also_the_engine_s(web):
    instance_id, review = apply_for_recommendation(web, "2022010102")
    counselor = web.client("counselor_cs")
    counselor.post(f"/tasks/{review}/claim")
    counselor.post(f"/tasks/{review}", data={"__action__": "submit", "counselor_decision": "return",
                                             "counselor_comment": "请补充获奖情况"})
    student_view = page(web.client("2022010102").get(f"/instances/{instance_id}"))
    history = student_view.split('class="timeline business"', 1)[1].split("</ol>", 1)[0]
    assert "填写就业推荐表" in history and "辅导员审核" in history and "退回修改" in history
    for engine_word in ("任务已生成", "作业已排队", "作业执行成功", "Task ready", "Job queued"):
        assert engine_word not in student_view
    assert "引擎事件" not in student_view
    admin_view = page(web.client("admin").get(f"/instances/{instance_id}"))
    assert "引擎事件" in admin_view and "任务已生成" in admin_view


def test_a_step_completed_without_the_inbox_links_to_its_process(web):
    """Steps completed outside the inbox (a service, an import) have no submission to open: the row links to
    the process instead of a page that would not exist."""
    from app import engine

    client = web.client("2022020101")
    guid = client.post("/processes/employment_recommendation/start").headers["Location"].rsplit("/", 1)[-1]
    from app.identity.models import User

    student = web.scalar(select(User.id).where(User.username == "2022020101"))
    with web.app.app_context():
        engine.complete_task(guid, dict(APPLICATION), student)
    done = page(client.get("/", query_string={"view": "completed"}))
    assert f"/tasks/done/{guid}" not in done
    card = done.split(f'data-guid="{guid}"', 1)
    assert len(card) == 2 and "/instances/" in card[1].split("</li>", 1)[0]
