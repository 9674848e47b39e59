"""SpiffWorkflow building blocks: parser, the asynchronous service task, the spec-less serializer.

The engine keeps one parsed spec per definition version and stores instances without it, so an instance
row holds only its own state (about half the size, and no spec conversion on every save).
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.specs.MultiChoice import MultiChoice
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

from app.engine import evaluator
from app.engine.sandbox import LimitExceeded
from app.platform.clock import LOCAL_TZ

# Naive dates in BPMN (timeDate timers, due dates) mean the university's local time, not the server's.
_spiff_timer.LOCALTZ = LOCAL_TZ
# SpiffWorkflow logs every task state change at INFO; our history table is the record of that.
logging.getLogger("spiff").setLevel(logging.WARNING)

__all__ = ["AsyncServiceTask", "BpmnParser", "SERIALIZER_VERSION", "SandboxEnvironment", "ScriptEngine",
           "dump_state", "load_state", "dump_spec", "load_spec", "round_trips", "script_engine"]


class AsyncServiceTask(ServiceTask):
    """A service task that does not run in the engine: it stays STARTED until its job's result arrives."""

    def _execute(self, task):
        return None


class BpmnParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, AsyncServiceTask),
    }


def parser_for(dialect: str):
    """A parser for files of one dialect (see validation.dialect). The caller validates the XML first."""
    return CamundaParser() if dialect == "camunda" else BpmnParser()


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Converts a workflow without its spec; the spec is handed back in on restore."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        if spec is None:  # a full serialization (legacy or migration path)
            return super().from_dict(dct)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value):
    return UUID(value)


def _camunda_converter(converter, typename: str):
    def register(target_class, registry):
        return converter(target_class, registry, typename=typename)
    return register


# Specs of Camunda files use SpiffWorkflow's Camunda classes, whose names clash with the Spiff ones (UserTask,
# ScriptTask...): they are stored under "Camunda..." names, so one registry reads the specs of both dialects.
_CAMUNDA_ONLY = {cls: _camunda_converter(converter, "Camunda" + cls.__name__)
                 for cls, converter in CAMUNDA_CONFIG.items() if cls not in SPIFF_CONFIG}
_SPEC_CONFIG = {**SPIFF_CONFIG, **_CAMUNDA_ONLY, AsyncServiceTask: ServiceTaskConverter}
_STATE_CONFIG = {**_SPEC_CONFIG, BpmnWorkflow: SpeclessWorkflowConverter}
_state_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_STATE_CONFIG))
_spec_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_SPEC_CONFIG))


def dump_spec(spec, subprocess_specs: dict) -> str:
    registry = _spec_serializer.registry
    return json.dumps(
        {
            "spec": registry.convert(spec),
            "subprocess_specs": {k: registry.convert(v) for k, v in subprocess_specs.items()},
        },
        sort_keys=True,
    )


@lru_cache(maxsize=256)
def load_spec(spec_json: str):
    """Parsed spec objects for a stored definition; shared by every instance of that version."""
    dct = json.loads(spec_json)
    registry = _spec_serializer.registry
    spec = registry.restore(dct["spec"])
    subprocess_specs = {k: registry.restore(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


def dump_state(workflow: BpmnWorkflow) -> str:
    return _state_serializer.serialize_json(workflow)


def load_state(state: str, spec_json: str, engine: PythonScriptEngine) -> BpmnWorkflow:
    dct = json.loads(state)
    version = dct.get(_state_serializer.VERSION_KEY)
    if version != SERIALIZER_VERSION:
        # SpiffWorkflow's own migrations expect a full serialization: put the spec back and migrate.
        dct.update(json.loads(spec_json))
        _state_serializer.migrate(dct)
        workflow = _spec_serializer.from_dict(dct)
    else:
        dct.pop(_state_serializer.VERSION_KEY)
        spec, subprocess_specs = load_spec(spec_json)
        workflow = _state_serializer.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
    workflow.script_engine = engine
    return workflow


_EXACT = frozenset({str, int, float, bool, type(None), datetime, timedelta, UUID})


def round_trips(workflow: BpmnWorkflow) -> bool:
    """True when restoring this workflow from its serialization would give back exactly the same data.

    The serializer silently turns tuples into lists, non-string dict keys into strings, dict subclasses
    into dicts, and drops callables and modules; an in-memory workflow holding any of those must not be
    reused in place of the stored one.
    """
    stack: list = [workflow.correlations]
    for wf in (workflow, *workflow.subprocesses.values()):
        stack.append(wf.data)
        for task in wf.tasks.values():
            stack.append(task.data)
            stack.append(task.internal_data)
    stack.extend(getattr(event, "payload", None) for event in workflow.bpmn_events)
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind in _EXACT:
            continue
        if kind is dict:
            for key, item in value.items():
                if type(key) is not str:
                    return False
                stack.append(item)
        elif kind is list:
            stack.extend(value)
        else:
            return False
    return True


class SandboxEnvironment(TaskDataEnvironment):
    """Scripts and expressions run by the evaluator processes (app/engine/evaluator.py): sandbox policy, hard
    time and memory limits. Task data goes there and back as data; `environment_globals` must be data too."""

    def __init__(self, time_limit: float = 1.0, memory_limit_mb: int = 256, evaluators: int = 2,
                 environment_globals: dict | None = None) -> None:
        super().__init__(environment_globals)
        self.limits = evaluator.Limits(time_limit, memory_limit_mb, evaluators)

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """The value of the expression over the task data (which it cannot change)."""
        return evaluator.evaluate(expression, context, external_context, self.globals, self.limits)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        """Run the script over the task data; its top-level variables become the task data. After a failure the
        task data is exactly as before."""
        external_context = external_context or {}
        self.check_for_overwrite(context, external_context)
        data = evaluator.execute(script, context, external_context, self.globals, self.limits)
        context.clear()
        context.update(data)
        return True


class ScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine with errors that say what failed: which expression of which element, and
    why (the original error type and message, or the limit that stopped it)."""

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as err:  # noqa: BLE001 - SpiffWorkflow's contract: a WorkflowTaskException names the task
            raise WorkflowTaskException(f"{_expression_kind(task.task_spec, expression)} failed: {reason(err)}",
                                        task=task, exception=err) from err

    def create_task_exec_exception(self, task, script, err):
        if isinstance(err, SpiffWorkflowException):
            return super().create_task_exec_exception(task, script, err)
        line, error_line = self.get_error_line_number_and_content(script, err)
        where = f" on line {line}" if line else ""
        return WorkflowTaskException(f"Script of {task.task_spec.bpmn_id} failed{where}: {reason(err)}", task=task,
                                     exception=err, line_number=line, error_line=error_line)

    def get_error_line_number_and_content(self, script, err):
        line = err.lineno if isinstance(err, SyntaxError) else getattr(err, "script_line", None)
        if not line:
            return 0, ""
        lines = script.splitlines()
        return line, lines[line - 1] if 0 < line <= len(lines) else ""


def reason(err: Exception) -> str:
    """Why a script or expression failed, for an incident: the limit that stopped it, or the error type and text
    (the type the script raised, also when the evaluator process re-raised it as a builtin one). No final full
    stop: SpiffWorkflow's exceptions add one."""
    if isinstance(err, LimitExceeded):
        return str(err).rstrip(".")
    kind = getattr(err, "script_error", None) or type(err).__name__
    text = str(err).rstrip(".")
    return f"{kind}: {text}" if text else kind


def _expression_kind(spec, expression: str) -> str:
    if isinstance(spec, MultiChoice):  # exclusive and inclusive gateways
        for condition, target in getattr(spec, "cond_task_specs", None) or ():
            if condition is not None and condition.args[0] == expression:
                return f"Condition {expression!r} of the flow to {getattr(target, 'bpmn_id', None) or target}"
        return f"Condition {expression!r}"
    definition = getattr(spec, "event_definition", None)
    if isinstance(definition, _spiff_timer.TimerEventDefinition):
        return f"Timer expression {expression!r}"
    if isinstance(spec, MultiInstanceTask):
        return f"Multi-instance expression {expression!r}"
    if isinstance(spec, AsyncServiceTask):
        return f"Service parameter {expression!r}"
    return f"Expression {expression!r}"


def script_engine(limits: evaluator.Limits) -> PythonScriptEngine:
    return ScriptEngine(environment=SandboxEnvironment(limits.time_s, limits.memory_mb, limits.evaluators))
