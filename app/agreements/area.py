"""The agreement area's registration with the platform (docs/areas.md)."""
from __future__ import annotations

from flask import Flask, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.agreements import demo, models  # noqa: F401 - the area's tables
from app.agreements import notices, queries
from app.agreements.domain import PROCESS_KEY
from app.agreements.cli import evidence_check, pki_init
from app.agreements.routes import bp, verify_bp
from app.platform.areas import Area, DemoData, DocumentLink, NavEntry, TaskDocument
from documents.context import mask_id_number, mask_phone


def _setup(app: Flask) -> None:
    # ID and phone numbers shown masked to roles that may not see them in full (the pages decide who)
    app.add_template_filter(lambda value: mask_id_number(value or ""), "mask_id")
    app.add_template_filter(lambda value: mask_phone(value or ""), "mask_phone")


def _document_to_sign(task_data: dict) -> DocumentLink | None:
    """The agreement PDF as it stands before this signature (the signing tasks show it above the button)."""
    agreement_id = task_data.get("agreement_id")
    doc = queries.latest_document(agreement_id) if isinstance(agreement_id, int) else None
    if doc is None:
        return None
    name = _("Agreement %(number)s (version %(v)s).pdf", number=task_data.get("agreement_number") or agreement_id,
             v=doc.version)
    return DocumentLink(name, url_for("agreements.document", agreement_id=agreement_id, preview=1))


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
    demo=DemoData("agreements", demo.load, after=("identity", "employers")),
    scope_keys=("college", "employer"),
    notification_kinds=notices.KINDS,
    task_notices=notices.TASK_NOTICES,
    task_documents=(TaskDocument(PROCESS_KEY, ("student_sign", "employer_sign", "university_sign"),
                                 _document_to_sign),),
    setup=_setup,
)
