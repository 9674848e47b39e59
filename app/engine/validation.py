"""What makes a BPMN file refused at deploy, each problem as (file, element id, text).

Every refusal names the element it is about: XML-schema errors are traced to the element they were found in,
references are checked before SpiffWorkflow parses the file (its own messages often name nothing, or the wrong
element), and every script, condition and expression a process would run is compiled under the sandbox policy;
those that read no task data are also evaluated once, under the same hard limits as at run time, so a timer or
condition that would hang or blow up is refused here. A call activity that calls its own process again, directly
or through others, is refused too (it would start subprocesses without end).
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, StandardLoopTask
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.specs.MultiChoice import MultiChoice
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from app.engine import evaluator
from app.engine.sandbox import LimitExceeded, check_source
from app.engine.spiff import AsyncServiceTask, reason

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_METADATA_HOLDERS = {f"{{{BPMN_NS}}}definitions", f"{{{BPMN_NS}}}process"}
NS = {"bpmn": BPMN_NS, "spiff": SPIFF_NS, "camunda": CAMUNDA_NS}
_SHORT = {f"{{{uri}}}": f"{prefix}:" for prefix, uri in (("bpmn", BPMN_NS), ("spiffworkflow", SPIFF_NS),
                                                         ("camunda", CAMUNDA_NS))}
_PYTHON_FORMATS = {None, "", "python", "python3", "text/python", "text/x-python", "application/x-python"}

Problem = tuple[str, "str | None", str]  # (file name, element id or None, problem)
_SCHEMA_LOCK = threading.Lock()


def _short(text: str) -> str:
    for uri, prefix in _SHORT.items():
        text = text.replace(uri, prefix)
    return text


def element_id(node: etree._Element | None) -> str | None:
    """The id of the node or of its nearest ancestor that has one (what a modeler can find and select)."""
    while node is not None:
        if isinstance(node.tag, str) and node.get("id"):
            return node.get("id")
        node = node.getparent()
    return None


def element_at_line(root: etree._Element, line: int | None) -> str | None:
    if not line:
        return None
    found = None
    for node in root.iter():
        if isinstance(node.tag, str) and node.sourceline == line:
            found = node  # the innermost element that starts on the line
    return element_id(found)


def dialect(root: etree._Element, file_name: str) -> tuple[str, list[Problem]]:
    """"spiff" or "camunda": the parser for the file's extensions (Camunda Modeler writes camunda:... attributes
    and elements; the platform's own files use spiffworkflow:...; plain BPMN goes to SpiffWorkflow's parser).
    Camunda attributes on the process itself (historyTimeToLive, versionTag) are metadata either parser ignores;
    anywhere else they change what runs, so a file that also uses spiffworkflow: extensions is refused."""
    spiff, any_camunda, camunda, zeebe = False, False, None, None
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        spaces = {etree.QName(name).namespace for name in (node.tag, *node.attrib)}
        spiff = spiff or SPIFF_NS in spaces
        any_camunda = any_camunda or CAMUNDA_NS in spaces
        if CAMUNDA_NS in spaces and camunda is None and node.tag not in _METADATA_HOLDERS:
            camunda = node
        if ZEEBE_NS in spaces and zeebe is None:
            zeebe = node
    if zeebe is not None:
        return "spiff", [(file_name, element_id(zeebe), "Camunda 8 (Zeebe) files cannot run here: save the diagram "
                                                       "for Camunda Platform 7, or with SpiffWorkflow's modeler")]
    if spiff and camunda is not None:
        return "spiff", [(file_name, element_id(camunda), "this element uses camunda: extensions in a file with "
                                                          "spiffworkflow: extensions; use one modeler per file")]
    return ("camunda" if any_camunda and not spiff else "spiff"), []


def schema_problems(root: etree._Element, file_name: str) -> list[Problem]:
    """Every XML-schema error of the file, each with the element it was found in."""
    VALIDATOR.preprocess(root)
    with _SCHEMA_LOCK:  # the schema object keeps its error log: one validation at a time
        if VALIDATOR.validator.validate(root):
            return []
        errors = list(VALIDATOR.validator.error_log)
    prefixes = {k: v for k, v in root.nsmap.items() if k}
    problems = []
    for error in errors:
        node = None
        try:
            found = root.getroottree().xpath(error.path, namespaces=prefixes) if error.path else []
            node = found[0] if found else None
        except etree.XPathError:
            pass
        element = element_id(node) if node is not None else element_at_line(root, error.line)
        problems.append((file_name, element, f"XML schema, line {error.line}: {_short(error.message)}"))
    return problems


def reference_problems(root: etree._Element, file_name: str, dialect_name: str) -> list[Problem]:
    """References SpiffWorkflow would fail on with a message that names nothing, or the wrong thing."""
    problems: list[Problem] = []

    def add(node: etree._Element, text: str) -> None:
        problems.append((file_name, element_id(node), text))

    ids = {node.get("id") for node in root.iter() if isinstance(node.tag, str) and node.get("id")}
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        for attr in ("sourceRef", "targetRef"):
            ref = flow.get(attr)
            if ref and ref not in ids:
                add(flow, f"{attr} {ref!r} is not an element of this file")
    for event in root.iterfind(".//bpmn:boundaryEvent", NS):
        if event.get("attachedToRef") not in ids:
            add(event, f"attachedToRef {event.get('attachedToRef')!r} is not an element of this file")
    for kind, attr, target in (("message", "messageRef", "message"), ("error", "errorRef", "error"),
                               ("signal", "signalRef", "signal"), ("escalation", "escalationRef", "escalation")):
        known = {n.get("id") for n in root.iterfind(f"bpmn:{target}", NS)}
        for definition in root.iterfind(f".//bpmn:{kind}EventDefinition", NS):
            ref = definition.get(attr)
            if ref is not None and ref not in known:
                add(definition, f"{attr} {ref!r}: no bpmn:{target} with that id in this file")
    for node in root.iterfind(".//bpmn:dataStore", NS):
        add(node, "data stores are not supported (keep the data in task data or in the platform's own tables)")
    for node in root.iterfind(".//bpmn:dataStoreReference", NS):
        add(node, "data stores are not supported (keep the data in task data or in the platform's own tables)")
    for task in root.iterfind(".//bpmn:scriptTask", NS):
        script = task.find("bpmn:script", NS)
        if task.get("scriptFormat", "").strip().lower() not in _PYTHON_FORMATS:
            add(task, f"script language {task.get('scriptFormat')!r} is not supported: scripts are Python")
        elif script is None or not (script.text or "").strip():
            add(task, "script task without a script")
    for call in root.iterfind(".//bpmn:callActivity", NS):
        if not call.get("calledElement"):
            add(call, "call activity without a calledElement (the process it calls)")
    if dialect_name == "camunda":
        for task in root.iterfind(".//bpmn:serviceTask", NS):
            add(task, "Camunda service tasks (Java classes, expressions, external topics) cannot run here: model "
                      "a spiffworkflow:serviceTaskOperator in a SpiffWorkflow file, or a user task")
    for expression in root.iterfind(".//bpmn:conditionExpression", NS):
        if "${" in (expression.text or "") or "#{" in (expression.text or ""):
            add(expression, f"condition {expression.text.strip()!r} is a Camunda (JUEL) expression: write it in "
                            f"Python, e.g. amount > 100")
    return problems


@dataclass
class CallGraph:
    """Which process calls which (callActivity calledElement), over every file of a deployment and the library."""

    calls: dict[str, list[tuple[str, str, str | None]]] = field(default_factory=dict)  # process -> (target, file, id)

    def add(self, root: etree._Element, file_name: str) -> None:
        for process in root.iterfind("bpmn:process", NS):
            self.calls[process.get("id")] = [(call.get("calledElement"), file_name, call.get("id"))
                                             for call in process.iterfind(".//bpmn:callActivity", NS)
                                             if call.get("calledElement")]

    def missing(self, process_id: str) -> list[Problem]:
        return [(file_name, element, f"calls process {target!r}, which is neither in this deployment nor in the "
                                     f"BPMN folders")
                for target, file_name, element in self.calls.get(process_id, []) if target not in self.calls]

    def cycles(self, start: str) -> list[Problem]:
        """The call activities that close a cycle reachable from `start`."""
        problems: list[Problem] = []
        seen: set[tuple[str | None, str | None]] = set()
        path: list[str] = []
        done: set[str] = set()

        def visit(process_id: str) -> None:
            path.append(process_id)
            for target, file_name, element in self.calls.get(process_id, []):
                if target in path:
                    chain = " → ".join(path[path.index(target):] + [target])
                    if (file_name, element) not in seen:
                        seen.add((file_name, element))
                        problems.append((file_name, element, f"call activity calls {target!r} again ({chain}): a "
                                                             f"process may not call itself, directly or through "
                                                             f"others"))
                elif target in self.calls and target not in done:
                    visit(target)
            path.pop()
            done.add(process_id)

        visit(start)
        return problems


@dataclass
class Expression:
    element: str | None
    what: str
    source: str
    mode: str  # "eval" | "exec"
    timer: TimerEventDefinition | None = None


class Trial:
    """Evaluates deploy-time expressions under the run-time limits. After one hits a limit the rest are only
    compiled, so a file full of hostile expressions costs one time limit, not one per expression."""

    def __init__(self, limits: evaluator.Limits):
        self.limits = limits
        self.stopped = False

    def problem(self, expression: Expression) -> str | None:
        label = f"{expression.what} {_clip(expression.source)!r}"
        if problem := check_source(expression.source, expression.mode):
            return f"{label}: {problem}"
        if expression.mode != "eval" or self.stopped:
            return None
        try:
            value = evaluator.evaluate(expression.source, {}, None, None, self.limits)
        except NameError:
            return None  # reads task data: it runs when the process gets there
        except LimitExceeded as err:
            self.stopped = True
            return f"{label}: {err}"
        except Exception as err:  # noqa: BLE001 - it fails without any task data, so it always fails
            return f"{label} fails: {reason(err)}"
        return _timer_value_problem(expression, label, value)


def _timer_value_problem(expression: Expression, label: str, value) -> str | None:
    definition = expression.timer
    try:
        if isinstance(definition, DurationTimerEventDefinition):
            TimerEventDefinition.parse_iso_duration(value)
        elif isinstance(definition, TimeDateEventDefinition):
            TimerEventDefinition.parse_time_or_duration(value)
        elif isinstance(definition, CycleTimerEventDefinition):
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception as err:  # noqa: BLE001
        return f"{label} gives {_clip(repr(value))}, not a valid ISO 8601 value ({err})"
    return None


def _clip(text: str, size: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[:size - 1] + "…"


def condition_flows(root: etree._Element) -> dict[tuple[str, str, str], str]:
    """(gateway id, target id, condition text) -> sequence flow id, to name the flow a condition belongs to."""
    flows = {}
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        condition = flow.find("bpmn:conditionExpression", NS)
        if condition is not None and condition.text:
            flows[(flow.get("sourceRef"), flow.get("targetRef"), condition.text.strip())] = flow.get("id")
    return flows


def expressions(spec, flows: dict[tuple[str, str, str], str]) -> Iterator[Expression]:
    """Every piece of Python a process spec runs, with the element to name when it is refused."""
    for task_spec in spec.task_specs.values():
        element = getattr(task_spec, "bpmn_id", None)
        if element is None:
            continue
        if isinstance(task_spec, ScriptTask) and task_spec.script is not None:
            yield Expression(element, "script", task_spec.script, "exec")
        for attr in ("prescript", "postscript"):
            if getattr(task_spec, attr, None):
                yield Expression(element, attr, getattr(task_spec, attr), "exec")
        if isinstance(task_spec, MultiChoice):
            for condition, target in task_spec.cond_task_specs or ():
                if condition is not None:
                    source = condition.args[0]
                    flow = flows.get((element, target, (source or "").strip()))
                    what = f"condition of the flow {element} → {target}"
                    yield Expression(flow or element, what, source or "", "eval")
        if isinstance(task_spec, MultiInstanceTask):
            if isinstance(task_spec.cardinality, str):
                yield Expression(element, "loop cardinality", task_spec.cardinality, "eval")
            if isinstance(task_spec.condition, str):
                yield Expression(element, "completion condition", task_spec.condition, "eval")
        if isinstance(task_spec, StandardLoopTask) and isinstance(task_spec.condition, str):
            yield Expression(element, "loop condition", task_spec.condition, "eval")
        if isinstance(task_spec, AsyncServiceTask):
            for name, param in task_spec.operation_params.items():
                yield Expression(element, f"parameter {name!r}", param.get("value") or "", "eval")
        props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
        if isinstance(props, dict) and props.get("dueDate"):
            yield Expression(element, "dueDate", props["dueDate"], "eval")
        yield from _event_expressions(element, getattr(task_spec, "event_definition", None))


def _event_expressions(element: str, definition) -> Iterator[Expression]:
    if definition is None:
        return
    if isinstance(definition, MultipleEventDefinition):
        for inner in definition.event_definitions:
            yield from _event_expressions(element, inner)
        return
    expression = getattr(definition, "expression", None)
    if isinstance(expression, str):
        if isinstance(definition, TimerEventDefinition):
            yield Expression(element, "timer expression", expression, "eval", timer=definition)
        elif isinstance(definition, ConditionalEventDefinition):
            yield Expression(element, "event condition", expression, "eval")
        else:
            yield Expression(element, "payload expression", expression, "eval")
    if isinstance(definition, MessageEventDefinition):
        for prop in (*(definition.correlation_properties or ()), *(getattr(definition, "process_correlations", None)
                                                                    or ())):
            if isinstance(prop.retrieval_expression, str):
                yield Expression(element, f"correlation {prop.name!r}", prop.retrieval_expression, "eval")


def form_names(spec) -> Iterator[str]:
    """The form files the user tasks of a spec name."""
    for task_spec in spec.task_specs.values():
        props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
        if isinstance(props, dict):
            for key in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                if props.get(key):
                    yield props[key]


def form_problems(spec, known: Callable[[str], bool]) -> Iterator[tuple[str, str]]:
    for task_spec in spec.task_specs.values():
        props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
        if not isinstance(props, dict):
            continue
        for key in ("formJsonSchemaFilename", "formUiSchemaFilename"):
            name = props.get(key)
            if name and not (re.fullmatch(r"[\w.-]+\.json", name) and known(name)):
                yield task_spec.bpmn_id, f"unknown form file {name!r} ({key})"


def decision_expressions(spec) -> Iterator[tuple[str, Expression]]:
    """(decision table id, expression) for every piece of Python of the decision tables a spec's business rule tasks
    call: input expressions, input entries (as the DMN engine evaluates them) and output entries, each named by
    its DMN element (rule or input column)."""
    for task_spec in spec.task_specs.values():
        table = getattr(getattr(task_spec, "dmnEngine", None), "decision_table", None)
        if table is None:
            continue
        decision = table.id  # found in its DMN file by this id
        for column in table.inputs:
            if column.expression:
                yield decision, Expression(column.id, "input expression", column.expression, "eval")
        for rule in table.rules:
            for entry in rule.inputEntries:
                for lhs in entry.lhs:
                    if lhs:
                        yield decision, Expression(rule.id, f"input entry {lhs!r}",
                                                   _dmn_match(entry.input.expression, lhs), "eval")
            for entry in rule.outputEntries:
                if entry.text:
                    yield decision, Expression(rule.id, "output entry", entry.text, "eval")


def _dmn_match(input_expression: str, lhs: str) -> str:
    """The expression SpiffWorkflow's DMN engine evaluates for an input entry (DMNEngine.evaluate)."""
    outside_quotes = r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)"
    if re.search(outside_quotes, lhs):
        return re.sub(outside_quotes, "dmninputexpr", lhs)
    try:
        compile(lhs, "<dmn>", "eval")
        return f"({input_expression}) == ({lhs})"
    except SyntaxError:
        return f"{input_expression} {lhs}"


def operation_problems(spec, operations: Iterable[str]) -> Iterator[tuple[str, str]]:
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, AsyncServiceTask) and task_spec.operation_name not in operations:
            yield task_spec.bpmn_id, f"unknown service operation {task_spec.operation_name!r}"
