"""Reading and checking what a process owner sends from the modeler: the BPMN of a draft and its files.

Pure functions over bytes and dicts (no session): what a draft may contain, the template of a new process,
and the problems the modeler adds to the engine's own checks (the process id, lanes that are no role's,
forms the form framework cannot use).
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from app.engine import DeployError, Source
from app.engine.definitions import BPMN_NS, parse_xml

KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,79}\Z")
FILE = re.compile(r"[A-Za-z0-9_][\w.-]{0,120}\.(json|dmn)\Z", re.ASCII)
MAX_FILES = 200
MAX_TOTAL_BYTES = 8 * 1024 * 1024

Problem = tuple[str, "str | None", str]


class DraftRejected(Exception):
    """What was sent cannot be kept as a draft at all (not a modelling problem: a malformed request)."""


@dataclass(frozen=True)
class DraftContent:
    bpmn: str
    files: dict[str, str]

    def sources(self, process_key: str) -> list[Source]:
        return [Source(f"{process_key}.bpmn", self.bpmn.encode("utf-8"))]

    def file_bytes(self) -> dict[str, bytes]:
        return {name: text.encode("utf-8") for name, text in self.files.items()}


def content_from(payload: Mapping) -> DraftContent:
    """The draft in a JSON request: {"bpmn": "<xml>", "files": {"name.json": "...", "name.dmn": "..."}}."""
    bpmn = payload.get("bpmn")
    files = payload.get("files") or {}
    if not isinstance(bpmn, str) or not bpmn.strip():
        raise DraftRejected("bpmn: the diagram is missing")
    if not isinstance(files, dict) or len(files) > MAX_FILES:
        raise DraftRejected(f"files: at most {MAX_FILES} files, as an object of name: text")
    total = len(bpmn.encode("utf-8"))
    for name, text in files.items():
        if not isinstance(name, str) or not FILE.match(name) or ".." in name:
            raise DraftRejected(f"files: {name!r} is not a file name (letters, digits, - _ . ending in .json or .dmn)")
        if not isinstance(text, str):
            raise DraftRejected(f"files: {name} must be text")
        total += len(text.encode("utf-8"))
    if total > MAX_TOTAL_BYTES:
        raise DraftRejected(f"the draft is larger than {MAX_TOTAL_BYTES // (1024 * 1024)} MiB")
    try:
        parse_xml(Source("draft.bpmn", bpmn.encode("utf-8")))
    except DeployError as err:
        raise DraftRejected("bpmn: " + "; ".join(p for _f, _e, p in err.problems)) from None
    return DraftContent(bpmn, dict(files))


def executable_ids(bpmn: str) -> list[str]:
    root = parse_xml(Source("draft.bpmn", bpmn.encode("utf-8")))
    return [node.get("id") for node in root.iterfind(f"{{{BPMN_NS}}}process")
            if node.get("isExecutable", "true") == "true"]


def draft_problems(process_key: str, content: DraftContent, known_lanes: Iterable[str],
                   form_problem) -> list[Problem]:
    """The modeler's own checks; `form_problem(schema, ui) -> str | None` is the form framework's verdict."""
    file_name = f"{process_key}.bpmn"
    problems: list[Problem] = []
    ids = executable_ids(content.bpmn)
    if ids != [process_key]:
        problems.append((file_name, None, f"the file must hold one executable process with the id {process_key!r} "
                                          f"(it holds {', '.join(ids) or 'none'})"))
    root = parse_xml(Source(file_name, content.bpmn.encode("utf-8")))
    lanes = set(known_lanes)
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        name = (lane.get("name") or "").strip()
        if name and name not in lanes:
            problems.append((file_name, lane.get("id"), f"lane {name!r} is no role's lane (roles have: "
                                                        f"{', '.join(sorted(lanes))})"))
    for name, text in sorted(content.files.items()):
        if not name.endswith(".json") or name.endswith(".ui.json"):
            continue
        ui_name = name[:-len(".json")] + ".ui.json"
        try:
            schema = json.loads(text)
            ui = json.loads(content.files[ui_name]) if ui_name in content.files else {}
        except json.JSONDecodeError as err:
            problems.append((name, None, f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"))
            continue
        if problem := form_problem(schema, ui, name):
            problems.append((name, None, problem))
    return problems


def new_process_bpmn(process_key: str, name: str) -> str:
    """A new process: one pool (so lanes can be added) with a start event."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="definitions_{process_key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="collaboration_{process_key}">
    <bpmn:participant id="pool_{process_key}" name={quoteattr(name)} processRef="{process_key}"/>
  </bpmn:collaboration>
  <bpmn:process id="{process_key}" name={quoteattr(name)} isExecutable="true">
    <bpmn:startEvent id="start" name="{escape('开始')}"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{process_key}">
    <bpmndi:BPMNPlane id="plane_{process_key}" bpmnElement="collaboration_{process_key}">
      <bpmndi:BPMNShape id="pool_{process_key}_di" bpmnElement="pool_{process_key}" isHorizontal="true">
        <dc:Bounds x="120" y="80" width="900" height="250"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="202" y="187" width="36" height="36"/>
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def process_name(bpmn: str, process_key: str) -> str | None:
    try:
        root = parse_xml(Source("draft.bpmn", bpmn.encode("utf-8")))
    except DeployError:
        return None
    node = root.find(f"{{{BPMN_NS}}}process[@id='{process_key}']") if KEY.match(process_key) else None
    return node.get("name") if node is not None else None


__all__ = ["DraftContent", "DraftRejected", "KEY", "content_from", "draft_problems", "executable_ids",
           "new_process_bpmn", "process_name"]
