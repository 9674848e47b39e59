"""Process code that cannot hurt the platform (issue 8, points 11-13), on SQLite and PostgreSQL.

A corpus of hostile scripts and expressions (work inside one C call, endless iterators, huge formatting, memory
bombs, deep recursion, huge integers, dunder escapes), each placed as a script task, a gateway condition, a timer expression and a due date. They
read task data, so deploy cannot know what they do (the constant forms are refused at deploy: see
test_engine_deploy.py); at run time each is stopped within 2 s of its limit, in an evaluator process whose memory
is capped, the step is rolled back, the instance shows an incident that says why, and other instances keep running
meanwhile.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from app import engine
from app.engine import Source, evaluator
from app.engine.models import Incident, OpenTask, ProcessInstance
from app.platform.extensions import db
from tests import bpmn_builder as b

LIMIT = 0.3
DATA = {"one": 1, "big": 10 ** 9, "word": "a" * 40 + "b", "n": 2 * 10 ** 6}

# (what, script): run as a script task only (imports are for scripts)
SCRIPTS = [
    ("huge int", "x = pow(7, n)"),  # refused by the policy before it runs
    ("dunder escape", "x = getattr(word, '__class__')"),  # refused by the policy when it runs
    ("backtracking regex", "import re\nx = re.match('(a+)+$', word) is None"),
    ("huge factorial", "import math\nx = math.factorial(n)"),
    ("decimal precision", "import decimal\nx = decimal.Context(prec=big).divide(1, 7)"),
    ("endless count", "import itertools\nx = one in itertools.count(2)"),
    ("deep recursion", "def f(k):\n    return f(k + 1)\nx = f(0)"),
    ("string doubling", "x = 'x'\nfor i in range(64):\n    x = x + x"),
    ("shared references", "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000"),
]
# (what, expression): as a script (x = ...), a gateway condition, a timer expression and a due date
EXPRESSIONS = [
    ("endless membership", "1 in iter(int, one)"),
    ("list of an endless iterator", "list(iter(int, one))"),
    ("endless sum", "sum(iter(int, one))"),
    ("format width", "f'{1:>{big}}'"),
    ("ljust", "'x'.ljust(3 * big)"),
    ("nested lists", "[[0] * 10 ** 6 for i in iter(int, one)]"),
]
PLACEMENTS = ["script", "condition", "timer", "due date"]


def ready(app) -> None:
    """An evaluator that has started (after one was stopped, its successor may still be starting)."""
    evaluator.execute("ok = 1", {}, None, None, evaluator.limits_from(app.config))
CASES = ([("script", what, code) for what, code in SCRIPTS]
         + [(placement, what, code) for what, code in EXPRESSIONS for placement in PLACEMENTS])


def hostile_process(pid: str, placement: str, code: str) -> str:
    """start -> u (a person) -> hostile -> end: the hostile part runs when u is completed."""
    if placement == "script":
        script = code if "\n" in code or code.startswith(("import", "x =")) else f"x = {code}"
        parts = [b.script("hostile", script), b.end(), b.chain("start", "u", "hostile", "end")]
    elif placement == "condition":
        parts = [b.xor("hostile", default="f_no"), b.end("end_yes"), b.end("end_no"), b.chain("start", "u", "hostile"),
                 b.flow("f_yes", "hostile", "end_yes", code), b.flow("f_no", "hostile", "end_no")]
    elif placement == "timer":
        parts = [b.catch("hostile", b.timer("timeDuration", code)), b.end(), b.chain("start", "u", "hostile", "end")]
    else:
        parts = [b.user("hostile", due=code), b.end(), b.chain("start", "u", "hostile", "end")]
    return b.process(pid, b.start(), b.user("u"), *parts)


@pytest.fixture
def limited(ctx):
    ctx.config["SCRIPT_TIME_LIMIT_S"] = LIMIT
    yield ctx
    ctx.config["SCRIPT_TIME_LIMIT_S"] = 1.0


def open_guids(instance_id: int) -> list[str]:
    return list(db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id)).scalars())


@pytest.mark.parametrize("placement, what, code", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_hostile_process_code_is_stopped_and_becomes_an_incident(limited, unique, placement, what, code) -> None:
    (definition,) = engine.deploy([Source("hostile.bpmn", hostile_process(f"p_{unique}", placement, code).encode())])
    instance_id = engine.start_instance(definition, DATA)
    row = db.session.get(ProcessInstance, instance_id)
    version, state = row.version, row.state
    (guid,) = open_guids(instance_id)
    ready(limited)  # a started evaluator: its start-up is not the script's time
    started = time.monotonic()
    with pytest.raises(engine.ProcessError) as caught:
        engine.complete_task(guid, {}, None)
    assert time.monotonic() - started < LIMIT + 2
    assert caught.value.spec_id == "hostile"
    reason = {"deep recursion": "RecursionError", "huge int": "would be too large",
              "dunder escape": "'__class__' is not allowed"}.get(what, "limit")
    assert reason in str(caught.value)
    db.session.expire_all()
    row = db.session.get(ProcessInstance, instance_id)
    assert (row.version, row.state, row.status) == (version, state, "running")  # the step was rolled back
    assert open_guids(instance_id) == [guid]
    incident = db.session.execute(select(Incident).where(Incident.instance_id == instance_id)).scalar_one()
    assert incident.spec_id == "hostile" and reason in incident.message
    if placement == "condition":
        assert incident.message.startswith(f"hostile: Condition {code!r} of the flow to end_yes failed: It ")


def test_other_instances_keep_running_while_process_code_is_stopped(app, limited, unique) -> None:
    """While one step spends its whole time limit in an evaluator, other instances start and complete: no
    database write lock is held while process code runs, and the evaluator pool has room for them."""
    spin = 8.0  # long enough that a loaded machine still finishes the others inside it
    limited.config["SCRIPT_TIME_LIMIT_S"] = spin
    limited.config["ENGINE_INSTANCE_CACHE"] = 0  # the hostile step reads its instance from the database first
    (hostile,) = engine.deploy([Source("hostile.bpmn", hostile_process(
        f"h_{unique}", "script", "x = 1 in iter(int, one)").encode())])
    (simple,) = engine.deploy([Source("simple.bpmn", b.simple(f"s_{unique}").encode())])
    instance_id = engine.start_instance(hostile, DATA)
    (guid,) = open_guids(instance_id)
    db.session.commit()
    errors: list[Exception] = []

    def run_hostile() -> None:
        with app.app_context():
            try:
                engine.complete_task(guid, {}, None)
            except engine.ProcessError as err:
                errors.append(err)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run_hostile)
    ready(limited)  # a started evaluator: its start-up is not the script's time
    thread.start()
    time.sleep(0.3)  # the hostile step is in its evaluator by now, and stays there until started + spin
    finished = []
    try:
        for _ in range(5):
            other = engine.start_instance(simple, {"amount": 1})
            (task,) = open_guids(other)
            engine.complete_task(task, {"approved": True}, None)
            finished.append(thread.is_alive())  # the hostile step still held its evaluator
    finally:
        thread.join(timeout=30)
        limited.config["ENGINE_INSTANCE_CACHE"] = 64
    assert len(errors) == 1 and "time limit" in str(errors[0])
    assert finished.count(True) >= 3, finished
