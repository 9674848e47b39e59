"""The modeler's use cases on both databases: drafts (stale saves refused), validation that names elements,
deploy with forms and DMN files kept per version, rollback, escapes refused, migration preview and bulk runs,
test runs kept out of inboxes, who may do what."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app import engine
from app.engine.models import OpenTask, ProcessDefinition, ProcessInstance
from app.modeler import services
from app.modeler.drafts import DraftContent
from app.modeler.models import MigrationRun
from app.identity.models import User, UserRole
from app.platform.extensions import db
from app.forms import deployed_form
from app.identity.guards import current_policy
from app.identity.principal import Principal
from app.tasklist import queries as inbox
from app.tasklist import services as task_forms
from tests.modeler import bpmn as m

OWNER_ROLES = frozenset({"process_owner"})


@pytest.fixture
def owner(ctx, unique) -> Principal:
    return _user(f"owner_{unique}", "process_owner")


@pytest.fixture
def admin(ctx, unique) -> Principal:
    return _user(f"admin_{unique}", "admin")


def _user(username: str, role: str) -> Principal:
    user = User(username=username, display_name=username, password_hash="x")
    db.session.add(user)
    db.session.flush()
    db.session.add(UserRole(user_id=user.id, role=role))
    db.session.commit()
    return Principal(user.id, frozenset({role}), policy=current_policy())


def _new(principal: Principal, key: str, bpmn: str, files: dict | None = None) -> int:
    """A new process whose draft holds `bpmn` and `files`; returns the draft's revision."""
    draft = services.create_process(principal, key, "测试流程")
    return services.save_draft(principal, key, draft.revision, DraftContent(bpmn, files or {}))


def test_a_stale_save_is_refused_and_changes_nothing(owner, unique, ctx):
    key = f"p_{unique}"
    opened = services.create_process(owner, key, "测试流程").revision
    first = services.save_draft(owner, key, opened, DraftContent(m.two_step(key), m.review_form()))
    # a second editor opened the same revision and saves after the first one
    with pytest.raises(services.StaleDraft) as err:
        services.save_draft(owner, key, opened, DraftContent(m.two_step(key, "other"), {}))
    from flask_babel import force_locale

    with ctx.test_request_context(), force_locale("en"):
        assert "saved this draft" in str(err.value.message) and err.value.status == 409
    db.session.expire_all()
    kept = services.draft_for(owner, key)
    assert kept.revision == first == 2 and "approve" in kept.bpmn_xml and "review.json" in kept.files


def test_opening_a_deployed_process_writes_nothing_and_the_second_first_save_is_refused(owner, unique):
    key = f"p_{unique}"
    revision = _new(owner, key, m.two_step(key), m.review_form())
    services.deploy_draft(owner, key, revision, DraftContent(m.two_step(key), m.review_form()))
    assert services.draft_for(owner, key) is not None
    from app.modeler.models import ProcessDraft

    db.session.execute(ProcessDraft.__table__.delete().where(ProcessDraft.process_key == key))
    db.session.commit()
    opened = services.draft_for(owner, key)
    assert opened.revision == 0 and opened.id is None and "approve" in opened.bpmn_xml
    assert db.session.execute(select(ProcessDraft).where(ProcessDraft.process_key == key)).first() is None
    assert services.save_draft(owner, key, 0, DraftContent(m.two_step(key, "sign"), m.review_form())) == 1
    with pytest.raises(services.StaleDraft):  # a second editor had opened it as well
        services.save_draft(owner, key, 0, DraftContent(m.two_step(key, "other"), {}))
    db.session.expire_all()
    assert "sign" in services.draft_for(owner, key).bpmn_xml


def test_deploy_keeps_the_forms_with_the_version_and_running_instances_keep_theirs(owner, unique):
    key = f"p_{unique}"
    revision = _new(owner, key, m.two_step(key), m.review_form("审核一"))
    v1, revision = services.deploy_draft(owner, key, revision, DraftContent(m.two_step(key), m.review_form("审核一")))
    assert v1.version == 1 and json.loads(engine.definition_file(v1.id, "review.json"))["title"] == "审核一"
    instance_id = engine.start_instance(v1, {})
    v2, _ = services.deploy_draft(owner, key, revision, DraftContent(m.two_step(key), m.review_form("审核二")))
    assert v2.version == 2  # only a form changed: still a new version
    task = db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id)).scalar_one()
    assert task_forms.form_for(task).title == "审核一"  # the instance keeps the form of its version
    later = engine.start_instance(v2, {})
    task2 = db.session.execute(select(OpenTask).where(OpenTask.instance_id == later)).scalar_one()
    assert task_forms.form_for(task2).title == "审核二"


def test_unchanged_redeploy_and_rollback(owner, unique):
    key = f"p_{unique}"
    content1 = DraftContent(m.two_step(key), m.review_form())
    content2 = DraftContent(m.two_step(key, "sign"), m.review_form())
    revision = _new(owner, key, content1.bpmn, content1.files)
    v1, revision = services.deploy_draft(owner, key, revision, content1)
    same, revision = services.deploy_draft(owner, key, revision, content1)
    assert same.id == v1.id
    v2, revision = services.deploy_draft(owner, key, revision, content2)
    assert v2.version == 2
    v3 = services.rollback(owner, v1.id)
    assert v3.version == 3 and v3.content_hash == v1.content_hash and v3.bpmn_xml == v1.bpmn_xml
    assert engine.latest_definition(key).id == v3.id
    assert engine.definition_files(v3.id) == engine.definition_files(v1.id)


def test_validation_names_file_element_and_problem(owner, unique):
    key = f"p_{unique}"
    body = ('<bpmn:startEvent id="start"/>' + m.user("review", form="missing.json")
            + '<bpmn:serviceTask id="call"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="no.such"><spiffworkflow:parameters/></spiffworkflow:serviceTaskOperator>'
              '</bpmn:extensionElements></bpmn:serviceTask>'
            + '<bpmn:scriptTask id="escape" scriptFormat="python"><bpmn:script>x = ().__class__.__bases__</bpmn:script>'
              '</bpmn:scriptTask><bpmn:exclusiveGateway id="gw" default="ok"/><bpmn:endEvent id="end"/>'
              '<bpmn:endEvent id="end2"/>'
            + m.flow("f1", "start", "review") + m.flow("f2", "review", "call") + m.flow("f3", "call", "escape")
            + m.flow("f4", "escape", "gw") + m.flow("ok", "gw", "end")
            + m.flow("bad", "gw", "end2", "__import__('os').system('id')"))
    xml = m.process(key, body, lanes={"no_such_role": ["start", "review", "call", "escape", "gw", "end", "end2"]})
    bad_form = {"broken.json": json.dumps({"type": "object", "properties": {"a": {"type": "nonsense"}}})}
    revision = _new(owner, key, xml, bad_form)
    problems = services.validate_draft(owner, key, DraftContent(xml, bad_form))
    by_element: dict = {}
    for f, e, p in problems:
        by_element[(f, e)] = by_element.get((f, e), "") + p + "\n"
    assert "no role's lane" in by_element[(f"{key}.bpmn", "lane_no_such_role")]
    assert any(f == "broken.json" for f, _e, _p in problems)
    # the engine's own checks come with the element they are about
    assert "missing.json" in by_element[(f"{key}.bpmn", "review")]
    assert "no.such" in by_element[(f"{key}.bpmn", "call")]
    assert (f"{key}.bpmn", "escape") in by_element
    assert (f"{key}.bpmn", "gw") in by_element or (f"{key}.bpmn", "bad") in by_element
    # a deploy refuses the same and stores nothing (the draft itself is saved)
    with pytest.raises(services.Invalid) as err:
        services.deploy_draft(owner, key, revision, DraftContent(xml, bad_form))
    assert err.value.problems and db.session.execute(
        select(ProcessDefinition).where(ProcessDefinition.process_key == key)).first() is None
    assert services.draft_for(owner, key).revision == revision + 1


def test_the_process_id_must_be_the_drafts(owner, unique):
    key = f"p_{unique}"
    revision = _new(owner, key, m.two_step(key), m.review_form())
    other = m.two_step(f"q_{unique}")
    problems = services.validate_draft(owner, key, DraftContent(other, m.review_form()))
    assert any("one executable process with the id" in p for _f, _e, p in problems)
    with pytest.raises(services.Invalid):
        services.deploy_draft(owner, key, revision, DraftContent(other, m.review_form()))


@pytest.mark.parametrize("escape", [
    ("script", "import os"),
    ("script", "x = ''.__class__.__mro__[1].__subclasses__()"),
    ("condition", "__import__('os').getcwd() == ''"),
    ("condition", "().__class__"),
    ("dmn_entry", '__import__("os").getcwd()'),
    ("dmn_output", '"".join.__self__.__class__'),
])
def test_a_process_owner_cannot_deploy_code_that_escapes_the_sandbox(owner, unique, escape):
    kind, code = escape
    key = f"p_{unique}"
    files = m.review_form()
    if kind == "script":
        body = ('<bpmn:startEvent id="start"/><bpmn:scriptTask id="s" scriptFormat="python"><bpmn:script>'
                f"{code}</bpmn:script></bpmn:scriptTask><bpmn:endEvent id=\"end\"/>"
                + m.flow("f1", "start", "s") + m.flow("f2", "s", "end"))
        xml, element = m.process(key, body), "s"
    elif kind == "condition":
        body = ('<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="gw" default="b"/><bpmn:endEvent id="e1"/>'
                '<bpmn:endEvent id="e2"/>' + m.flow("f1", "start", "gw")
                + m.flow("a", "gw", "e1", code.replace('"', "&quot;").replace("'", "&apos;")) + m.flow("b", "gw", "e2"))
        xml, element = m.process(key, body), None
    else:
        rules = [(code.replace('"', "&quot;"), '"x"')] if kind == "dmn_entry" else [("1", code.replace('"', "&quot;"))]
        files = {**files, "route.dmn": m.dmn("route_d", rules)}
        xml, element = m.with_decision(key, "route_d"), "rule_0"
    revision = _new(owner, key, xml, files)
    with pytest.raises(services.Invalid) as err:
        services.deploy_draft(owner, key, revision, DraftContent(xml, files))
    assert err.value.problems
    if element:
        assert element in {e for _f, e, _p in err.value.problems}, err.value.problems
    assert db.session.execute(select(ProcessDefinition).where(ProcessDefinition.process_key == key)).first() is None


def test_dmn_deploys_with_the_process_and_decides_the_gateway(owner, unique):
    key = f"p_{unique}"
    files = {**m.review_form(), "route.dmn": m.dmn("route_d", [("&gt;= 90", '"fast"'), ("&lt; 90", '"normal"')])}
    xml = m.with_decision(key, "route_d")
    revision = _new(owner, key, xml, files)
    definition, _ = services.deploy_draft(owner, key, revision, DraftContent(xml, files))
    assert "decisionTable" in engine.definition_file(definition.id, "route.dmn")
    for score, expected in ((95, "fast_track"), (60, "normal")):
        instance_id = engine.start_instance(definition, {})
        guid = db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id)).scalar()
        engine.complete_task(guid, {"decision": "approve", "score": score}, owner.id)
        state = engine.get_state(instance_id)
        assert state.data["route"] == ("fast" if score >= 90 else "normal")
        assert [t["spec_id"] for t in state.ready_tasks] == [expected]


def test_a_business_rule_task_needs_a_decision_of_the_bundle(owner, unique):
    key = f"p_{unique}"
    xml = m.with_decision(key, "nowhere")
    _new(owner, key, xml, m.review_form())
    problems = services.validate_draft(owner, key, DraftContent(xml, m.review_form()))
    assert problems and any("nowhere" in p for _f, _e, p in problems)


def test_migration_preview_and_bulk_run_with_progress(owner, unique, ctx):
    key = f"p_{unique}"
    v1_content = DraftContent(m.two_step(key), m.review_form())
    revision = _new(owner, key, v1_content.bpmn, v1_content.files)
    v1, revision = services.deploy_draft(owner, key, revision, v1_content)
    at_review = [engine.start_instance(v1, {}) for _ in range(3)]
    at_approve = engine.start_instance(v1, {})
    guid = db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == at_approve)).scalar()
    engine.complete_task(guid, {"decision": "approve"}, owner.id)
    # v2 renames the second step: instances past "review" cannot move, those waiting at "review" can
    v2, _ = services.deploy_draft(owner, key, revision, DraftContent(m.two_step(key, "sign"), m.review_form()))
    preview = services.preview_migration(owner, v2.id, [*at_review, at_approve])
    assert preview.movable == at_review
    assert "approve" in " ".join(preview.staying[at_approve])
    ctx.config["RQ_ASYNC"] = False  # the job runs in this process (a real worker runs it in tests/e2e)
    run_id = services.start_migration(owner, v2.id, [*at_review, at_approve])
    db.session.expire_all()
    run = db.session.get(MigrationRun, run_id)
    assert run.status == "done" and run.done == 4 and run.finished_at is not None
    assert sorted(run.migrated) == at_review and list(run.refused) == [str(at_approve)]
    for instance_id in at_review:
        assert engine.get_state(instance_id).definition_version == 2
    assert engine.get_state(at_approve).definition_version == 1
    # a moved instance takes the new path ahead of it
    guid = db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == at_review[0])).scalar()
    engine.complete_task(guid, {"decision": "approve"}, owner.id)
    assert [t["spec_id"] for t in engine.get_state(at_review[0]).ready_tasks] == ["sign"]
    # running it again changes nothing and reports the same
    services.run_migration(run_id)
    db.session.expire_all()
    assert db.session.get(MigrationRun, run_id).migrated == run.migrated


def test_migration_progress_is_recorded_instance_by_instance(owner, unique, monkeypatch):
    key = f"p_{unique}"
    content = DraftContent(m.two_step(key), m.review_form())
    revision = _new(owner, key, content.bpmn, content.files)
    v1, revision = services.deploy_draft(owner, key, revision, content)
    ids = [engine.start_instance(v1, {}) for _ in range(3)]
    v2, _ = services.deploy_draft(owner, key, revision, DraftContent(m.two_step(key, "sign"), m.review_form()))
    with db.session.no_autoflush:
        run = MigrationRun(process_key=key, to_definition_id=v2.id, instance_ids=ids, status="queued", done=0,
                           migrated=[], refused={}, started_by=owner.id)
        db.session.add(run)
        db.session.commit()
    seen = []
    real = engine.migrate_instance

    def watching(instance_id, target, actor=None):
        seen.append(db.session.execute(select(MigrationRun.done).where(MigrationRun.id == run.id)).scalar())
        return real(instance_id, target, actor)

    monkeypatch.setattr(engine, "migrate_instance", watching)
    services.run_migration(run.id)
    assert seen == [0, 1, 2]


def test_a_test_run_is_seen_only_on_its_page(owner, unique):
    key = f"p_{unique}"
    content = DraftContent(m.two_step(key), m.review_form())
    revision = _new(owner, key, content.bpmn, content.files)
    instance_id, revision = services.start_test_run(owner, key, revision, content)
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance.is_test and db.session.get(ProcessDefinition, instance.definition_id).version < 0
    assert engine.latest_definition.__name__ and db.session.execute(select(ProcessDefinition).where(
        ProcessDefinition.process_key == key, ProcessDefinition.is_test.is_(False))).first() is None
    staff = Principal(owner.id + 100000, frozenset({"staff"}), policy=current_policy())
    for who in (owner, staff):
        for view in ("mine", "groups", "unassigned"):
            assert instance_id not in [r.instance_id for r in inbox.list_tasks(who, inbox.InboxQuery(view=view)).rows]
    task = db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id)).scalar_one()
    assert task.addressed  # every lane's tasks go to the tester
    engine.complete_task(task.task_guid, {"decision": "approve"}, owner.id)
    with pytest.raises(services.NotFound):
        services.test_instance(staff, instance_id)
    # deploying after test runs starts at version 1
    deployed, _ = services.deploy_draft(owner, key, revision, content)
    assert deployed.version == 1 and not deployed.is_test


def test_service_tasks_of_a_test_run_wait_for_the_testers_result(owner, unique, ctx):
    key = f"p_{unique}"
    body = ('<bpmn:startEvent id="start"/><bpmn:serviceTask id="call"><bpmn:extensionElements>'
            '<spiffworkflow:serviceTaskOperator id="test_add" resultVariable="echoed"><spiffworkflow:parameters>'
            '<spiffworkflow:parameter id="a" type="any" value="41 + 1"/><spiffworkflow:parameter id="b" type="any" '
            'value="0"/></spiffworkflow:parameters>'
            '</spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="end"/>'
            + m.flow("f1", "start", "call") + m.flow("f2", "call", "end"))
    xml = m.process(key, body)
    revision = _new(owner, key, xml)
    ctx.config["RQ_ASYNC"] = False
    instance_id, _ = services.start_test_run(owner, key, revision, DraftContent(xml, {}))
    from app.engine.models import Job

    job = db.session.execute(select(Job).where(Job.instance_id == instance_id)).scalar_one()
    assert job.status == "pending" and job.params == {"a": 42, "b": 0}  # not run: a synchronous queue would have
    services.complete_test_job(owner, instance_id, job.id, {"ok": True})
    state = engine.get_state(instance_id)
    assert state.status == "completed" and state.data["echoed"] == {"ok": True}


def test_who_may_edit_and_deploy(owner, admin, unique, ctx):
    key = f"p_{unique}"
    revision = _new(owner, key, m.two_step(key), m.review_form())
    other_owner = _user(f"other_{unique}", "process_owner")
    staff = _user(f"staff_{unique}", "staff")
    content = DraftContent(m.two_step(key), m.review_form())
    assert services.may_edit(owner, key) and services.may_edit(admin, key)
    assert not services.may_edit(other_owner, key) and not services.may_edit(staff, key)
    for who in (other_owner, staff):
        with pytest.raises(services.NotAllowed):
            services.save_draft(who, key, revision, content)
        with pytest.raises(services.NotAllowed):
            services.deploy_draft(who, key, revision, content)
    with pytest.raises(services.NotAllowed):
        services.add_owner(owner, key, other_owner.id)  # only administrators choose owners
    services.add_owner(admin, key, other_owner.id)
    assert services.may_edit(other_owner, key)
    services.deploy_draft(other_owner, key, revision, content)
    services.remove_owner(admin, key, other_owner.id)
    assert not services.may_edit(other_owner, key)
    with pytest.raises(services.Invalid):
        services.add_owner(admin, key, staff.id)  # owners have the process owner role


def test_a_forms_own_english_is_shown_in_english(owner, unique, ctx):
    from flask_babel import force_locale

    schema = json.dumps({"title": "实习申请表", "type": "object", "properties": {
        "kind": {"type": "string", "title": "实习类型", "enum": ["paid", "unpaid"], "enumNames": ["带薪", "无薪"]}}})
    ui = json.dumps({"kind": {"ui:widget": "radio", "ui:help": "请选择"},
                     "ui:locales": {"en": {"实习申请表": "Internship", "实习类型": "Kind", "带薪": "Paid",
                                           "请选择": "Choose one"}}})
    with ctx.test_request_context():
        with force_locale("en"):
            form = deployed_form(schema, ui, "f.json")
        with force_locale("zh_CN"):
            chinese = deployed_form(schema, ui, "f.json")
    assert form.title == "Internship"
    (kind,) = form.fields
    assert kind.label == "Kind" and kind.help == "Choose one"
    assert [c.label for c in kind.choices] == ["Paid", "无薪"]  # no English given: as written
    assert chinese.title == "实习申请表" and chinese.fields[0].label == "实习类型"


def test_an_imported_file_becomes_a_draft_checked_and_deployed_in_the_modeler(owner, unique, ctx):
    from app.modeler.models import ProcessDraft, ProcessOwner

    key = f"p_{unique}"
    assert services.import_file(owner, m.two_step(key).encode("utf-8")) == key
    draft = db.session.execute(select(ProcessDraft).where(ProcessDraft.process_key == key)).scalar_one()
    assert draft.revision == 1 and draft.bpmn_xml == m.two_step(key)
    assert db.session.get(ProcessOwner, (key, owner.id)) is not None  # the importer owns it
    assert db.session.execute(select(ProcessDefinition.id).where(ProcessDefinition.process_key == key)).first() is None
    # the owner adds its form in the modeler, then imports a changed diagram: the next revision, the form kept
    revision = services.save_draft(owner, key, 1, DraftContent(draft.bpmn_xml, m.review_form()))
    assert services.import_file(owner, ("\ufeff" + m.two_step(key, "sign")).encode("utf-8")) == key
    db.session.expire_all()
    draft = db.session.execute(select(ProcessDraft).where(ProcessDraft.process_key == key)).scalar_one()
    assert draft.revision == revision + 1 and draft.files == m.review_form() and "sign" in draft.bpmn_xml
    version, _revision = services.deploy_draft(owner, key, draft.revision, DraftContent(draft.bpmn_xml, draft.files))
    assert version.version == 1
    # an existing process is changed only by its owners; a deployed one too
    other_owner = _user(f"other_{unique}", "process_owner")
    with pytest.raises(services.NotAllowed):
        services.import_file(other_owner, m.two_step(key).encode("utf-8"))
    with pytest.raises(services.NotAllowed):
        services.import_file(_user(f"staff_{unique}", "staff"), m.two_step(f"q_{unique}").encode("utf-8"))


@pytest.mark.parametrize("content", [
    b"not xml at all", b"<html><body>hello</body></html>", "<?xml version='1.0'?><a>é</a>".encode("latin-1"),
    b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'x'>]><bpmn:definitions xmlns:bpmn="
    b"'http://www.omg.org/spec/BPMN/20100524/MODEL'/>",
    b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'/>",  # no process
    b"x" * (services.MAX_IMPORT + 1),
])
def test_an_import_that_is_no_single_process_is_refused_and_stores_nothing(owner, ctx, content):
    from app.modeler.models import ProcessDraft

    before = db.session.execute(select(ProcessDraft.id)).all()
    with pytest.raises(services.Invalid):
        services.import_file(owner, content)
    assert db.session.execute(select(ProcessDraft.id)).all() == before


def test_an_import_with_two_executable_processes_is_refused(owner, unique, ctx):
    one, two = m.two_step(f"a_{unique}"), m.two_step(f"b_{unique}")
    body = two[two.index("<bpmn:process"):two.index("</bpmn:process>") + len("</bpmn:process>")]
    both = one.replace("</bpmn:process>", "</bpmn:process>" + body, 1)
    with pytest.raises(services.Invalid):
        services.import_file(owner, both.encode("utf-8"))
