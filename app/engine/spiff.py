"""SpiffWorkflow building blocks: parser, the asynchronous service task, the spec-less serializer.

The engine keeps one parsed spec per definition version and stores instances without it, so an instance
row holds only its own state (about half the size, and no spec conversion on every save).
"""
from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta
from functools import lru_cache
from uuid import UUID
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SERIALIZER_VERSION
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

from app.engine.sandbox import SandboxEnvironment

# Naive dates in BPMN (timeDate timers, due dates) mean the university's local time, not the server's.
PROCESS_TIMEZONE = ZoneInfo(os.environ.get("PROCESS_TIMEZONE", "Asia/Shanghai"))
_spiff_timer.LOCALTZ = PROCESS_TIMEZONE
# SpiffWorkflow logs every task state change at INFO; our history table is the record of that.
logging.getLogger("spiff").setLevel(logging.WARNING)

__all__ = ["AsyncServiceTask", "BpmnParser", "SERIALIZER_VERSION", "dump_state", "load_state",
           "dump_spec", "load_spec", "round_trips", "script_engine"]


class AsyncServiceTask(ServiceTask):
    """A service task that does not run in the engine: it stays STARTED until its job's result arrives."""

    def _execute(self, task):
        return None


class BpmnParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (ServiceTaskParser, AsyncServiceTask),
    }


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


_STATE_CONFIG = {**SPIFF_CONFIG, AsyncServiceTask: ServiceTaskConverter, BpmnWorkflow: SpeclessWorkflowConverter}
_SPEC_CONFIG = {**SPIFF_CONFIG, AsyncServiceTask: ServiceTaskConverter}
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


def script_engine(time_limit: float) -> PythonScriptEngine:
    return PythonScriptEngine(environment=SandboxEnvironment(time_limit=time_limit))
