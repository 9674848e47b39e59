"""Deploy: every refusal names its element, hostile constant expressions are stopped at deploy under the run-time
limits, call activities may not recurse, and files saved by Camunda Modeler run (bpmn_corpus/)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from app import engine
from app.engine import Source, evaluator
from app.engine.models import OpenTask, ProcessDefinition
from app.platform.extensions import db
from tests import bpmn_builder as b

CORPUS = Path(__file__).resolve().parent / "bpmn_corpus"
LIMIT = 0.3


def ready(app) -> None:
    """An evaluator that has started (after one was stopped, its successor may still be starting)."""
    evaluator.execute("ok = 1", {}, None, None, evaluator.limits_from(app.config))

# file in bpmn_corpus/refused -> (the element the refusal must name, words it must contain)
REFUSED = {
    "unknown_element": ("t", "bpmn:bogus': This element is not expected"),
    "flow_missing_source": ("f1", "'sourceRef' is required"),
    "duplicate_id": ("t", "'t' is not a valid value of the atomic type 'xs:ID'"),
    "invalid_attribute": ("t", "'startQuantity': 'many'"),
    "association_without_ref": ("dia", "Missing child element"),
    "flow_unknown_target": ("f1", "targetRef 'nowhere' is not an element of this file"),
    "boundary_unknown_host": ("b", "attachedToRef 'ghost'"),
    "message_undefined": ("wait", "messageRef 'nomsg'"),
    "error_undefined": ("b", "errorRef 'noerr'"),
    "signal_undefined": ("wait", "signalRef 'nosig'"),
    "escalation_undefined": ("raise", "escalationRef 'noesc'"),
    "data_store": ("store_ref", "data stores are not supported"),
    "call_activity_no_target": ("call", "without a calledElement"),
    "call_activity_unknown_target": ("call", "calls process 'no_such_process'"),
    "call_activity_self": ("call", "calls 'p' again (p → p)"),
    "script_without_script": ("s", "script task without a script"),
    "script_javascript": ("s", "script language 'javascript' is not supported"),
    "no_start_event": ("p", "No start event found"),
    "multi_instance_without_input": ("t", "must specify a cardinality"),
    "timer_without_time": ("wait", "Unknown Time Specification"),
    "subprocess_without_end": ("sub", "Must contain an End event"),
    "script_syntax": ("s", "Syntax error on line 1"),
    "script_import": ("s", 'Importing "os" is not allowed'),
    "script_in_subprocess": ("sc", 'Importing "subprocess" is not allowed'),
    "prescript_import": ("t", 'prescript \'import os\': Line 1: Importing "os"'),
    "condition_import": ("f2", "condition of the flow gw → end 'import os': Syntax error"),
    "condition_dunder": ("f2", '"__bases__" is an invalid attribute name'),
    "condition_inclusive": ("f2", "condition of the flow gw → end 'amount ==': Syntax error"),
    "condition_juel": ("f2", "Camunda (JUEL) expression: write it in Python"),
    "event_condition": ("wait", "event condition 'import os'"),
    "loop_condition": ("t", "loop condition 'import os'"),
    "cardinality_dunder": ("t", "loop cardinality '().__class__'"),
    "completion_condition": ("t", "completion condition 'import os'"),
    "due_date_import": ("u", "dueDate 'import os'"),
    "service_parameter": ("svc", "parameter 'value' 'x ='"),
    "message_payload": ("send", "payload expression '().__class__'"),
    "correlation_expression": ("wait", "correlation 'cp' '().__class__'"),
    "timer_endless": ("wait", "timer expression '1 in iter(int, 1)': It ran longer than its time limit of 0.3 s"),
    "timer_huge": ("wait", "needed more than its memory limit of 256 MiB"),
    "condition_endless": ("f2", "It ran longer than its time limit of 0.3 s"),
    "due_date_huge": ("u", "needed more than its memory limit"),
    "service_parameter_endless": ("svc", "and was stopped"),
    "cardinality_endless": ("t", "loop cardinality 'max(iter(int, 1))': It ran longer than its time limit"),
    "timer_not_iso": ("wait", "not a valid ISO 8601 value"),
    "zeebe": ("svc", "Camunda 8 (Zeebe) files cannot run here"),
    "mixed_dialects": ("u", "uses camunda: extensions in a file with spiffworkflow: extensions"),
    "camunda_service_task": ("svc", "Camunda service tasks"),
}


@pytest.fixture
def short_limit(ctx):
    ctx.config["SCRIPT_TIME_LIMIT_S"] = LIMIT
    yield ctx
    ctx.config["SCRIPT_TIME_LIMIT_S"] = 1.0


def stored(process_key: str) -> int:
    return db.session.execute(select(func.count()).select_from(ProcessDefinition)
                              .where(ProcessDefinition.process_key == process_key)).scalar()


def test_the_corpus_is_covered() -> None:
    assert {p.stem for p in (CORPUS / "refused").glob("*.bpmn")} == set(REFUSED)


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_every_refusal_names_its_element(short_limit, unique, name: str) -> None:
    element, words = REFUSED[name]
    content = (CORPUS / "refused" / f"{name}.bpmn").read_text()
    content = content.replace('id="p"', f'id="p_{unique}"').replace('calledElement="p"', f'calledElement="p_{unique}"')
    ready(short_limit)  # a started evaluator: its start-up is not the deploy's time
    started = time.monotonic()
    with pytest.raises(engine.DeployError) as caught:
        engine.deploy([Source(f"{name}.bpmn", content.encode())])
    assert time.monotonic() - started < LIMIT + 2
    problems = caught.value.problems
    assert all(problem[1] is not None for problem in problems), problems
    named = [(file_name, found.replace(f"p_{unique}", "p"), text.replace(f"p_{unique}", "p"))
             for file_name, found, text in problems]
    assert any(problem[:2] == (f"{name}.bpmn", element) and words in problem[2] for problem in named), problems
    assert stored(f"p_{unique}") == 0


def test_a_file_full_of_hostile_expressions_costs_one_time_limit(short_limit, unique) -> None:
    timers = [b.catch(f"t{i}", b.timer("timeDuration", f"{i} in iter(int, 1)")) for i in range(10)]
    xml = b.process(f"p_{unique}", b.start(), *timers, b.end(), b.chain("start", *[f"t{i}" for i in range(10)], "end"))
    ready(short_limit)  # a started evaluator: its start-up is not the deploy's time
    started = time.monotonic()
    with pytest.raises(engine.DeployError) as caught:
        engine.deploy([Source("many.bpmn", xml.encode())])
    assert time.monotonic() - started < LIMIT + 2
    assert len([p for p in caught.value.problems if "time limit" in p[2]]) == 1  # the others were not run


def test_flask_deploy_stops_an_endless_timer(short_limit, tmp_path) -> None:
    """`flask deploy` hung for ever on this timer before the evaluator processes."""
    path = tmp_path / "timer.bpmn"
    path.write_bytes((CORPUS / "refused" / "timer_endless.bpmn").read_bytes())
    ready(short_limit)  # a started evaluator: its start-up is not the deploy's time
    started = time.monotonic()
    result = short_limit.test_cli_runner().invoke(args=["deploy", str(path)])
    assert time.monotonic() - started < LIMIT + 2
    assert result.exit_code == 1
    assert "error: timer.bpmn#wait: timer expression '1 in iter(int, 1)': It ran longer" in result.output


def test_call_activities_may_not_recurse_through_other_processes(ctx, unique) -> None:
    a, c = f"a_{unique}", f"c_{unique}"

    def caller(pid: str, callee: str) -> str:
        return b.process(pid, b.start(), f'<bpmn:callActivity id="call_{callee}" calledElement="{callee}"/>', b.end(),
                         b.chain("start", f"call_{callee}", "end"))

    # a -> b -> c -> a, in three files deployed together
    files = [Source("a.bpmn", caller(a, f"b_{unique}").encode()),
             Source("b.bpmn", caller(f"b_{unique}", c).encode()), Source("c.bpmn", caller(c, a).encode())]
    with pytest.raises(engine.DeployError) as caught:
        engine.deploy(files)
    assert ("c.bpmn", f"call_{a}", f"call activity calls {a!r} again ({a} → b_{unique} → {c} → {a}): a process "
            "may not call itself, directly or through others") in caught.value.problems
    # the same cycle closed by a file that is only in the library
    with pytest.raises(engine.DeployError) as caught:
        engine.deploy(files[:1], library=files[1:])
    assert [p[:2] for p in caught.value.problems] == [("c.bpmn", f"call_{a}")]
    assert stored(a) == 0
    # without the cycle the same files deploy
    files[2] = Source("c.bpmn", b.process(c, b.start(), b.end(), b.chain("start", "end")).encode())
    assert {d.process_key for d in engine.deploy(files)} == {a, f"b_{unique}", c}


# -- Camunda Modeler files ---------------------------------------------------------------------------------------

def _bare_camunda_run(path: Path, process_id: str, data: dict) -> tuple[int, dict]:
    """The file run by bare SpiffWorkflow with its Camunda parser: user tasks completed, final data."""
    parser = CamundaParser()
    parser.add_bpmn_file(str(path))
    workflow = BpmnWorkflow(parser.get_spec(process_id))
    workflow.get_next_task(state=TaskState.READY).data.update(data)
    workflow.do_engine_steps()
    done = 0
    while (task := workflow.get_next_task(state=TaskState.READY, manual=True)) is not None:
        task.data.update({"approved": True})
        task.run()
        workflow.do_engine_steps()
        done += 1
    assert workflow.completed
    return done, workflow.data


@pytest.mark.parametrize("name", ["review_cardinality", "review_cardinality_collection", "review_collection"])
def test_a_camunda_modeler_file_runs_as_bare_spiffworkflow_runs_it(ctx, unique, name: str) -> None:
    path = CORPUS / "camunda" / f"{name}.bpmn"
    process_id = f"camunda_{name}"
    data = {"gpa": 3.5, "reviewers": ["li", "wang"]}
    expected_tasks, expected_data = _bare_camunda_run(path, process_id, data)
    content = path.read_text().replace(process_id, f"{process_id}_{unique}")
    (definition,) = engine.deploy([Source(f"{name}.bpmn", content.encode())])
    instance_id = engine.start_instance(definition, data)
    ctx.config["ENGINE_INSTANCE_CACHE"] = 0  # every step restores the workflow from its stored state and spec
    try:
        done = 0
        while (guid := db.session.execute(select(OpenTask.task_guid)
                                          .where(OpenTask.instance_id == instance_id)).scalar()) is not None:
            engine.complete_task(guid, {"approved": True}, None)
            done += 1
    finally:
        ctx.config["ENGINE_INSTANCE_CACHE"] = 64
    state = engine.get_state(instance_id)
    assert (state.status, done) == ("completed", expected_tasks)
    assert state.data == expected_data
    assert "Event_accepted" in state.completed_elements  # score = gpa * 10 >= 30: the Python condition held


def test_spiff_files_keep_the_spiff_parser(ctx, unique) -> None:
    (definition,) = engine.deploy([Source("simple.bpmn", b.simple(f"p_{unique}").encode())])
    assert '"typename": "Camunda' not in definition.spec_json and '"typename": "UserTask"' in definition.spec_json
    instance_id = engine.start_instance(definition, {"amount": 2})
    (task,) = db.session.execute(select(OpenTask).where(OpenTask.instance_id == instance_id)).scalars()
    assert task.lane == "staff" and task.due_at is not None  # lanes and the dueDate extension still work
