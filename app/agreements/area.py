"""The agreement area's registration with the platform (docs/areas.md)."""
from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.agreements import models  # noqa: F401 - the area's tables
from app.agreements import notices
from app.agreements.cli import evidence_check, pki_init
from app.agreements.routes import bp, verify_bp
from app.platform.areas import Area, NavEntry
from documents.context import mask_id_number, mask_phone


def _setup(app: Flask) -> None:
    # ID and phone numbers shown masked to roles that may not see them in full (the pages decide who)
    app.add_template_filter(lambda value: mask_id_number(value or ""), "mask_id")
    app.add_template_filter(lambda value: mask_phone(value or ""), "mask_phone")


AREA = Area(
    name="agreements",
    label=_l("Agreements"),
    package="app.agreements",
    blueprints=(bp, verify_bp),
    operations=("tasks.agreements",),
    nav=(NavEntry(_l("Agreements"), "agreements.index", permission="agreement.view", order=40),
         NavEntry(_l("Issue an offer"), "agreements.new", permission="agreement.issue", order=50),
         NavEntry(_l("Verify a signed agreement"), "verify.verify", place="footer", order=10)),
    cli=(evidence_check, pki_init),
    scope_keys=("college", "employer"),
    notification_kinds=notices.KINDS,
    task_notices=notices.TASK_NOTICES,
    setup=_setup,
)
