"""RQ entry point of the form framework's housekeeping: uploaded files no row references (app/forms/upload_sweep.py)."""
from __future__ import annotations

from tasks.engine_jobs import _app_context


def sweep_uploads() -> int:
    """The periodic sweep (app/forms/area.py): uploads older than UPLOAD_ORPHAN_GRACE_S that nothing
    references, and staged parts as old, removed. Safe to run twice."""
    from flask import current_app

    from app.forms.task_forms import uploads_dir
    from app.forms.upload_sweep import sweep
    from app.platform.extensions import db

    with _app_context():
        return len(sweep(db.engine, db.metadata, uploads_dir(), current_app.config["UPLOAD_ORPHAN_GRACE_S"]))
