"""Values for rendering a form: the first display (task data, else defaults), the display after a refused
submission, and task data merged with a submission. The HTML is forms/_fields.html (app/forms/templates)."""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from app.forms import uploads as _uploads
from app.forms.fields import ABSENT, FieldSpec, get_path, is_index, set_path
from app.forms.messages import RejectedUpload

if TYPE_CHECKING:
    from app.forms.schema import Form

def fill_values(spec: FieldSpec, value: Any) -> Any:
    if spec.widget == "object":
        obj = copy.deepcopy(value) if isinstance(value, dict) else None
        if obj is None:
            obj = copy.deepcopy(spec.default) if isinstance(spec.default, dict) else {}
        for child in spec.children:
            filled = fill_values(child, obj.get(child.key, ABSENT))
            if filled is not ABSENT:
                obj[child.key] = filled
        return obj
    if spec.widget == "array":
        rows = value if isinstance(value, list) else (spec.default if isinstance(spec.default, list) else [])
        rows = [fill_values(spec.row(i), r) for i, r in enumerate(copy.deepcopy(rows))]
        minimum = max(spec.min_items or 0, 1 if spec.required else 0)
        while len(rows) < minimum and not spec.readonly:
            rows.append(new_row(spec))
        return rows
    if value is not ABSENT and value is not None:
        return copy.deepcopy(value)
    if spec.has_default:
        return copy.deepcopy(spec.default)
    return ABSENT


def initial_values(form: Form, existing: Mapping[str, Any] | None = None) -> dict:
    """Values for the first display: task data, else schema defaults (render only: blank rows are added
    up to ``minItems``, or one for a required array)."""
    return fill_values(form.root, dict(existing or {}))


def redisplay_values(form: Form, data: Mapping[str, Any], existing: Mapping[str, Any] | None = None) -> dict:
    """Values to show after a failed validation: what was typed, with file fields back to the file in
    task data (the staged upload was discarded; browsers clear file inputs anyway)."""
    out = copy.deepcopy({k: v for k, v in data.items()})
    existing = existing or {}

    def walk(spec: FieldSpec, value: Any, path: str) -> None:
        if spec.type == "file":
            prior = get_path(existing, path)
            if _uploads.is_reference(prior):
                set_path(out, path, copy.deepcopy(prior))
            elif isinstance(get_path(out, path), (dict, RejectedUpload)):
                parent_path, _, key = path.rpartition(".")
                parent = get_path(out, parent_path) if parent_path else out
                if isinstance(parent, dict):
                    parent.pop(key, None)
                elif isinstance(parent, list) and is_index(key):
                    parent[int(key)] = None
            return
        if spec.widget == "object" and isinstance(value, dict):
            for child in spec.children:
                walk(child, value.get(child.key), child.path)
        elif spec.widget == "array" and isinstance(value, list):
            for i, row in enumerate(value):
                walk(spec.row(i), row, f"{path}.{i}")

    walk(form.root, out, "")
    return out


def merge_submission(form: Form, task_data: Mapping[str, Any], data: Mapping[str, Any]) -> dict:
    """Task data after the submission: every top-level field of the form is replaced by the submitted
    value, or removed when the person cleared it; other task data is kept."""
    merged = dict(task_data)
    for spec in form.fields:
        if spec.key in data:
            merged[spec.key] = copy.deepcopy(data[spec.key])
        elif not spec.readonly:
            merged.pop(spec.key, None)
    return merged


def new_row(spec: FieldSpec) -> Any:
    item = spec.row(0)
    value = fill_values(item, ABSENT)
    if value is ABSENT:
        return {} if item.widget == "object" else None
    return value
