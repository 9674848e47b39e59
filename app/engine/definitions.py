"""Deploying BPMN files as versioned process definitions, with validation that names file, element and problem.

BPMN is untrusted input: it is parsed with entities, DTDs and network access off, and checked by
`validation.py` (every problem names its element; scripts, conditions and expressions compiled under the
sandbox's policy, constant ones evaluated under the run-time limits) before anything is stored. Each file goes
to the parser of its dialect: SpiffWorkflow's (the platform's own extensions) or Camunda's (Camunda Modeler).
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
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import func, select

from app.engine import evaluator, validation
from app.engine.errors import DeployError
from app.engine.models import ProcessDefinition
from app.engine.registry import load_operations
from app.engine.spiff import dump_spec, parser_for
from app.engine.validation import BPMN_NS, NS, Problem
from app.platform.extensions import db
from app.platform.uow import unit_of_work

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


def _spiff_problem(file_name: str, err: SpiffWorkflowException, root: etree._Element | None) -> Problem:
    """A SpiffWorkflow parse error with the element it is about: the node it names, else its task spec, else the
    element on the line it names."""
    element = getattr(err, "id", None) or getattr(getattr(err, "task_spec", None), "bpmn_id", None)
    if not element and root is not None:
        element = validation.element_at_line(root, getattr(err, "line_number", None))
    file_name = getattr(err, "file_name", None) or file_name
    return (Path(file_name).name, element or None, str(err).split("\n")[0].rstrip(". "))


def _process_property(process_node, name: str) -> str | None:
    values = process_node.xpath(
        f"./bpmn:extensionElements/spiff:properties/spiff:property[@name='{name}']/@value", namespaces=NS)
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
    names = {s.name for s in sources}
    files = [*sources, *[lib for lib in library if lib.name not in names]]
    roots, dialects, problems = _read(files)
    if problems:
        raise DeployError(problems)

    calls = validation.CallGraph()
    parsers: dict = {}
    for source in files:
        root = roots[source.name]
        calls.add(root, source.name)
        dialect = dialects[source.name]
        parser = parsers.get(dialect) or parsers.setdefault(dialect, parser_for(dialect))
        try:
            parser.add_bpmn_xml(root, source.name)
        except (ValidationException, SpiffWorkflowException, etree.LxmlError) as err:
            problems.append(_spiff_problem(source.name, err, root))
    executable = [(source, node) for source in sources for node in roots[source.name].iterfind("bpmn:process", NS)
                  if node.get("isExecutable", "true") == "true"]
    for _source, node in executable:
        problems.extend([*calls.missing(node.get("id")), *calls.cycles(node.get("id"))])
    if problems:
        raise DeployError(sorted(set(problems), key=problems.index))

    forms_dirs = [Path(d) for d in current_app.config["FORMS_DIRS"]]
    operations = set(load_operations())
    trial = validation.Trial(evaluator.limits_from(current_app.config))
    candidates = []
    for source, node in executable:
        process_id = node.get("id")
        parser = parsers[dialects[source.name]]
        try:
            spec = parser.get_spec(process_id)
            subprocess_specs = parser.get_subprocess_specs(process_id)
        except (ValidationException, SpiffWorkflowException) as err:
            problems.append(_spiff_problem(source.name, err, roots[source.name]))
            continue
        for sub in [spec, *subprocess_specs.values()]:
            file_name = sub.file if sub.file in roots else source.name
            problems.extend(_spec_problems(sub, file_name, roots[file_name], trial, forms_dirs, operations))
        candidates.append((source, node, process_id, spec, dump_spec(spec, subprocess_specs)))
    if problems:
        raise DeployError(sorted(set(problems), key=problems.index))
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


def _read(files: list[Source]) -> tuple[dict[str, etree._Element], dict[str, str], list[Problem]]:
    """Parse each file safely and check what can be checked on its XML: schema, references, its dialect."""
    roots, dialects, problems = {}, {}, []
    for source in files:
        try:
            root = parse_xml(source)
        except DeployError as err:
            problems.extend(err.problems)
            continue
        dialects[source.name], dialect_problems = validation.dialect(root, source.name)
        problems.extend(dialect_problems)
        problems.extend(validation.schema_problems(root, source.name))
        problems.extend(validation.reference_problems(root, source.name, dialects[source.name]))
        roots[source.name] = root
    return roots, dialects, problems


def _spec_problems(spec, file_name: str, root: etree._Element, trial: validation.Trial, forms_dirs: list[Path],
                   operations: set[str]) -> list[Problem]:
    problems = [(file_name, element, problem) for element, problem in (
        *validation.form_problems(spec, forms_dirs), *validation.operation_problems(spec, operations))]
    for expression in validation.expressions(spec, validation.condition_flows(root)):
        if problem := trial.problem(expression):
            problems.append((file_name, expression.element, problem))
    return problems


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
