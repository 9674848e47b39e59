"""Deploying BPMN files as versioned process definitions, with validation that names file, element and problem.

BPMN is untrusted input: it is parsed with entities, DTDs and network access off, and checked by
`validation.py` (every problem names its element; scripts, conditions and expressions compiled under the
sandbox's policy, constant ones evaluated under the run-time limits) before anything is stored. Each file goes
to the parser of its dialect: SpiffWorkflow's (the platform's own extensions) or Camunda's (Camunda Modeler).
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
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
from app.engine.models import ProcessDefinition, ProcessDefinitionFile
from app.engine.registry import load_operations
from app.engine.spiff import dump_spec, parser_for
from app.engine.validation import BPMN_NS, NS, Problem
from app.platform.extensions import db
from app.platform.process_summary import PROPERTY as SUMMARY_PROPERTY, parse_summary_fields
from app.platform.uow import unit_of_work

MAX_BPMN_BYTES = 2 * 1024 * 1024
DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/", "http://www.omg.org/spec/DMN/20180521/MODEL/")
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


def parse_dmn(source: Source) -> etree._Element:
    """A DMN file, parsed as safely as BPMN (no entities, no DTD, no network)."""
    try:
        tree = etree.fromstring(source.content, _SAFE_XML).getroottree()
    except etree.XMLSyntaxError as err:
        raise DeployError([(source.name, None, f"XML is not well-formed: {err}")]) from err
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DeployError([(source.name, None, "DOCTYPE/DTD and entities are not allowed in DMN files")])
    root = tree.getroot()
    if root.tag not in {f"{{{ns}}}definitions" for ns in DMN_NAMESPACES}:
        raise DeployError([(source.name, None, "not a DMN 1.2/1.3 file (root element must be dmn:definitions)")])
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


@dataclass
class _Candidate:
    source: Source
    node: etree._Element
    process_id: str
    spec: object
    spec_json: str
    files: dict[str, str]


def deploy(sources: Iterable[Source], library: Iterable[Source] = (), deployed_by: int | None = None,
           files: Mapping[str, bytes] | None = None, test: bool = False) -> list[ProcessDefinition]:
    """Validate `sources` and store a new version of each executable process whose content changed.

    `library` holds other BPMN files that call activities may refer to; they are parsed, not deployed.
    `files` are the bundle's own forms (name.json / name.ui.json) and DMN files (name.dmn); a form a user task
    names that is not among them comes from the forms folders. The forms each process uses and the DMN files
    are stored with its version. `test`: a version for a test run (see ProcessDefinition.is_test).
    Nothing is stored unless every source is valid.
    """
    return _store(_prepare(list(sources), library, files or {}), deployed_by, test)


def check(sources: Iterable[Source], library: Iterable[Source] = (), files: Mapping[str, bytes] | None = None
          ) -> list[Problem]:
    """The problems `deploy` would refuse these sources for (file, element, problem); stores nothing."""
    try:
        _prepare(list(sources), library, files or {})
    except DeployError as err:
        return list(err.problems)
    return []


def _prepare(sources: list[Source], library: Iterable[Source], files: Mapping[str, bytes]) -> list[_Candidate]:
    names = {s.name for s in sources}
    bpmn_files = [*sources, *[lib for lib in library if lib.name not in names]]
    roots, dialects, problems = _read(bpmn_files)
    # A library file defining a process of this deployment under another file name holds the version being
    # replaced: leave it out, so the new version follows the process id, not the file name.
    own = {pid for name in names if name in roots for pid in _process_ids(roots[name])}
    replaced = {f.name for f in bpmn_files if f.name not in names and f.name in roots
                and own & _process_ids(roots[f.name])}
    if replaced:
        bpmn_files = [f for f in bpmn_files if f.name not in replaced]
        problems = [p for p in problems if p[0] not in replaced]
    texts, dmn_roots = _bundle_files(files, problems)
    if problems:
        raise DeployError(problems)

    calls = validation.CallGraph()
    parsers: dict = {}
    for source in bpmn_files:
        root = roots[source.name]
        calls.add(root, source.name)
        dialect = dialects[source.name]
        if dialect not in parsers:
            parsers[dialect] = parser_for(dialect)
            for name, dmn_root in dmn_roots.items():  # every parser knows the bundle's decisions
                try:
                    parsers[dialect].add_dmn_xml(dmn_root, name)
                except (ValidationException, SpiffWorkflowException, etree.LxmlError) as err:
                    problems.append(_spiff_problem(name, err, dmn_root))
        try:
            parsers[dialect].add_bpmn_xml(root, source.name)
        except (ValidationException, SpiffWorkflowException, etree.LxmlError) as err:
            problems.append(_spiff_problem(source.name, err, root))
    executable = [(source, node) for source in sources for node in roots[source.name].iterfind("bpmn:process", NS)
                  if node.get("isExecutable", "true") == "true"]
    for _source, node in executable:
        problems.extend([*calls.missing(node.get("id")), *calls.cycles(node.get("id"))])
    if problems:
        raise DeployError(sorted(set(problems), key=problems.index))

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
        used = {name: text for name, text in texts.items() if name.endswith(".dmn")}
        for sub in [spec, *subprocess_specs.values()]:
            file_name = sub.file if sub.file in roots else source.name
            for name in validation.form_names(sub):
                text = texts[name] if name in texts else library_form(name)
                if text is not None:
                    used[name] = text
            problems.extend(_spec_problems(sub, file_name, roots[file_name], trial, used, operations))
        candidates.append(_Candidate(source, node, process_id, spec, dump_spec(spec, subprocess_specs), used))
    if problems:
        raise DeployError(sorted(set(problems), key=problems.index))
    if not candidates:
        raise DeployError([(s.name, None, "no executable process in file") for s in sources])
    return candidates


def _store(candidates: list[_Candidate], deployed_by: int | None, test: bool) -> list[ProcessDefinition]:
    """A new version unless the content is that of the latest version (or, for a test run, of a test version
    already stored). Content equal to an older version makes a new version: that is how a process is rolled
    back."""
    deployed = []
    with unit_of_work() as session:
        for c in candidates:
            digest = hashlib.sha256(c.spec_json.encode())
            for name in sorted(c.files):
                digest.update(b"\0" + name.encode() + b"\0" + c.files[name].encode())
            content_hash = digest.hexdigest()
            same = select(ProcessDefinition).where(ProcessDefinition.process_key == c.process_id,
                                                   ProcessDefinition.is_test.is_(test))
            if test:
                existing = session.execute(same.where(ProcessDefinition.content_hash == content_hash)
                                           .limit(1)).scalar()
            else:
                existing = session.execute(same.order_by(ProcessDefinition.version.desc()).limit(1)).scalar()
                existing = existing if existing is not None and existing.content_hash == content_hash else None
            if existing is not None:
                deployed.append(existing)
                continue
            highest, lowest = session.execute(select(func.max(ProcessDefinition.version),
                                                     func.min(ProcessDefinition.version))
                                              .where(ProcessDefinition.process_key == c.process_id)).one()
            definition = ProcessDefinition(
                process_key=c.process_id, name=c.node.get("name") or c.process_id,
                version=min(lowest or 0, 0) - 1 if test else max(highest or 0, 0) + 1,
                is_test=test, content_hash=content_hash, source_name=c.source.name,
                bpmn_xml=c.source.content.decode("utf-8"), spec_json=c.spec_json,
                reportable_fields=_property_list(c.node, "reportableFields"), start_messages=_start_messages(c.spec),
                starter_roles=_property_list(c.node, "starterRoles"),
                starter_lane=_process_property(c.node, "starterLane"),
                summary_fields=parse_summary_fields(_process_property(c.node, SUMMARY_PROPERTY)),
                deployed_by=deployed_by)
            session.add(definition)
            session.flush()
            session.add_all(ProcessDefinitionFile(definition_id=definition.id, name=name, content=text)
                            for name, text in sorted(c.files.items()))
            deployed.append(definition)
        session.commit()
    return deployed


_FILE_NAME = re.compile(r"[A-Za-z0-9_][\w.-]{0,120}\.(json|dmn)\Z", re.ASCII)


def _bundle_files(files: Mapping[str, bytes], problems: list[Problem]
                  ) -> tuple[dict[str, str], dict[str, etree._Element]]:
    """The bundle's forms and DMN files as text, the DMN files parsed; what is wrong goes to `problems`."""
    texts, dmn_roots = {}, {}
    for name, content in sorted(files.items()):
        if problem := _file_problem(name, content):
            problems.append((name, None, problem))
            continue
        texts[name] = content.decode("utf-8-sig") if isinstance(content, bytes) else content
        if name.endswith(".dmn"):
            try:
                dmn_roots[name] = parse_dmn(Source(name, texts[name].encode("utf-8")))
            except DeployError as err:
                problems.extend(err.problems)
    return texts, dmn_roots


def _file_problem(name: str, content: bytes | str) -> str | None:
    if not _FILE_NAME.match(name) or ".." in name:
        return "file name must use letters, digits, - _ . and end in .json or .dmn"
    if len(content) > MAX_BPMN_BYTES:
        return f"file is larger than {MAX_BPMN_BYTES // 1024} KiB"
    try:
        text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    except UnicodeDecodeError:
        return "not UTF-8 text"
    if name.endswith(".json"):
        try:
            if not isinstance(json.loads(text), dict):
                return "the top level must be a JSON object"
        except json.JSONDecodeError as err:
            return f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"
    return None


def library_form(name: str) -> str | None:
    """A form file of the registered areas' forms folders (the forms in git), or None."""
    if not re.fullmatch(r"[\w.-]+\.json", name) or ".." in name:
        return None
    for folder in current_app.config["FORMS_DIRS"]:
        path = Path(folder) / name
        if path.is_file():
            return path.read_text(encoding="utf-8-sig")
    return None


def _process_ids(root: etree._Element) -> set[str]:
    return {node.get("id") for node in root.iterfind("bpmn:process", NS)}


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


def _spec_problems(spec, file_name: str, root: etree._Element, trial: validation.Trial, files: Mapping[str, str],
                   operations: set[str]) -> list[Problem]:
    problems = [(file_name, element, problem) for element, problem in (
        *validation.form_problems(spec, files.__contains__), *validation.operation_problems(spec, operations))]
    for expression in validation.expressions(spec, validation.condition_flows(root)):
        if problem := trial.problem(expression):
            problems.append((file_name, expression.element, problem))
    for decision_id, expression in validation.decision_expressions(spec):
        if problem := trial.problem(expression):
            where = next((n for n, text in files.items() if n.endswith(".dmn") and f'id="{decision_id}"' in text),
                         file_name)
            problems.append((where, expression.element, problem))
    return problems


def sources_in(directory: Path) -> list[Source]:
    return [Source(p.name, p.read_bytes()) for p in sorted(Path(directory).glob("*.bpmn"))]


def library_sources() -> list[Source]:
    """The files of every BPMN folder (a source keeps its file name only, so moving a file between folders
    leaves its definitions' content, and so their versions, unchanged)."""
    return [source for directory in current_app.config["BPMN_DIRS"] for source in sources_in(Path(directory))]


def deploy_directory(directory: Path | None = None, deployed_by: int | None = None) -> list[ProcessDefinition]:
    """Deploy every file of the BPMN folders (BPMN_DIRS; they may call each other's processes)."""
    sources = sources_in(directory) if directory is not None else library_sources()
    return deploy(sources, deployed_by=deployed_by) if sources else []


def latest_definition(process_key: str) -> ProcessDefinition:
    from app.engine.errors import NotFound

    row = db.session.execute(select(ProcessDefinition).where(ProcessDefinition.process_key == process_key,
                                                             ProcessDefinition.is_test.is_(False))
                             .order_by(ProcessDefinition.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no process {process_key!r} is deployed")
    return row


def latest_definitions() -> list[ProcessDefinition]:
    newest = (select(ProcessDefinition.process_key, func.max(ProcessDefinition.version).label("v"))
              .where(ProcessDefinition.is_test.is_(False)).group_by(ProcessDefinition.process_key).subquery())
    return list(db.session.execute(select(ProcessDefinition).join(
        newest, (ProcessDefinition.process_key == newest.c.process_key) & (ProcessDefinition.version == newest.c.v)
    )).scalars())


def definition_file(definition_id: int, name: str) -> str | None:
    """A form or DMN file as deployed with a definition version; None for versions deployed before files were
    kept with them (their forms are read from the forms folders)."""
    return db.session.execute(select(ProcessDefinitionFile.content).where(
        ProcessDefinitionFile.definition_id == definition_id, ProcessDefinitionFile.name == name)).scalar()


def definition_files(definition_id: int) -> dict[str, str]:
    return dict(db.session.execute(select(ProcessDefinitionFile.name, ProcessDefinitionFile.content).where(
        ProcessDefinitionFile.definition_id == definition_id)).all())
