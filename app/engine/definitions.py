"""Deploying BPMN files as versioned process definitions, with validation that names file, element and problem.

BPMN is untrusted input: it is parsed with entities, DTDs and network access off, and every script,
condition and expression is compiled under the sandbox's policy before anything is stored.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from sqlalchemy import func, select

from app.engine.errors import DeployError
from app.engine.models import ProcessDefinition
from app.engine.registry import load_operations
from app.engine.sandbox import SandboxEnvironment, check_source
from app.engine.spiff import AsyncServiceTask, BpmnParser, dump_spec
from app.platform.extensions import db
from app.platform.uow import unit_of_work

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
MAX_BPMN_BYTES = 2 * 1024 * 1024
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                            huge_tree=False, remove_pis=True)


@dataclass
class Source:
    name: str
    content: bytes


def parse_xml(source: Source) -> etree._Element:
    if len(source.content) > MAX_BPMN_BYTES:
        raise DeployError([(source.name, None, f"file is larger than {MAX_BPMN_BYTES // 1024} KiB")])
    try:
        tree = etree.fromstring(source.content, _SAFE_XML).getroottree()
    except etree.XMLSyntaxError as err:
        raise DeployError([(source.name, None, f"XML is not well-formed: {err}")]) from err
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DeployError([(source.name, None, "DOCTYPE/DTD and entities are not allowed in BPMN files")])
    root = tree.getroot()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise DeployError([(source.name, None, "not a BPMN 2.0 file (root element must be bpmn:definitions)")])
    return root


def _validation_problem(source_name: str, err: SpiffWorkflowException) -> tuple[str, str | None, str]:
    element = getattr(err, "id", None) or getattr(getattr(err, "task_spec", None), "bpmn_id", None)
    file_name = getattr(err, "file_name", None) or source_name
    message = str(err).split("\n")[0]
    return (Path(file_name).name, element or None, message)


def _expression_problems(spec, forms_dirs: list[Path], operations: set[str]) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    env = SandboxEnvironment(time_limit=0.5)
    for task_spec in spec.task_specs.values():
        element = getattr(task_spec, "bpmn_id", None)
        if element is None:
            continue
        for attr in ("script", "prescript", "postscript"):
            source = getattr(task_spec, attr, None)
            if source and (problem := check_source(source, "exec")):
                problems.append((element, f"{attr}: {problem}"))
        for condition, _target in getattr(task_spec, "cond_task_specs", []) or []:
            if isinstance(condition, str) and (problem := check_source(condition, "eval")):
                problems.append((element, f"condition {condition!r}: {problem}"))
        props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
        for key in ("formJsonSchemaFilename", "formUiSchemaFilename"):
            name = props.get(key)
            known = name and re.fullmatch(r"[\w.-]+\.json", name) and any((d / name).is_file() for d in forms_dirs)
            if name and not known:
                problems.append((element, f"unknown form file {name!r} ({key})"))
        if props.get("dueDate") and (problem := check_source(props["dueDate"], "eval")):
            problems.append((element, f"dueDate: {problem}"))
        if isinstance(task_spec, AsyncServiceTask):
            if task_spec.operation_name not in operations:
                problems.append((element, f"unknown service operation {task_spec.operation_name!r}"))
            for name, param in task_spec.operation_params.items():
                if problem := check_source(param["value"], "eval"):
                    problems.append((element, f"parameter {name!r}: {problem}"))
        definition = getattr(task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            problem = _timer_problem(definition, env)
            if problem:
                problems.append((element, problem))
    return problems


def _timer_problem(definition: TimerEventDefinition, env: SandboxEnvironment) -> str | None:
    """A timer expression must compile; if it uses no task data it must also evaluate to a valid ISO value."""
    expression = definition.expression or ""
    if problem := check_source(expression, "eval"):
        return f"timer expression {expression!r}: {problem}"
    try:
        value = env.evaluate(expression, {})
    except NameError:
        return None  # depends on task data: checked when the timer starts
    except Exception as err:  # noqa: BLE001 - anything else is a modelling error worth reporting
        return f"timer expression {expression!r} does not evaluate: {err}"
    try:
        if isinstance(definition, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
        elif isinstance(definition, TimeDateEventDefinition):
            TimerEventDefinition.parse_time_or_duration(value)
        elif isinstance(definition, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception as err:  # noqa: BLE001
        return f"timer expression {expression!r} gives {value!r}, not a valid ISO 8601 value ({err})"
    return None


def _process_property(process_node, name: str) -> str | None:
    values = process_node.xpath(
        f"./bpmn:extensionElements/spiff:properties/spiff:property[@name='{name}']/@value",
        namespaces={"bpmn": BPMN_NS, "spiff": SPIFF_NS})
    return values[0] if values else None


def _property_list(process_node, name: str) -> list[str]:
    value = _process_property(process_node, name) or ""
    return [f.strip() for f in value.split(",") if f.strip()]


def _start_messages(spec) -> list[str]:
    return sorted({ts.event_definition.name for ts in spec.task_specs.values()
                   if isinstance(ts, StartEvent) and isinstance(ts.event_definition, MessageEventDefinition)})


def deploy(sources: Iterable[Source], library: Iterable[Source] = (), deployed_by: int | None = None
           ) -> list[ProcessDefinition]:
    """Validate `sources` and store a new version of each executable process whose content changed.

    `library` holds other BPMN files that call activities may refer to; they are parsed, not deployed.
    Nothing is stored unless every source is valid.
    """
    sources = list(sources)
    parser = BpmnParser(validator=VALIDATOR)
    problems: list[tuple[str, str | None, str]] = []
    roots: dict[str, etree._Element] = {}
    names = {s.name for s in sources}
    for source in [*sources, *[lib for lib in library if lib.name not in names]]:
        try:
            root = parse_xml(source)
            parser.add_bpmn_xml(root, source.name)
            roots[source.name] = root
        except DeployError as err:
            problems.extend(err.problems)
        except (ValidationException, SpiffWorkflowException, etree.LxmlError) as err:
            problems.append(_validation_problem(source.name, err))
    if problems:
        raise DeployError(problems)

    forms_dirs = [Path(d) for d in current_app.config["FORMS_DIRS"]]
    operations = set(load_operations())
    candidates = []
    for source in sources:
        for node in roots[source.name].iterfind(f"{{{BPMN_NS}}}process"):
            if node.get("isExecutable", "true") != "true":
                continue
            process_id = node.get("id")
            try:
                spec = parser.get_spec(process_id)
                subprocess_specs = parser.get_subprocess_specs(process_id)
            except (ValidationException, SpiffWorkflowException) as err:
                problems.append(_validation_problem(source.name, err))
                continue
            for sub in [spec, *subprocess_specs.values()]:
                problems.extend((source.name, e, p) for e, p in _expression_problems(sub, forms_dirs, operations))
            spec_json = dump_spec(spec, subprocess_specs)
            candidates.append((source, node, process_id, spec, spec_json))
    if problems:
        raise DeployError(problems)
    if not candidates:
        raise DeployError([(s.name, None, "no executable process in file") for s in sources])

    deployed = []
    with unit_of_work() as session:
        for source, node, process_id, spec, spec_json in candidates:
            content_hash = hashlib.sha256(spec_json.encode()).hexdigest()
            existing = session.execute(select(ProcessDefinition).where(
                ProcessDefinition.process_key == process_id, ProcessDefinition.content_hash == content_hash)
            ).scalar_one_or_none()
            if existing is not None:
                deployed.append(existing)
                continue
            version = (session.execute(select(func.max(ProcessDefinition.version))
                                       .where(ProcessDefinition.process_key == process_id)).scalar() or 0) + 1
            definition = ProcessDefinition(
                process_key=process_id, name=node.get("name") or process_id, version=version,
                content_hash=content_hash, source_name=source.name,
                bpmn_xml=source.content.decode("utf-8"), spec_json=spec_json,
                reportable_fields=_property_list(node, "reportableFields"), start_messages=_start_messages(spec),
                starter_roles=_property_list(node, "starterRoles"), starter_lane=_process_property(node, "starterLane"),
                deployed_by=deployed_by)
            session.add(definition)
            session.flush()
            deployed.append(definition)
        session.commit()
    return deployed


def sources_in(directory: Path) -> list[Source]:
    return [Source(p.name, p.read_bytes()) for p in sorted(Path(directory).glob("*.bpmn"))]


def _library() -> list[Source]:
    """The files of every BPMN folder (a source keeps its file name only, so moving a file between folders
    leaves its definitions' content, and so their versions, unchanged)."""
    return [source for directory in current_app.config["BPMN_DIRS"] for source in sources_in(Path(directory))]


def deploy_directory(directory: Path | None = None, deployed_by: int | None = None) -> list[ProcessDefinition]:
    """Deploy every file of the BPMN folders (BPMN_DIRS; they may call each other's processes)."""
    sources = sources_in(directory) if directory is not None else _library()
    return deploy(sources, deployed_by=deployed_by) if sources else []


def deploy_upload(name: str, content: bytes, deployed_by: int | None = None) -> list[ProcessDefinition]:
    """Deploy one uploaded file; processes in bpmn/ are available to its call activities."""
    if not re.fullmatch(r"[\w\-. ]{1,120}\.bpmn", name):
        raise DeployError([(name, None, "file name must end in .bpmn and use letters, digits, - _ . only")])
    return deploy([Source(name, content)], library=_library(), deployed_by=deployed_by)


def latest_definition(process_key: str) -> ProcessDefinition:
    from app.engine.errors import NotFound

    row = db.session.execute(select(ProcessDefinition).where(ProcessDefinition.process_key == process_key)
                             .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no process {process_key!r} is deployed")
    return row


def latest_definitions() -> list[ProcessDefinition]:
    newest = (select(ProcessDefinition.process_key, func.max(ProcessDefinition.version).label("v"))
              .group_by(ProcessDefinition.process_key).subquery())
    return list(db.session.execute(select(ProcessDefinition).join(
        newest, (ProcessDefinition.process_key == newest.c.process_key) & (ProcessDefinition.version == newest.c.v)
    )).scalars())
