"""Loading a form: the JSON Schema + UI schema pair, read from a forms folder, checked, and built into the
field tree (with if/then/else branches and local $ref resolved through `referencing`)."""
from __future__ import annotations

import copy
import dataclasses
import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT7

from app.forms import uploads as _uploads
from app.forms.fields import (
    _BAD_KEY,
    _UI_WIDGET_ALIASES,
    INDEX_TOKEN,
    WIDGETS,
    Condition,
    FieldSpec,
    FormDefinitionError,
    get_path,
    is_index,
    input_str,
    plain,
)
from app.forms.messages import current_locale, ui_text
from app.forms.validation import validation_schema
from app.platform.formats import FORMAT_CHECKER
from app.platform.source_texts import form_catalogue, translate_form

_FORM_URI = "urn:bpm:form"


class _Builder:
    """Builds the FieldSpec tree of one schema + UI schema."""

    def __init__(self, schema: dict, ui: dict, source: str):
        self.root_schema = schema
        self.ui = ui
        self.source = source
        # Only the form's own document is known to the resolver: a $ref elsewhere is never fetched.
        self.resolver = Registry().with_resource(_FORM_URI, DRAFT7.create_resource(schema)).resolver(_FORM_URI)

    def fail(self, path: str, why: str) -> FormDefinitionError:
        return FormDefinitionError(f"{self.source}: field {path or '(form)'}: {why}")

    def resolve(self, node: Any, path: str, depth: int = 0) -> dict:
        if not isinstance(node, dict):
            if node is True or node == {}:
                return {}
            raise self.fail(path, "schema must be an object")
        if "$ref" not in node:
            return node
        if depth > 20:
            raise self.fail(path, "$ref nesting too deep (recursive schemas are not rendered)")
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.fail(path, f"only local $ref is supported, not {ref!r}")
        try:
            target = self.resolver.lookup(ref).contents
        except Unresolvable:
            raise self.fail(path, f"$ref {ref!r} not found") from None
        merged = dict(self.resolve(target, path, depth + 1))
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return merged

    def build(self, node: Any, ui: Any, *, path: str, key: str, required: bool, readonly: bool,
              fallback_label: str | None = None) -> FieldSpec:
        s = self.resolve(node, path)
        ui = ui if isinstance(ui, dict) else {}
        options = dict(ui.get("ui:options") or {})
        readonly = bool(readonly or ui.get("ui:readonly") or ui.get("ui:disabled") or s.get("readOnly")
                        or options.get("readonly"))
        jtype = self.json_type(s, path)
        enum, enum_labels = self.enum_of(s, ui)
        label = str(ui.get("ui:title") or s.get("title") or fallback_label or key or "")
        common: dict[str, Any] = dict(
            path=path, key=key, label=label, required=required, readonly=readonly,
            description=s.get("description") or ui.get("ui:description"), help=ui.get("ui:help"),
            placeholder=ui.get("ui:placeholder"), options=options, schema=s,
            default=copy.deepcopy(s.get("default")), has_default="default" in s,
        )
        ui_widget = ui.get("ui:widget")
        if ui_widget is not None and not isinstance(ui_widget, str):
            raise self.fail(path, "ui:widget must be a string")
        widget_hint = _UI_WIDGET_ALIASES.get(ui_widget, ui_widget) if ui_widget else None
        if widget_hint is not None and widget_hint not in WIDGETS:
            raise self.fail(path, f"unknown ui:widget {ui_widget!r} (supported: {', '.join(sorted(WIDGETS))},"
                                  f" phone)")

        if jtype == "file":
            try:
                accept = _uploads.normalize_accept(s.get("accept"))
            except ValueError as err:
                raise self.fail(path, str(err)) from None
            max_size = s.get("maxSize")
            if max_size is not None and (not isinstance(max_size, int) or max_size <= 0):
                raise self.fail(path, "maxSize must be a positive number of bytes")
            return FieldSpec(type="file", widget="file", accept=accept, max_size=max_size, **common)

        if jtype == "object":
            props = s.get("properties") or {}
            if not isinstance(props, dict):
                raise self.fail(path, "properties must be an object")
            req = set(s.get("required") or ())
            rules = self.branch_rules(s, props)
            own = self.branch_fields(rules, props, path)
            required_when: dict[str, list[Condition]] = {}
            for cond, branch in rules:
                for name in branch.get("required") or ():
                    if cond is not None and name in props and name not in req:
                        required_when.setdefault(name, []).append(cond)
            keys = list(props)
            last: dict[str | None, str] = {}  # a branch's own fields follow their controller, in branch order
            for name, (cond, _node, _required) in own.items():
                controller = cond.key if cond else None
                anchor = last.get(controller, controller)
                keys.insert(keys.index(anchor) + 1 if anchor in keys else len(keys), name)
                last[controller] = name
            built: dict[str, FieldSpec] = {}
            for name in keys:
                if _BAD_KEY.search(name):
                    raise self.fail(path, f"property name {name!r} cannot be used in a form "
                                          "(no '.', spaces, brackets, all digits or leading '__')")
                child_path = f"{path}.{name}" if path else name
                node_of, required_here = (props[name], name in req) if name in props else own[name][1:]
                built[name] = self.build(node_of, ui.get(name), path=child_path, key=name,
                                         required=required_here, readonly=readonly)
            children = [_with_conditions(built[name], built, own.get(name, (None,))[0], required_when.get(name, ()))
                        for name in self.ordered(keys, ui.get("ui:order"), path)]
            return FieldSpec(type="object", widget="object", children=tuple(children), **common)

        if jtype == "array":
            item_node = s.get("items", {})
            if isinstance(item_node, list):
                raise self.fail(path, "tuple arrays (items as a list) are not supported")
            item_ui = ui.get("items") if isinstance(ui.get("items"), dict) else {}
            item_schema = self.resolve(item_node, path)
            item_enum, _ = self.enum_of(item_schema, item_ui)
            arr = dict(common, min_items=s.get("minItems"), max_items=s.get("maxItems"))
            if item_enum is not None and (widget_hint in (None, "checkboxes", "select") or s.get("uniqueItems")):
                items = self.build(item_node, item_ui, path=path, key=key, required=False, readonly=readonly,
                                   fallback_label=label)
                return FieldSpec(type="array", widget="checkboxes", items=items, **arr)

            def row(index: str, _node=item_node, _ui=item_ui) -> FieldSpec:
                return self.build(_node, _ui, path=f"{path}.{index}", key=index, required=False,
                                  readonly=readonly, fallback_label=label)

            items = row(INDEX_TOKEN)
            return FieldSpec(type="array", widget="array", items=items, _row_builder=row, **arr)

        # scalars
        fmt = s.get("format")
        if widget_hint == "tel" or (ui_widget in ("phone", "tel")):
            fmt = "phone"
        if enum is not None and jtype != "boolean" or (jtype == "boolean" and widget_hint in ("radio", "select")):
            widget = widget_hint if widget_hint in ("radio", "select", "hidden") else "select"
        elif jtype == "boolean":
            widget = "hidden" if widget_hint == "hidden" else "checkbox"
        elif jtype in ("integer", "number"):
            widget = widget_hint if widget_hint in ("range", "hidden") else "number"
        else:
            by_format = {"email": "email", "phone": "tel", "date": "date", "date-time": "datetime",
                         "future-date-time": "datetime", "uri": "url"}.get(fmt, "text")
            widget = widget_hint or by_format
            if widget in ("checkbox", "checkboxes", "number", "range", "select", "radio", "object", "array",
                          "file"):
                raise self.fail(path, f"ui:widget {ui_widget!r} does not fit a {jtype} field")
            if widget == "datetime":
                fmt = fmt or "date-time"
            elif widget == "date":
                fmt = fmt or "date"
            elif widget == "email":
                fmt = fmt or "email"
        return FieldSpec(
            type=jtype, widget=widget, enum=enum, enum_labels=enum_labels, format=fmt,
            minimum=s.get("minimum"), maximum=s.get("maximum"),
            exclusive_minimum=s.get("exclusiveMinimum"), exclusive_maximum=s.get("exclusiveMaximum"),
            multiple_of=s.get("multipleOf"), min_length=s.get("minLength"), max_length=s.get("maxLength"),
            pattern=s.get("pattern"), **common,
        )

    def json_type(self, s: dict, path: str) -> str:
        if s.get("x-file") is True or s.get("format") == "data-url":
            return "file"
        t = s.get("type")
        if isinstance(t, list):
            t = next((x for x in t if x != "null"), "null")
        if t is None:
            if "properties" in s:
                return "object"
            if "items" in s:
                return "array"
            values = s.get("enum") or [o.get("const") for o in s.get("oneOf") or s.get("anyOf") or []
                                       if isinstance(o, dict)]
            if values and all(isinstance(v, bool) for v in values):
                return "boolean"
            if values and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                return "integer"
            if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                return "number"
            return "string"
        if t not in ("string", "integer", "number", "boolean", "object", "array"):
            raise self.fail(path, f"type {t!r} cannot be shown in a form")
        return t

    def enum_of(self, s: dict, ui: dict) -> tuple[tuple | None, tuple[str, ...] | None]:
        if isinstance(s.get("enum"), list):
            values = tuple(s["enum"])
            names = ui.get("ui:enumNames") or s.get("enumNames")
            labels = tuple(str(n) for n in names) if isinstance(names, list) else None
            return values, labels
        alts = s.get("oneOf") or s.get("anyOf")
        if isinstance(alts, list) and alts and all(isinstance(a, dict) and "const" in a for a in alts):
            return (tuple(a["const"] for a in alts),
                    tuple(str(a.get("title", plain(a["const"]))) for a in alts))
        if "const" in s and s.get("type") != "boolean":
            return (s["const"],), None
        return None, None

    def ordered(self, keys: list[str], order: Any, path: str) -> list[str]:
        if not order:
            return keys
        if not isinstance(order, list):
            raise self.fail(path, "ui:order must be a list")
        known = [k for k in order if k in keys]
        rest = [k for k in keys if k not in known]
        if "*" in order:
            star = order.index("*")
            before = [k for k in order[:star] if k in keys]
            after = [k for k in order[star + 1:] if k in keys]
            return before + rest + after
        return known + rest

    # -- if/then/else on one sibling (the react-jsonschema-form convention): a field defined only inside a
    #    branch is shown while its condition holds; a field the branch only lists in `required` is always
    #    shown and marked required while the condition holds. Other `if` shapes are validated, not shown.

    def branch_rules(self, s: dict, props: dict) -> list[tuple[Condition | None, dict]]:
        """(condition, then/else branch) of the object's if-blocks (its own and those in allOf); the
        condition is None when the page cannot follow it."""
        blocks = [s] + [b for b in (s.get("allOf") or []) if isinstance(b, dict)]
        rules: list[tuple[Condition | None, dict]] = []
        for block in blocks:
            if not isinstance(block.get("if"), dict):
                continue
            tested = _condition_of(block["if"], props)
            for branch_key, negate in (("then", False), ("else", True)):
                branch = block.get(branch_key)
                if isinstance(branch, dict):
                    cond = None if tested is None else Condition(tested[0], tested[0], tested[1], (), negate)
                    rules.append((cond, branch))
        return rules

    def branch_fields(self, rules: list[tuple[Condition | None, dict]], props: dict, path: str
                      ) -> dict[str, tuple[Condition | None, Any, bool]]:
        """Fields defined only inside a branch: name -> (condition, schema node, required when shown)."""
        out: dict[str, tuple[Condition | None, Any, bool]] = {}
        for cond, branch in rules:
            for name, node in (branch.get("properties") or {}).items():
                if name in props:
                    continue
                if name in out:
                    raise self.fail(path, f"field {name!r} is defined in two if/then/else branches; define it "
                                          "once in `properties` and list it in each branch's `required`")
                out[name] = (cond, node, cond is not None and name in (branch.get("required") or ()))
        return out


def _condition_of(test_schema: dict, props: dict) -> tuple[str, tuple[Any, ...]] | None:
    """(sibling, values) for an `if` the page can follow: one sibling property with `const` or `enum`."""
    tested = test_schema.get("properties")
    if not isinstance(tested, dict) or len(tested) != 1:
        return None
    (key, test), = tested.items()
    if key not in props or not isinstance(test, dict):
        return None
    if "const" in test:
        return key, (test["const"],)
    if isinstance(test.get("enum"), list):
        return key, tuple(test["enum"])
    return None


def _with_conditions(spec: FieldSpec, siblings: Mapping[str, FieldSpec], show: Condition | None,
                     required_when: Sequence[Condition]) -> FieldSpec:
    """The spec with its conditions, their values spelled as the controlling input's HTML values."""
    def for_page(cond: Condition) -> Condition:
        controller = siblings[cond.key]
        by_value = ({input_str(c.value): c.input for c in controller.choices}
                    if controller.is_choice or controller.type == "boolean" else {})
        inputs = tuple(by_value.get(input_str(v), input_str(v)) for v in cond.values)
        return Condition(cond.key, controller.name, cond.values, inputs, cond.negate)

    if show is None and not required_when:
        return spec
    return dataclasses.replace(spec, show_when=for_page(show) if show is not None else None,
                               required_when=tuple(for_page(c) for c in required_when))


# ------------------------------------------------------------------------------------------------ Form

class Form:
    """A loaded form: the schema pair, the field tree (``root``/``fields``) and its validator."""

    def __init__(self, schema: dict, ui_schema: dict | None = None, *, source: str = "form"):
        if not isinstance(schema, dict):
            raise FormDefinitionError(f"{source}: the schema must be a JSON object")
        ui_schema = ui_schema or {}
        if not isinstance(ui_schema, dict):
            raise FormDefinitionError(f"{source}: the UI schema must be a JSON object")
        try:
            Draft7Validator.check_schema(schema)
        except SchemaError as err:
            where = "/".join(str(p) for p in err.absolute_path) or "(root)"
            raise FormDefinitionError(f"{source}: invalid JSON Schema at {where}: {err.message}") from None
        self.schema = schema
        self.ui_schema = ui_schema
        self.source = source
        root = _Builder(schema, ui_schema, source).build(schema, ui_schema, path="", key="", required=True,
                                                        readonly=False)
        if root.type != "object":
            raise FormDefinitionError(f"{source}: a form schema must be an object with properties")
        self.root = root
        self.validator = Draft7Validator(validation_schema(schema, ui_schema), format_checker=FORMAT_CHECKER)

    @property
    def title(self) -> str | None:
        return self.ui_schema.get("ui:title") or self.schema.get("title")

    @property
    def description(self) -> str | None:
        return self.ui_schema.get("ui:description") or self.schema.get("description")

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return self.root.children

    @property
    def has_files(self) -> bool:
        return any(spec.type == "file" for spec in self.root.walk())

    def walk(self) -> Iterator[FieldSpec]:
        for child in self.root.children:
            yield from child.walk()

    def field(self, path: str) -> FieldSpec:
        """The spec at a concrete path (``rows.2.qty``). Raises KeyError."""
        spec = self.root
        if not path:
            return spec
        for seg in path.split("."):
            if spec.widget == "array":
                if not (is_index(seg) or seg == INDEX_TOKEN):
                    raise KeyError(path)
                spec = spec.row(seg)
            elif spec.widget == "checkboxes" and is_index(seg):
                return spec
            else:
                spec = next((c for c in spec.children if c.key == seg), None)  # type: ignore[assignment]
                if spec is None:
                    raise KeyError(path)
        return spec

    # helpers for templates
    @staticmethod
    def value_at(values: Any, path: str) -> Any:
        return get_path(values, path)

    @staticmethod
    def ui(text: str, **params: Any) -> str:
        return ui_text(text, **params)

    @staticmethod
    def size(n: Any) -> str:
        return _uploads.format_size(int(n or 0))

    def label_for(self, path: str) -> str:
        """A readable name of the field at ``path`` for the error summary (``工作经历 2 · 单位名称``)."""
        if not path:
            return self.title or ""
        parts: list[str] = []
        spec = self.root
        for seg in path.split("."):
            try:
                if spec.widget == "array" and is_index(seg):
                    array_label = parts.pop() if parts else ""
                    spec = spec.row(seg)
                    parts.append(f"{spec.schema.get('title') or array_label} {int(seg) + 1}".strip())
                    continue
                spec = next(c for c in spec.children if c.key == seg)
            except (StopIteration, TypeError):
                parts.append(seg)
                break
            parts.append(spec.label)
        return " · ".join(p for p in parts if p)

    def owner_path(self, path: str) -> str:
        """The path of the rendered field an error at ``path`` belongs to: ``skills.0`` -> ``skills``
        (checkboxes), ``resume.size`` -> ``resume`` (a file), an unknown key -> its parent."""
        while path:
            try:
                return self.field(path).path
            except (KeyError, TypeError):
                path = path.rpartition(".")[0]
        return ""

    def anchor_for(self, path: str) -> str:
        try:
            spec = self.field(path)
        except KeyError:
            return "f-root"
        return spec.id

    def order_key(self, path: str) -> tuple:
        key: list[tuple[int, int]] = []
        spec = self.root
        for seg in path.split(".") if path else []:
            if spec.widget == "array" and is_index(seg):
                key.append((1, int(seg)))
                try:
                    spec = spec.row(seg)
                except TypeError:
                    break
                continue
            idx = next((i for i, c in enumerate(spec.children) if c.key == seg), None)
            if idx is None:
                key.append((2, 0))
                break
            key.append((0, idx))
            spec = spec.children[idx]
        return tuple(key)


_CACHE: dict[tuple[str, str | None, str], tuple[tuple, Form]] = {}
_CACHE_LOCK = threading.Lock()
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][\w.-]*\.json\Z", re.ASCII)


def _safe_path(forms_dir: Path, name: str) -> Path:
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or ".." in name:
        raise FormDefinitionError(f"unsafe form file name {name!r} (expected letters, digits, _ . - and .json)")
    base = Path(forms_dir).resolve()
    path = (base / name).resolve()
    if not path.is_relative_to(base) or path.parent != base:
        raise FormDefinitionError(f"form file {name!r} is outside the forms directory")
    return path


def _read_json(path: Path, name: str) -> dict:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise FormDefinitionError(f"form file {name!r} not found") from None
    except UnicodeDecodeError as err:
        raise FormDefinitionError(f"{name}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise FormDefinitionError(f"{name}: invalid JSON at line {err.lineno} column {err.colno}: {err.msg}") \
            from None
    if not isinstance(data, dict):
        raise FormDefinitionError(f"{name}: the top level must be a JSON object")
    return data


def _locate(forms_dirs: Sequence[Path], name: str) -> Path:
    """The file `name` in the first folder that has it (else where the first folder would have it)."""
    paths = [_safe_path(d, name) for d in forms_dirs]
    return next((p for p in paths if p.is_file()), paths[0])


def load_form(forms_dir: Path | str | Sequence[Path], schema_name: str, ui_name: str | None = None) -> Form:
    """Load a schema + UI schema pair from ``forms_dir`` (a folder, or folders searched in order); cached
    until either file changes. Raises FormDefinitionError for an unsafe or missing name, bad JSON or an
    invalid schema."""
    dirs = [Path(forms_dir)] if isinstance(forms_dir, (str, Path)) else [Path(d) for d in forms_dir]
    if not dirs:
        raise FormDefinitionError(f"form file {schema_name!r} not found (no forms folder)")
    schema_path = _locate(dirs, schema_name)
    ui_path = _locate(dirs, ui_name) if ui_name else None

    def stamp(p: Path | None) -> tuple:
        if p is None:
            return ()
        try:
            st = p.stat()
        except FileNotFoundError:
            raise FormDefinitionError(f"form file {p.name!r} not found") from None
        return (st.st_mtime_ns, st.st_size)

    # Its texts (titles, help, option labels...) in the current language (app/platform/source_texts.py).
    locale = current_locale()
    key = (str(schema_path), str(ui_path) if ui_path else None, locale)
    stamps = (stamp(schema_path), stamp(ui_path))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit and hit[0] == stamps:
            return hit[1]
    raw_ui = _read_json(ui_path, ui_name) if ui_path and ui_name else {}
    own = form_catalogue(raw_ui)  # the form's own translations ("ui:locales"), then the catalogues
    schema = translate_form(_read_json(schema_path, schema_name), own)
    ui = translate_form(raw_ui, own)
    form = Form(schema, ui, source=schema_name)
    with _CACHE_LOCK:
        _CACHE[key] = (stamps, form)
    return form
