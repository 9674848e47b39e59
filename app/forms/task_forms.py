"""The application's glue: the forms of the registered areas, found by file name (a BPMN user task names
its form file, SpiffArena's `formJsonSchemaFilename`), and the folder uploads are kept in."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import Response, abort, current_app, send_file

from app.forms.fields import FormDefinitionError
from app.forms.messages import current_locale
from app.forms.schema import Form, load_form
from app.forms.uploads import PREVIEWABLE, upload_path


def forms_dirs() -> list[Path]:
    """The forms folders of the registered areas (app/platform/areas.py), in registration order."""
    return [Path(d) for d in current_app.config["FORMS_DIRS"]]


def task_form(schema_name: str, ui_name: str | None = None) -> Form:
    return load_form(forms_dirs(), schema_name, ui_name)


def deployed_form(schema: str, ui: str | None, name: str) -> Form:
    """A form from its files' text (as deployed with a process version, or as a draft in the modeler), its texts
    in the reader's language."""
    return _deployed_form(schema, ui, name, current_locale())


@lru_cache(maxsize=256)
def _deployed_form(schema: str, ui: str | None, name: str, locale: str) -> Form:
    """The form's own catalogue (its UI schema's "ui:locales") first, then the Babel catalogues. Deployed files
    never change, so the parsed form is kept per content and language."""
    from app.platform.source_texts import form_catalogue, translate_form

    try:
        raw_schema, raw_ui = json.loads(schema), json.loads(ui) if ui else {}
    except json.JSONDecodeError as err:
        raise FormDefinitionError(f"{name}: invalid JSON at line {err.lineno}: {err.msg}") from None
    if not isinstance(raw_ui, dict):
        raise FormDefinitionError(f"{name}: the UI schema must be a JSON object")
    own = form_catalogue(raw_ui)
    return Form(translate_form(raw_schema, own), translate_form(raw_ui, own), source=name)


def uploads_dir() -> Path:
    return Path(current_app.config["VAR_DIR"]) / "uploads"


def upload_response(reference: dict, download: bool = False) -> Response:
    """A stored upload as the answer to a request whose access the caller has checked (the reference comes
    from data the user may see). PDF and images open in the browser unless ``download``; anything else is
    an attachment. The content type is the one detected from the bytes at upload, never the client's."""
    path = upload_path(uploads_dir(), reference["file_id"])
    if not path.is_file():
        abort(404)
    content_type = reference.get("content_type") or "application/octet-stream"
    inline = not download and content_type in PREVIEWABLE
    response = send_file(path, mimetype=content_type, as_attachment=not inline,
                         download_name=reference.get("name") or reference["file_id"], conditional=True, etag=True,
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
