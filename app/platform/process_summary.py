"""What an inbox row says about a task: the summary fields a process declares in its BPMN.

The convention (a process property, written by the modeler's "Inbox summary" entry):

    <spiffworkflow:property name="summaryFields" value="学生=student_name, 学号=student_no, 协议编号=agreement_number"/>

Each entry is `label=data path` (a dotted path into task data: `student.name`); the label is shown in the
reader's language (it is extracted into the catalogue like the process's other texts). A path alone is its
own label. Values are taken from the task's data when it becomes ready.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROPERTY = "summaryFields"
MAX_VALUE = 80  # characters of one value shown in a row
MAX_SEARCH = 500  # characters of the search text kept per task


def parse_summary_fields(value: str | None) -> list[list[str]]:
    """[[label, path], ...] from the property's value; entries without a path are skipped."""
    fields = []
    for entry in (value or "").split(","):
        label, sep, path = entry.partition("=")
        label, path = (label.strip(), path.strip()) if sep else (entry.strip(), entry.strip())
        if path:
            fields.append([label or path, path])
    return fields


def _at(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def summary_values(fields: list[list[str]], data: Mapping[str, Any]) -> list[list[str]]:
    """[[label, value], ...] of the fields that have a plain value in `data` (texts and numbers)."""
    found = []
    for label, path in fields:
        value = _at(data, path)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
            continue
        text = str(value).strip()
        if text:
            found.append([label, text[:MAX_VALUE]])
    return found


def search_text(business_key: str | None, summary: list[list[str]]) -> str | None:
    """The business key and the summary's values in lower case, one space apart: what the inbox's search box
    matches (an agreement number, a student's name or number)."""
    words = [business_key or ""] + [value for _label, value in summary]
    text = " ".join(w for w in words if w).lower()
    return text[:MAX_SEARCH] or None
