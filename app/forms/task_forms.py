"""The application's glue: the forms of the registered areas, found by file name (a BPMN user task names
its form file, SpiffArena's `formJsonSchemaFilename`), and the folder uploads are kept in."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from app.forms.schema import Form, load_form


def forms_dirs() -> list[Path]:
    """The forms folders of the registered areas (app/platform/areas.py), in registration order."""
    return [Path(d) for d in current_app.config["FORMS_DIRS"]]


def task_form(schema_name: str, ui_name: str | None = None) -> Form:
    return load_form(forms_dirs(), schema_name, ui_name)


def uploads_dir() -> Path:
    return Path(current_app.config["VAR_DIR"]) / "uploads"
