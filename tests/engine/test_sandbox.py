"""The script sandbox: what BPMN scripts and expressions may and may not do, the hard limits of the evaluator
processes they run in, and what crosses into and out of them (no database, no Flask app)."""
from __future__ import annotations

import copy
import datetime
import json
import resource
import sys
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from app.engine import evaluator, sandbox
from app.engine.sandbox import (
    ALLOWED_MODULES, SandboxViolation, ScriptMemoryError, ScriptTimeout, check_source, trivial_names,
)
from app.engine.spiff import SandboxEnvironment, ScriptEngine
from tests import bpmn_builder as b

DATA = {"amount": 150, "name": "  Ada ", "items": [3, 1, 2], "student": {"id": 7, "email": None}}


def ready() -> None:
    """An evaluator that has started (after one was stopped, its successor may still be starting)."""
    SandboxEnvironment().execute("ok = 1", {})


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
    # state every later script in the same evaluator process would share
    "import random\nrandom.seed(1)",
    "from random import setstate",
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
    for script in ("import json\njson.dumps = None", "import datetime\ndatetime.date.today = None",
                   "import re\nre.IGNORECASE.value = 0"):
        with pytest.raises((TypeError, AttributeError)):
            run(env, script)
    # the evaluator process that ran them still has the real ones
    assert run(env, "import json\nok = json.dumps({'a': 1})")["ok"] == '{"a": 1}'


def test_decimal_context_changes_do_not_outlive_the_script(env: SandboxEnvironment) -> None:
    run(env, "import decimal\ndecimal.setcontext(decimal.Context(prec=3))\nx = str(decimal.Decimal(1) / 3)")
    assert run(env, "import decimal\nx = str(decimal.Decimal(1) / 3)")["x"] == "0.3333333333333333333333333333"


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
    ready()  # a started evaluator: its start-up is not the script's time
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.execute(script, context)
    assert time.monotonic() - started < 0.2 + 2
    assert context == DATA


def test_runaway_expression_times_out() -> None:
    env = SandboxEnvironment(time_limit=0.2)
    ready()  # a started evaluator: its start-up is not the script's time
    started = time.monotonic()
    with pytest.raises(ScriptTimeout):
        env.evaluate("[1 for i in iter(int, 1)]", {})
    assert time.monotonic() - started < 0.2 + 2


def test_time_limit_works_in_a_non_main_thread() -> None:
    env = SandboxEnvironment(time_limit=0.2)
    outcome: dict = {}

    def worker() -> None:
        ready()  # a started evaluator: its start-up is not the script's time
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
    assert outcome["elapsed"] < 0.2 + 2


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
    env = SandboxEnvironment(environment_globals={"threshold": 100, "rates": {"a": 2}})
    assert env.evaluate("amount > threshold", {"amount": 150}) is True
    assert env.evaluate("amount * factor", {"amount": 2}, {"factor": 3}) == 6  # data objects come in this way
    context = {"amount": 1}
    env.execute("result = amount * factor + threshold + rates['a']", context, {"factor": 3})
    assert context == {"amount": 1, "result": 105}  # neither the globals nor the data objects become task data
    with pytest.raises(ValueError):  # task data may not shadow a global
        env.execute("x = 1", {"threshold": 5})
    # code cannot cross into an evaluator process: only data does
    with pytest.raises(TypeError, match="function"):
        env.evaluate("twice(amount)", {"amount": 2}, {"twice": lambda v: v * 2})


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
    return BpmnWorkflow(parser.get_spec("proc"), script_engine=ScriptEngine(environment=SandboxEnvironment()))


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


def _gateway_workflow(condition: str, data: dict) -> BpmnWorkflow:
    xml = b.process("proc", b.start(), b.xor("gw", default="f_no"), b.end("end_yes"), b.end("end_no"),
                    b.chain("start", "gw"), b.flow("f_yes", "gw", "end_yes", condition), b.flow("f_no", "gw", "end_no"))
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml.encode())
    engine = ScriptEngine(environment=SandboxEnvironment(time_limit=LIMIT))
    workflow = BpmnWorkflow(parser.get_spec("proc"), script_engine=engine)
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    return workflow


def test_a_failing_condition_says_what_failed() -> None:
    workflow = _gateway_workflow("amount > ceiling", {"amount": 5})
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    message = str(caught.value)
    assert "Condition 'amount > ceiling' of the flow to end_yes failed" in message
    assert "NameError: name 'ceiling' is not defined" in message
    assert caught.value.task_spec.bpmn_id == "gw"


# --- hard limits: work inside a single C call, memory ---------------------------------------------------------

LIMIT = 0.3
STOPPED = (ScriptTimeout, ScriptMemoryError)
# (what, script, how it must be stopped): nothing here can be interrupted by a check between Python steps
C_LEVEL_SCRIPTS = [
    ("backtracking regex", "import re\nm = re.match('(a+)+$', 'a' * 40 + 'b') is None", ScriptTimeout),
    ("huge factorial", "import math\nx = math.factorial(2 * 10 ** 6)", ScriptTimeout),
    ("decimal precision", "import decimal\nx = decimal.Context(prec=10 ** 9).divide(1, 7)", STOPPED),
    ("endless count", "import itertools\nx = 1 in itertools.count(2)", ScriptTimeout),
    ("endless iterator", "x = 1 in iter(int, 1)", ScriptTimeout),
    ("list of an endless iterator", "x = list(iter(int, 1))", STOPPED),
    ("sorted endless iterator", "x = sorted(iter(int, 1))", STOPPED),
    ("format width", "x = f'{1:>{10 ** 9}}'", ScriptMemoryError),
    ("ljust", "x = 'x'.ljust(3 * 10 ** 9)", ScriptMemoryError),
    ("join", "x = ' '.join(['x' * 10 ** 6] * 10 ** 3)", ScriptMemoryError),
    ("doubling", "x = 'x'\nfor i in range(64):\n    x = x + x", STOPPED),
    ("nested lists", "x = [[0] * 10 ** 6 for i in range(10 ** 6)]", STOPPED),
    ("shared references", "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000", STOPPED),  # 10**9 items when stored
]


@pytest.mark.parametrize("what, script, stopped_by", C_LEVEL_SCRIPTS, ids=[c[0] for c in C_LEVEL_SCRIPTS])
def test_c_level_work_is_stopped_by_the_hard_limits(what: str, script: str, stopped_by) -> None:
    env = SandboxEnvironment(time_limit=LIMIT)
    context = copy.deepcopy(DATA)
    ready()  # a started evaluator: its start-up is not the script's time
    started = time.monotonic()
    with pytest.raises(stopped_by) as caught:
        env.execute(script, context)
    assert time.monotonic() - started < LIMIT + 2
    assert "limit" in str(caught.value)
    assert context == DATA
    assert run(env, "ok = amount + 1")["ok"] == 151  # a fresh evaluator took over


@pytest.mark.parametrize("expression", ["1 in iter(int, 1)", "list(iter(int, 1))", "f'{1:>{10 ** 9}}'",
                                        "'x'.ljust(3 * 10 ** 9)", "sum(iter(int, 1))", "max(iter(int, 1))"])
def test_c_level_expressions_are_stopped_by_the_hard_limits(expression: str) -> None:
    env = SandboxEnvironment(time_limit=LIMIT)
    ready()  # a started evaluator: its start-up is not the script's time
    started = time.monotonic()
    with pytest.raises(STOPPED):
        env.evaluate(expression, copy.deepcopy(DATA))
    assert time.monotonic() - started < LIMIT + 2


def test_memory_bombs_do_not_grow_this_process() -> None:
    env = SandboxEnvironment(time_limit=LIMIT, memory_limit_mb=128)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB, the peak so far
    for script in ("x = 'x'.ljust(3 * 10 ** 9)", "x = list(iter(int, 1))", "x = [[0] * 10 ** 6 for i in range(99)]"):
        with pytest.raises(STOPPED) as caught:
            env.execute(script, {})
        if isinstance(caught.value, ScriptMemoryError):
            assert "128 MiB" in str(caught.value)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024


def test_a_hostile_condition_is_stopped_and_named() -> None:
    workflow = _gateway_workflow("1 in iter(int, one)", {"one": 1})
    ready()  # a started evaluator: its start-up is not the script's time
    started = time.monotonic()
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert time.monotonic() - started < LIMIT + 2
    assert isinstance(caught.value.__cause__, ScriptTimeout)
    assert str(caught.value).startswith(
        "Condition '1 in iter(int, one)' of the flow to end_yes failed: It ran longer than its time limit of 0.3 s")


# --- what crosses into and out of an evaluator ----------------------------------------------------------------

def test_task_data_types_come_back_as_they_were(env: SandboxEnvironment) -> None:
    context = run(env, """
import datetime, decimal, uuid
day = datetime.date(2024, 3, 1)
moment = datetime.datetime(2024, 3, 1, 8, 30, tzinfo=datetime.timezone(timedelta(hours=8)))
span = timedelta(days=2, seconds=5)
clock = datetime.time(9, 15)
price = decimal.Decimal('12.50')
ident = uuid.UUID('12345678-1234-5678-1234-567812345678')
pair = (1, 'a')
tags = {'x', 'y'}
frozen = frozenset([1])
raw = b'\\x00\\xff'
z = complex(1, 2)
by_number = {1: 'one', (2, 3): [None, True, 1.5]}
""", {"given": datetime.datetime(2024, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))})
    assert context["day"] == date(2024, 3, 1) and type(context["day"]) is date
    assert context["moment"].utcoffset() == timedelta(hours=8)
    assert context["span"] == timedelta(days=2, seconds=5)
    assert context["clock"].isoformat() == "09:15:00"
    assert context["price"] == Decimal("12.50") and str(context["price"]) == "12.50"
    assert str(context["ident"]) == "12345678-1234-5678-1234-567812345678"
    assert context["pair"] == (1, "a") and type(context["pair"]) is tuple
    assert context["tags"] == {"x", "y"} and context["frozen"] == frozenset([1])
    assert context["raw"] == b"\x00\xff" and context["z"] == complex(1, 2)
    assert context["by_number"] == {1: "one", (2, 3): [None, True, 1.5]}
    assert context["given"].tzinfo == ZoneInfo("Asia/Shanghai")


def test_subclasses_come_back_as_their_plain_type(env: SandboxEnvironment) -> None:
    context = run(env, "from collections import Counter, OrderedDict, namedtuple, defaultdict\n"
                       "counts = Counter('abca')\nordered = OrderedDict(a=1)\nd = defaultdict(list)\nd['k'].append(1)\n"
                       "point = namedtuple('Point', 'x y')(1, 2)", {})
    assert context == {"counts": {"a": 2, "b": 1, "c": 1}, "ordered": {"a": 1}, "d": {"k": [1]}, "point": (1, 2)}
    assert [type(context[k]) for k in ("counts", "ordered", "d", "point")] == [dict, dict, dict, tuple]


@pytest.mark.parametrize("script, variable, kind", [
    ("g = (i for i in range(3))", "g", "generator"),
    ("import re\nm = re.match('a', 'a')", "m", "re.Match"),
    ("fns = [len]", "fns", "builtin_function_or_method"),
    ("import collections\nkinds = {'c': collections.Counter}", "kinds", "type"),
    ("import itertools\nc = itertools.count()", "c", "itertools.count"),
])
def test_values_task_data_cannot_hold_are_refused_by_name(env: SandboxEnvironment, script: str, variable: str,
                                                          kind: str) -> None:
    context = copy.deepcopy(DATA)
    with pytest.raises(TypeError) as caught:
        env.execute(script, context)
    assert str(caught.value) == f"Variable {variable!r} is or contains a {kind} object, which task data cannot hold."
    assert context == DATA


def test_data_that_refers_to_itself_is_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(TypeError, match="refers to itself"):
        env.execute("d = {}\nd['self'] = d", {})
    assert run(env, "a = [1]\nb = [a, a]", {})["b"] == [[1], [1]]  # shared, not cyclic: fine


def test_an_expression_value_task_data_cannot_hold_is_refused(env: SandboxEnvironment) -> None:
    with pytest.raises(TypeError, match="expression's value is or contains a map object"):
        env.evaluate("map(str, items)", copy.deepcopy(DATA))


def test_errors_keep_their_type_message_and_line(env: SandboxEnvironment) -> None:
    with pytest.raises(KeyError) as caught:
        env.execute("x = 1\ny = student['missing']", copy.deepcopy(DATA))
    assert caught.value.args == ("missing",) and caught.value.script_line == 2
    with pytest.raises(ValueError) as caught:  # json.JSONDecodeError comes back as its builtin base class
        env.execute("import json\n\nx = json.loads('{')", {})
    assert caught.value.script_error == "JSONDecodeError" and caught.value.script_line == 3
    assert "Expecting property name" in str(caught.value)


# --- provably harmless expressions are evaluated here ---------------------------------------------------------

TRIVIAL = ["approved == True", "amount > 100", "amount > 100 and not urgent", "name != 'Ada'", "1 < amount <= 200",
           "approved is None", "'P3D'", "amount", "not amount or urgent", "amount > 'x'", "items == 3", "len == 1",
           "missing == 1", "ratio >= 0.5", "None", "urgent or name"]
NOT_TRIVIAL = ["amount * 2 > 100", "len(items) > 0", "student['id'] == 7", "name.strip() == 'Ada'", "-amount < 0",
               "'a' in name", "[1] == items", "(lambda: 1)() == 1", "amount if urgent else 0"]
CONTEXTS = [{"approved": True, "amount": 150, "urgent": False, "name": "Ada", "items": [1], "ratio": 0.5},
            {"approved": None, "amount": 0, "urgent": True, "name": "", "items": 3, "ratio": 1}]


def _outcome(fn):
    try:
        value = fn()
        return ("value", type(value), value)
    except Exception as err:  # noqa: BLE001 - comparing what each path raises
        return ("error", type(err), str(err))


def test_which_expressions_are_evaluated_in_process() -> None:
    assert all(trivial_names(e) is not None for e in TRIVIAL)
    assert all(trivial_names(e) is None for e in NOT_TRIVIAL)
    assert trivial_names("amount > 100 and not urgent") == {"amount", "urgent"}


@pytest.mark.parametrize("expression", TRIVIAL + NOT_TRIVIAL)
def test_in_process_and_evaluator_results_are_the_same(expression: str) -> None:
    limits = evaluator.Limits(time_s=2)
    for context in CONTEXTS:
        here = _outcome(lambda: evaluator.evaluate(expression, context, None, None, limits))
        there = _outcome(lambda: evaluator._pool(limits).run(("eval", expression, context, None, None), limits))
        assert here == there, (expression, context)


def test_trivial_expressions_need_no_evaluator_process() -> None:
    limits = evaluator.Limits(memory_mb=199)  # a pool of its own, created on first use
    assert evaluator.evaluate("approved == True and amount > 100", {"approved": True, "amount": 101}, None, None,
                              limits) is True
    assert evaluator.evaluate("'PT1H'", {}, None, None, limits) == "PT1H"
    assert 199 not in evaluator._pools
    # a name holding something other than a scalar goes to an evaluator
    assert evaluator.evaluate("items == 3", {"items": [1]}, None, None, limits) is False
    assert 199 in evaluator._pools


def test_only_the_variables_a_script_names_cross_and_the_rest_stay_in_place(env: SandboxEnvironment) -> None:
    untouched = {"id": 7, "history": list(range(100))}
    context = {"first": 1, "amount": 5, "untouched": untouched, "gone": 0, "last": "z"}
    assert sandbox.names_read("total = amount * 2\ndel gone\nf = lambda: [last for _ in items]", "exec") >= {
        "total", "amount", "gone", "last", "items"}
    env.execute("total = amount * 2\ndel gone\nlast = last * 2", context)
    assert list(context) == ["first", "amount", "untouched", "last", "total"]  # order kept, deleted key gone
    assert context["untouched"] is untouched  # never left this process
    assert (context["total"], context["last"]) == (10, "zz")
