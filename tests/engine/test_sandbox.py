"""The script sandbox: what BPMN scripts and expressions may and may not do (no database, no Flask app)."""
from __future__ import annotations

import copy
import json
import sys
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from app.engine.sandbox import ALLOWED_MODULES, SandboxEnvironment, SandboxViolation, ScriptTimeout, check_source

DATA = {"amount": 150, "name": "  Ada ", "items": [3, 1, 2], "student": {"id": 7, "email": None}}


@pytest.fixture
def env() -> SandboxEnvironment:
    return SandboxEnvironment(time_limit=0.5)


def run(env: SandboxEnvironment, script: str, data: dict | None = None) -> dict:
    context = copy.deepcopy(DATA if data is None else data)
    env.execute(script, context)
    return context


# --- refused -------------------------------------------------------------------------------------------------

REFUSED = [
    "__import__('os')",
    "import os",
    "from os import path",
    "import subprocess",
    "import os.path",
    "import json.decoder",
    "from . import something",
    "open('/etc/passwd')",
    "().__class__.__bases__",
    "[].__class__.__mro__",
    "getattr(1, '__class__')",
    "type(1)",
    "eval('1')",
    "exec('x=1')",
    "compile('1', 'f', 'eval')",
    "globals()",
    "vars()",
    "(lambda: 0).__code__",
    "x = (i for i in []).gi_frame",
    "'{0.__class__}'.format(1)",
    "import string\nf = string.Formatter()",
    "class Evil:\n    pass",
    # modules reachable as attributes of allowed ones
    "import json\nc = json.codecs",
    "from json import codecs",
    "import datetime\ns = datetime.sys",
    "from datetime import sys",
    "import uuid\no = uuid.os",
    # allowed-module functions that would open a hole or spawn a process
    # (copying json.dumps' __globals__ into the script's would hand it the real builtins and the codecs module)
    "import functools, json\ndef f():\n    pass\n"
    "functools.update_wrapper(f, json.dumps, assigned=(), updated=('__globals__',))\ncodecs.open('/etc/hostname')",
    "from functools import wraps",
    "import uuid\nu = uuid.uuid1()",
    "import decimal\ndecimal.DefaultContext.clear_traps()",
    # work that would hang in C code, out of reach of the time limit
    "x = 10 ** 10 ** 10",
    "n = 10\nx = 10 ** 10 ** n",
    "x = 'a' * 10 ** 10",
    "x = [0] * 10 ** 10",
    "x = pow(10, 10 ** 10)",
    "x = 1\nx <<= 10 ** 9",
    "x = sum(range(10 ** 12))",
]


@pytest.mark.parametrize("script", REFUSED)
def test_refused_scripts_raise_and_leave_the_data_unchanged(env: SandboxEnvironment, script: str) -> None:
    context, trace = copy.deepcopy(DATA), sys.gettrace()
    with pytest.raises(SandboxViolation):
        env.execute(script, context)
    assert context == DATA
    # the environment is unharmed: the trace function is restored and the next script runs normally
    assert sys.gettrace() is trace
    assert run(env, "ok = amount + 1")["ok"] == 151


@pytest.mark.parametrize("expression", [
    "__import__('os')", "().__class__", "getattr(amount, '__class__')", "type(amount)", "open('/etc/passwd')",
    "globals()", "10 ** 10 ** 10", "'a' * 10 ** 10",
])
def test_refused_expressions(env: SandboxEnvironment, expression: str) -> None:
    context = copy.deepcopy(DATA)
    with pytest.raises(SandboxViolation):
        env.evaluate(expression, context)
    assert context == DATA


def test_partial_work_of_a_failed_script_is_not_kept(env: SandboxEnvironment) -> None:
    context = copy.deepcopy(DATA)
    with pytest.raises(ZeroDivisionError):
        env.execute("amount = 0\nextra = 1\nboom = 1 / 0", context)
    assert context == DATA


def test_modules_cannot_be_modified(env: SandboxEnvironment) -> None:
    with pytest.raises(TypeError):
        run(env, "import json\njson.dumps = None")
    assert json.dumps({"a": 1}) == '{"a": 1}'


def test_system_exit_is_not_available(env: SandboxEnvironment) -> None:
    with pytest.raises(NameError):
        run(env, "raise SystemExit")


def test_ordinary_errors_propagate_unchanged(env: SandboxEnvironment) -> None:
    with pytest.raises(NameError):
        env.evaluate("missing > 1", dict(DATA))
    with pytest.raises(ZeroDivisionError):
        run(env, "x = 1 / 0")
    with pytest.raises(SyntaxError):
        run(env, "x = (")


# --- time limit ----------------------------------------------------------------------------------------------

LOOPS = [
    "while True: pass",
    "while True:\n    x = 1",
    "x = [1 for i in iter(int, 1)]",
    "import itertools\nx = sum(i for i in itertools.count())",
    "def f(n):\n    return 0 if n == 0 else f(n - 1) + f(n - 1)\nx = f(100)",
    # a script that catches the timeout still gets stopped
    "while True:\n    try:\n        while True: pass\n    except Exception:\n        pass",
    "while True:\n    try:\n        while True: pass\n    finally:\n        while True: pass",
]


@pytest.mark.parametrize("script", LOOPS)
def test_runaway_scripts_time_out(script: str) -> None:
    env = SandboxEnvironment(time_limit=0.2)
    context = copy.deepcopy(DATA)
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.execute(script, context)
    assert time.monotonic() - started < 0.4
    assert context == DATA


def test_runaway_expression_times_out() -> None:
    env = SandboxEnvironment(time_limit=0.2)
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.evaluate("[1 for i in iter(int, 1)]", {})
    assert time.monotonic() - started < 0.4


def test_time_limit_works_in_a_non_main_thread() -> None:
    env = SandboxEnvironment(time_limit=0.2)
    outcome: dict = {}

    def worker() -> None:
        started = time.monotonic()
        try:
            env.execute("while True: pass", {})
        except ScriptTimeout as err:
            outcome["error"], outcome["elapsed"] = err, time.monotonic() - started

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert isinstance(outcome["error"], ScriptTimeout)
    assert outcome["elapsed"] < 0.4


def test_a_previous_trace_function_is_restored(env: SandboxEnvironment) -> None:
    def tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        run(env, "x = [i for i in range(3)]")
        with pytest.raises(ScriptTimeout):
            SandboxEnvironment(time_limit=0.05).execute("while True: pass", {})
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


# --- allowed -------------------------------------------------------------------------------------------------

def test_whitelisted_imports(env: SandboxEnvironment) -> None:
    script = "\n".join(f"import {name}" for name in sorted(ALLOWED_MODULES)) + (
        "\nfrom datetime import timedelta, date as day"
        "\nfrom collections import Counter"
        "\nencoded = json.dumps({'a': 1})"
        "\nroot = math.sqrt(16)"
        "\ntotal = str(decimal.Decimal('1.10') + decimal.Decimal('2.20'))"
        "\nmatch = re.match(r'(\\d+)-', '2024-01').group(1)"
        "\nmean = statistics.mean([1, 2, 3])"
        "\nfirst_two = list(itertools.islice(itertools.count(), 2))"
        "\nproduct = functools.reduce(lambda a, b: a * b, [1, 2, 3, 4])"
        "\ncounts = dict(Counter('abca'))"
        "\nletters = string.ascii_lowercase[:3]"
        "\nroll = random.randint(1, 6)"
        "\nident = str(uuid.uuid4())"
        "\nlater = (day(2024, 1, 31) + timedelta(days=1)).isoformat()"
    )
    context = run(env, script)
    assert context["encoded"] == '{"a": 1}'
    assert context["root"] == 4.0
    assert context["total"] == "3.30"
    assert context["match"] == "2024"
    assert context["mean"] == 2
    assert context["first_two"] == [0, 1]
    assert context["product"] == 24
    assert context["counts"] == {"a": 2, "b": 1, "c": 1}
    assert context["letters"] == "abc"
    assert 1 <= context["roll"] <= 6
    assert len(context["ident"]) == 36
    assert context["later"] == "2024-02-01"


def test_everyday_data_code(env: SandboxEnvironment) -> None:
    script = """
squares = [i * i for i in items if i > 1]
by_id = {item: str(item) for item in items}
student['email'] = 'ada@example.edu'
tags = []
tags.append('new')
tags.extend(['x'])
count = 1
count += 2
count -= 1
count *= 10
label = 'a'
label += 'b'
clean = name.strip()
greeting = f"Hello {clean}, you owe {amount:.2f} ({len(items)} items)"
email = student.get('email')
missing = student.get('nope', 'default')
first, *rest = sorted(items)
for index, value in enumerate(items):
    last_index = index
try:
    1 / 0
except ZeroDivisionError:
    caught = True
print('printing is harmless')
def double(value):
    return value * 2
doubled = double(21)
del name
"""
    context = run(env, script)
    assert context["squares"] == [9, 4]
    assert context["by_id"] == {3: "3", 1: "1", 2: "2"}
    assert context["student"]["email"] == "ada@example.edu"
    assert context["tags"] == ["new", "x"]
    assert context["count"] == 20
    assert context["label"] == "ab"
    assert context["greeting"] == "Hello Ada, you owe 150.00 (3 items)"
    assert context["email"] == "ada@example.edu"
    assert context["missing"] == "default"
    assert (context["first"], context["rest"]) == (1, [2, 3])
    assert context["last_index"] == 2
    assert context["caught"] is True
    assert context["doubled"] == 42
    assert "name" not in context


def test_dates_and_decimals_without_imports(env: SandboxEnvironment) -> None:
    context = run(env, "today = datetime.date.today()\ndue = today + timedelta(days=14)\n"
                       "span = (due - today).days\nfee = Decimal('12.50') * 2")
    assert context["today"] == date.today()
    assert context["due"] == date.today() + timedelta(days=14)
    assert context["span"] == 14
    assert context["fee"] == Decimal("25.00")
    parsed = run(env, "parsed = datetime.datetime.strptime('2024-03-01', '%Y-%m-%d').date()")["parsed"]
    assert parsed == date(2024, 3, 1)


def test_execute_leaves_only_data_in_the_context(env: SandboxEnvironment) -> None:
    context = run(env, "import json\nfrom datetime import timedelta\ndef helper():\n    return 1\n"
                       "fn = lambda: 2\nresult = helper() + fn()\nprint('x')")
    assert context == {**DATA, "result": 3}
    json.dumps(context)  # still serializable


def test_evaluate_conditions(env: SandboxEnvironment) -> None:
    context = copy.deepcopy(DATA)
    assert env.evaluate("amount > 100", context) is True
    assert env.evaluate("amount > 100 and student['id'] == 8", context) is False
    assert env.evaluate("  \n amount >= 150 \n", context) is True  # BPMN text often has surrounding whitespace
    assert env.evaluate("any(i > 2 for i in items)", context) is True
    assert env.evaluate("'P%dD' % len(items)", context) == "P3D"
    assert env.evaluate("(total := amount * 2) > 250", context) is True
    assert env.evaluate("student.get('email') is None", context) is True
    assert env.evaluate("datetime.date.today() < datetime.date.today() + timedelta(days=1)", context) is True
    assert context == DATA


def test_globals_and_external_context(env: SandboxEnvironment) -> None:
    env = SandboxEnvironment(environment_globals={"threshold": 100})
    assert env.evaluate("amount > threshold", {"amount": 150}) is True
    assert env.evaluate("twice(amount)", {"amount": 2}, {"twice": lambda v: v * 2}) == 4
    context = {"amount": 1}
    env.execute("result = twice(amount) + threshold", context, {"twice": lambda v: v * 2})
    assert context == {"amount": 1, "result": 102}
    with pytest.raises(ValueError):  # task data may not shadow a predefined function
        env.execute("x = 1", {"threshold": 5})


def test_cached_expressions_are_cheap(env: SandboxEnvironment) -> None:
    context = {"amount": 150}
    env.evaluate("amount > 100", context)
    started = time.perf_counter()
    for _ in range(2000):
        env.evaluate("amount > 100", context)
    assert (time.perf_counter() - started) / 2000 < 100e-6


def test_check_source() -> None:
    assert check_source("total = sum(items)\nlate = total > 3", "exec") is None
    assert check_source("amount > 100", "eval") is None
    problem = check_source("x = 1\ny = (", "exec")
    assert problem is not None and "line 2" in problem.lower()
    assert "line 1" in check_source("amount >", "eval").lower()
    assert "os" in check_source("import os", "exec")
    assert "__class__" in check_source("().__class__", "eval")
    assert check_source("x = 1", "eval") is not None  # a statement is not an expression


# --- through SpiffWorkflow -----------------------------------------------------------------------------------

BPMN = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="proc" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="script"/>
    <bpmn:scriptTask id="script" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="script" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def _workflow(script: str) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(BPMN.format(script=escape(script)).encode())
    engine = PythonScriptEngine(environment=SandboxEnvironment())
    return BpmnWorkflow(parser.get_spec("proc"), script_engine=engine)


def test_script_task_updates_task_data() -> None:
    workflow = _workflow("import json\nfees = [10, 20]\ntotal = sum(fees)\nok = total < 100 and len(fees) > 1")
    workflow.do_engine_steps()
    assert workflow.is_completed()
    data = workflow.get_next_task(spec_name="script").data
    assert data == {"fees": [10, 20], "total": 30, "ok": True}


def test_script_task_refusal_is_a_workflow_task_exception() -> None:
    workflow = _workflow("x = 1\nimport os")
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert isinstance(caught.value.__context__, SandboxViolation)
    assert caught.value.error_type == "SandboxViolation"
    assert "os" in str(caught.value)


def test_script_task_runtime_refusal_reports_the_line() -> None:
    workflow = _workflow("x = 1\ny = getattr(x, '__class__')")
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert isinstance(caught.value.__context__, SandboxViolation)
    assert caught.value.line_number == 2
