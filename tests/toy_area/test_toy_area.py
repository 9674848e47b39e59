"""The toy area of docs/areas.md, registered through the contract with one line (AREAS): it deploys, a student
starts it, its service operation runs through a real RQ worker, and its next task is in the desk's inbox;
its page, permissions, menu entry, demo data, report definition and periodic job are wired in."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.engine.models import OpenTask, ProcessDefinition, ProcessInstance
from config.settings import Config
from tests.conftest import BACKENDS, drop_app, make_app
from tests.procs import drain_queue
from tests.web import Web

AREAS = (*Config.AREAS, "tests.toy_area.area")


@pytest.fixture(scope="module", params=BACKENDS)
def toy(request, tmp_path_factory, redis_url):
    app, schema = make_app(request.param, tmp_path_factory.mktemp(f"toy-{request.param}"), redis_url,
                           AREAS=AREAS, RQ_ASYNC=True)
    from app.engine import deploy_directory
    from app.platform.demo import load_demo_data

    with app.app_context():
        deployed = {d.process_key: d.version for d in deploy_directory()}
        load_demo_data()
    yield Web(app), deployed
    drop_app(app, schema)


def test_the_toy_area_deploys_runs_through_the_worker_and_reaches_the_inbox(toy):
    web, deployed = toy
    assert deployed["toy_request"] == 1 and "tripartite_agreement" in deployed  # beside the real areas
    student = web.client("2022010101")
    assert "Toy request" in student.get("/processes/").get_data(as_text=True)
    started = student.post("/processes/toy_request/start")
    assert started.status_code == 302 and "/tasks/" in started.headers["Location"]
    ask = started.headers["Location"].rsplit("/", 1)[-1]

    refused = student.post(f"/tasks/{ask}", data={"toy_wish": "x"})  # the form's own rule: minLength 2
    assert refused.status_code == 422
    assert student.post(f"/tasks/{ask}", data={"toy_wish": "a red kite"}).status_code == 302
    instance_id = web.scalar(select(OpenTask.instance_id).where(OpenTask.task_guid == ask)) or web.scalar(
        select(ProcessInstance.id).where(ProcessInstance.process_key == "toy_request")
        .order_by(ProcessInstance.id.desc()))
    assert web.scalar(select(OpenTask.id).where(OpenTask.instance_id == instance_id)) is None  # waits on the job

    drain_queue(web.app, {"AREAS": AREAS}, timeout=120)  # the toy's app has RQ_ASYNC on

    check = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id,
                                                        OpenTask.spec_id == "check"))
    assert check is not None, "the worker did not run the toy's service operation"
    clerk = web.client("toy_clerk")  # the toy's demo account, staff: the toy_desk lane is granted to staff
    groups = clerk.get("/?view=groups").get_data(as_text=True)
    assert check in groups and "Check the toy request" in groups
    assert check not in web.client("counselor_cs").get("/?view=groups").get_data(as_text=True)  # not his lane
    assert clerk.get(f"/tasks/{check}").status_code == 200
    with web.app.app_context():
        from app import engine

        assert engine.get_state(instance_id).data["toy_ticket"].startswith("TOY-")  # the operation's result

    desk = clerk.get("/toy/")
    assert desk.status_code == 200 and '<p class="toy-issued">' in desk.get_data(as_text=True)
    assert 'href="/toy/"' in desk.get_data(as_text=True)  # the menu entry, for roles with toy.view
    assert student.get("/toy/").status_code == 403
    assert 'href="/toy/"' not in student.get("/").get_data(as_text=True)


def test_the_contract_collects_reports_jobs_and_demo_order(toy):
    web, _deployed = toy
    from app.platform import periodic
    from app.platform.areas import registry
    from app.platform.queue import redis_connection

    with web.app.app_context():
        reg = registry()
        assert [r.key for r in reg.reports if r.key.startswith("toy.")] == ["toy.requests_by_wish"]
        assert "toy.requests_by_wish" in {r.key for r in reg.reports}  # beside the real areas' reports
        assert [j.name for j in reg.periodic_jobs if j.name.startswith("toy.")] == ["toy.sweep"]
        names = [d.name for d in reg.demo_loaders()]
        assert names[0] == "identity" and names.index("employers") > 0 and names.index("toy") > 0
        assert any(a.username == "toy_clerk" for a in reg.demo_accounts())
        redis = redis_connection()
        redis.delete(f"{web.app.config['RQ_QUEUE']}:periodic:toy.sweep", "toy:sweeps")
        assert "toy.sweep" in periodic.enqueue_due()
        assert "toy.sweep" not in periodic.enqueue_due()  # once per period, however often the scheduler ticks
    drain_queue(web.app, {"AREAS": AREAS}, timeout=120)
    with web.app.app_context():
        assert int(redis_connection().get("toy:sweeps") or 0) == 1


def test_an_unchanged_process_in_a_new_folder_keeps_its_version(toy, tmp_path):
    """Versions follow the process id and its content, not the file's folder: moving bpmn/<file> into
    bpmn/<area>/ (as this layout did) deploys nothing new."""
    web, _deployed = toy
    from app.engine import deploy_directory
    from app.platform.areas import ROOT

    moved = tmp_path / "elsewhere"
    moved.mkdir()
    source = ROOT / "bpmn" / "recommendations" / "employment_recommendation.bpmn"
    (moved / source.name).write_bytes(source.read_bytes())
    with web.app.app_context():
        before = web.scalar(select(ProcessDefinition.version).where(
            ProcessDefinition.process_key == "employment_recommendation").order_by(ProcessDefinition.version.desc()))
        again = {d.process_key: d.version for d in deploy_directory(moved)}
    assert again == {"employment_recommendation": before}
    assert len(web.query(select(ProcessDefinition.id).where(
        ProcessDefinition.process_key == "employment_recommendation"))) == 1


KEEPER_ROLE = """
[roles.toy_keeper]
label = "货架管理员"
label_en = "Shelf keeper"
lanes = ["toy_shelf"]
scope = "shelf"
permissions = ["inbox.view", "task.work", "task.claim", "instance.view"]
"""


def test_a_scope_key_of_the_toy_area_decides_who_sees_and_takes_its_tasks(toy, tmp_path):
    """The toy area adds the scope key `shelf` with its own provider (tests/toy_area/scopes.py); a role with
    that scope (the platform adds it to config/permissions.toml, here to a copy) sees the group tasks and the
    instances of its shelves only, and only the shelf's keepers are offered a shelf task."""
    web, deployed = toy
    from app import engine
    from app.identity.access import can_claim_task, can_see_task, instance_clause
    from app.identity.models import User, UserRole
    from app.identity.policy import POLICY_FILE, Policy, PolicyError
    from app.identity.queries import assignable_users, principal_of
    from app.platform.areas import registry
    from app.platform.extensions import db
    from app.platform.uow import unit_of_work
    from app.tasklist.queries import InboxQuery, list_tasks, task_facts

    assert "toy_shelf" in deployed
    base = tmp_path / "permissions.toml"
    base.write_text(POLICY_FILE.read_text(encoding="utf-8") + KEEPER_ROLE, encoding="utf-8")
    unique = tmp_path.name[-6:].lower().replace("_", "")
    with web.app.app_context():
        reg = registry()
        assert "shelf" in reg.scope_providers and {"college", "employer"} <= set(reg.scope_providers)
        with pytest.raises(PolicyError, match="shelf"):  # a scope no area provides stops the start
            Policy.load(base, reg.permission_files, scope_keys=("college", "employer"))
        policy = Policy.load(base, reg.permission_files, scope_keys=reg.scope_providers)
        with unit_of_work() as uow:
            keepers = [User(username=f"keeper_{shelf}_{unique}", display_name=f"Keeper {shelf}",
                            roles=[UserRole(role="toy_keeper")]) for shelf in ("a", "b")]
            uow.add_all(keepers)
            uow.commit()
        keeper_a, keeper_b = (principal_of(db.session.get(User, k.id), policy) for k in keepers)
        assert keeper_a.holds("shelf") == {"a"} and keeper_b.holds("shelf") == {"b"}

        definition = engine.latest_definition("toy_shelf")
        on_a = engine.start_instance(definition, {}, scope={"shelf": "a"})
        on_b = engine.start_instance(definition, {}, scope={"shelf": "b"})
        assert engine.scope_of(on_a) == {"shelf": "a"}
        task_a, task_b = (db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == i)).scalar_one()
                          for i in (on_a, on_b))

        for view in ("groups", "mine", "unassigned"):
            shown = {row.task_guid for row in list_tasks(keeper_a, InboxQuery(view=view)).rows}
            assert task_a in shown and task_b not in shown, view
        visible = set(db.session.execute(select(ProcessInstance.id).where(
            ProcessInstance.id.in_((on_a, on_b)), instance_clause(keeper_a))).scalars())
        assert visible == {on_a}
        _task, facts_a = task_facts(task_a)
        _task, facts_b = task_facts(task_b)
        assert facts_a.scope == {"shelf": "a"}
        assert can_see_task(keeper_a, facts_a) and can_claim_task(keeper_a, facts_a)
        assert not can_see_task(keeper_a, facts_b) and not can_claim_task(keeper_a, facts_b)
        assert [u.id for u in assignable_users(facts_a, policy)] == [keepers[0].id]
        assert [u.id for u in assignable_users(facts_b, policy)] == [keepers[1].id]
        db.session.rollback()
