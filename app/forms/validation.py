"""Validating a decoded form with jsonschema (Draft 7): errors by field path, in form order, in the
user's language."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jsonschema.exceptions import ValidationError

from app.forms import uploads as _uploads
from app.forms.fields import ABSENT
from app.forms.messages import FieldError, RejectedUpload

if TYPE_CHECKING:
    from app.forms.schema import Form

def validation_schema(schema: Any, ui: Any) -> Any:
    """The schema jsonschema checks: a file field becomes the upload reference object, and a
    ``ui:widget: phone`` string gets ``format: phone``."""
    def file_ref(node: dict) -> dict:
        props: dict[str, Any] = {
            "file_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "name": {"type": "string"}, "size": {"type": "integer", "minimum": 1},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "content_type": {"type": "string"},
        }
        try:
            props["content_type"]["enum"] = list(_uploads.normalize_accept(node.get("accept")))
        except ValueError:
            pass
        if isinstance(node.get("maxSize"), int):
            props["size"]["maximum"] = node["maxSize"]
        out = {"type": "object", "required": list(props), "properties": props}
        if "title" in node:
            out["title"] = node["title"]
        return out

    def walk(node: Any, ui_node: Any) -> Any:
        if isinstance(node, list):
            return [walk(n, None) for n in node]
        if not isinstance(node, dict):
            return node
        if node.get("x-file") is True or node.get("format") == "data-url":
            return file_ref(node)
        ui_node = ui_node if isinstance(ui_node, dict) else {}
        out = {}
        for k, v in node.items():
            if k == "properties" and isinstance(v, dict):
                out[k] = {name: walk(sub, ui_node.get(name)) for name, sub in v.items()}
            elif k == "items":
                out[k] = walk(v, ui_node.get("items"))
            elif k in ("enum", "const", "default", "examples", "required"):
                out[k] = v
            else:
                out[k] = walk(v, None)
        if ui_node.get("ui:widget") in ("phone", "tel") and "format" not in node:
            if "$ref" in out:
                return {"allOf": [out], "format": "phone"}
            out["format"] = "phone"
        return out

    return walk(schema, ui)


_LIMIT_CODES = {"minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                "multipleOf", "minItems", "maxItems", "minProperties", "maxProperties"}


def _field_errors(err: ValidationError) -> list[FieldError]:
    path = ".".join(str(p) for p in err.absolute_path)
    kw = err.validator
    value = err.validator_value
    if kw == "required":
        instance = err.instance if isinstance(err.instance, dict) else {}
        return [FieldError(f"{path}.{name}" if path else name, "required")
                for name in value if name not in instance]
    if kw == "type":
        expected = value if isinstance(value, str) else next((t for t in value if t != "null"), "null")
        return [FieldError(path, "type", {"expected": expected})]
    if kw == "format":
        return [FieldError(path, "format", {"format": value})]
    if kw == "pattern":
        return [FieldError(path, "pattern", {"pattern": value})]
    if kw in _LIMIT_CODES:
        return [FieldError(path, kw, {"limit": value})]
    if kw == "enum":
        return [FieldError(path, "enum", {"allowed": list(value)})]
    if kw == "const":
        return [FieldError(path, "accepted" if value is True else "const", {"allowed": [value]})]
    if kw in ("oneOf", "anyOf") and isinstance(value, list) and value \
            and all(isinstance(a, dict) and "const" in a for a in value):
        return [FieldError(path, "enum", {"allowed": [a["const"] for a in value]})]
    if kw == "uniqueItems":
        return [FieldError(path, "uniqueItems")]
    return [FieldError(path, str(kw) if kw else "invalid")]


def validate(form: Form, data: Mapping[str, Any]) -> dict[str, list[FieldError]]:
    """Errors by field path (in form order; empty dict when valid). Refused uploads come first at their
    field; the rest is jsonschema Draft 7 with formats date, date-time, email and phone checked."""
    found: list[FieldError] = []
    upload_paths: set[str] = set()

    def strip(value: Any, path: str) -> Any:
        if isinstance(value, RejectedUpload):
            found.append(FieldError(path, value.code, dict(value.params)))
            upload_paths.add(path)
            return ABSENT
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                sub = strip(v, f"{path}.{k}" if path else str(k))
                if sub is not ABSENT:
                    out[k] = sub
            return out
        if isinstance(value, list):
            return [None if (s := strip(v, f"{path}.{i}")) is ABSENT else s for i, v in enumerate(value)]
        return value

    clean = strip(dict(data), "")
    seen = {(e.path, e.code) for e in found}
    for err in form.validator.iter_errors(clean):
        for fe in _field_errors(err):
            owner = form.owner_path(fe.path)
            if owner != fe.path:
                fe = FieldError(owner, fe.code, fe.params)
            if fe.path in upload_paths or (fe.path, fe.code) in seen:
                continue
            seen.add((fe.path, fe.code))
            found.append(fe)
    typed_wrong = {e.path for e in found if e.code == "type"}  # "enter a number" says it all
    result: dict[str, list[FieldError]] = {}
    for fe in sorted(found, key=lambda e: form.order_key(e.path)):
        if fe.path in typed_wrong and fe.code != "type":
            continue
        result.setdefault(fe.path, []).append(fe)
    return result
