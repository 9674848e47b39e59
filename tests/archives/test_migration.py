"""Long-running archives survive a process change: version 2 adds a follow-up one year after graduation; the
running archives (at a profile timer, at destination registration, at the 6-month follow-up) move to it in
bulk, keep their place and data, and the one past the 6-month follow-up now gets the new step."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from app import engine
from app.archives import imports, queries, services
from app.engine.definitions import Source
from app.engine.models import ProcessInstance
from app.platform.extensions import db
from tests.archives.conftest import complete, open_task, student_row, workbook

V1 = Path(__file__).resolve().parents[2] / "bpmn" / "archives" / "student_archive.bpmn"
NEW_STEP = """
    <bpmn:intermediateCatchEvent id="wait_followup_1y" name="毕业一年"><bpmn:timerEventDefinition id="wait_followup_1y_def"><bpmn:timeDate>(datetime.datetime.fromisoformat(followup_6m_at) + timedelta(days=183)).isoformat()</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="followup_1y" name="毕业一年跟踪调查"><bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" value="archive_followup.json"/><spiffworkflow:property name="formUiSchemaFilename" value="archive_followup.ui.json"/></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:serviceTask id="save_followup_1y" name="写入跟踪调查"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="archives.record"><spiffworkflow:parameters><spiffworkflow:parameter id="student_id" type="any" value="student_id"/><spiffworkflow:parameter id="kind" type="any" value='"followup"'/><spiffworkflow:parameter id="task" type="any" value='"followup_1y"'/><spiffworkflow:parameter id="data" type="any" value='{"stage": "1y", "employer": fu_employer, "satisfaction": fu_satisfaction}'/></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:userTask_>
    <bpmn:sequenceFlow id="flow_wait_followup_1y_followup_1y" sourceRef="wait_followup_1y" targetRef="followup_1y"></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_followup_1y_save_followup_1y" sourceRef="followup_1y" targetRef="save_followup_1y"></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_save_followup_1y_wait_followup_3y" sourceRef="save_followup_1y" targetRef="wait_followup_3y"></bpmn:sequenceFlow>
""".replace("</bpmn:userTask_>", "</bpmn:serviceTask>")


def version_2() -> bytes:
    text = V1.read_text(encoding="utf-8")
    for flow in ("flow_save_followup_6m_wait_followup_3y", "flow_missed_followup_6m_wait_followup_3y"):
        start = text.index(f'<bpmn:sequenceFlow id="{flow}"')
        end = text.index("</bpmn:sequenceFlow>", start)
        text = text[:start] + text[start:end].replace('targetRef="wait_followup_3y"',
                                                      'targetRef="wait_followup_1y"') + text[end:]
    text = text.replace('        <bpmn:flowNodeRef>wait_followup_3y</bpmn:flowNodeRef>',
                        '        <bpmn:flowNodeRef>wait_followup_1y</bpmn:flowNodeRef>\n'
                        '        <bpmn:flowNodeRef>followup_1y</bpmn:flowNodeRef>\n'
                        '        <bpmn:flowNodeRef>save_followup_1y</bpmn:flowNodeRef>\n'
                        '        <bpmn:flowNodeRef>wait_followup_3y</bpmn:flowNodeRef>', 1)
    return text.replace("  </bpmn:process>", NEW_STEP + "  </bpmn:process>", 1).encode()


def _instance(student_no: str) -> int:
    student = db.session.execute(select(queries.Student.user_id).where(queries.Student.student_no == student_no)
                                 ).scalar_one()
    return queries.archive_of(student).instance_id, student


def test_running_archives_move_to_a_new_version_with_a_new_follow_up(school, clock):
    clock.set(2022, 9, 1)
    years = {1: {"入学年份": 2025, "预计毕业年份": 2029}, 2: {"入学年份": 2023, "预计毕业年份": 2027}, 3: {}}
    rows = [student_row(school, n, **years[n]) for n in (1, 2, 3)]
    imports.apply(imports.check(workbook(rows)), school["staff_id"])
    (waiting, _s1), (registering, s2), (following, s3) = (_instance(r[0]) for r in rows)
    clock.set(2025, 10, 2)
    complete(following, "intention_survey", {"intention": "employment"}, s3)
    complete(following, "register_destination", {"category": "seeking"}, s3)
    complete(following, "verify_destination", {"verify_decision": "approve"}, school["counselor_id"])
    complete(following, "confirm_destination", {"confirm_decision": "approve"}, school["staff_id"])
    clock.set(2026, 12, 31, 2)
    assert open_task(following, "followup_6m") is not None
    complete(registering, "intention_survey", {"intention": "further_study"}, s2)
    assert open_task(registering, "register_destination") is not None

    v1 = engine.latest_definition(services.PROCESS_KEY)
    [v2] = engine.deploy([Source("student_archive.bpmn", version_2())])
    assert v2.version == v1.version + 1
    result = engine.migrate_all(v1.id, v2.id, actor_id=school["staff_id"])
    mine = {waiting, registering, following}
    assert mine <= set(result.migrated) and not (mine & set(result.refused))
    db.session.expire_all()
    assert {db.session.get(ProcessInstance, i).definition_id for i in mine} == {v2.id}

    # each kept its place and its data
    assert open_task(registering, "register_destination") is not None
    assert engine.task_data(open_task(following, "followup_6m").task_guid)["student_id"] == s3
    complete(following, "followup_6m", {"fu_employer": "无", "fu_satisfaction": "3"}, s3)
    assert open_task(following) is None
    clock.set(2027, 7, 2)  # 183 days after the 6-month follow-up: the new step
    complete(following, "followup_1y", {"fu_employer": "杭州某公司", "fu_satisfaction": "4"}, s3)
    records = [(r.kind, r.data.get("stage")) for r in queries.records_of(queries.archive_of(s3).id)]
    assert records[-2:] == [("followup", "6m"), ("followup", "1y")]
    clock.set(2029, 6, 30, 2)
    assert open_task(following, "followup_3y") is not None
    # a new archive starts on the new version
    imports.apply(imports.check(workbook([student_row(school, 9)])), school["staff_id"])
    new_iid, _s9 = _instance(student_row(school, 9)[0])
    assert db.session.get(ProcessInstance, new_iid).definition_id == v2.id
