"""Public verification of a signed agreement: anyone uploads a PDF and sees who signed it, when, whether it is
intact and trusted, and whether it is a document on record (the agreement number only, no personal data)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from app.web.security import public, rate_limited

bp = Blueprint("verify", __name__)

MAX_PDF = 20 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


@dataclass
class Match:
    number: str | None
    agreement_id: int | None  # only when the viewer may open the agreement
    version: int


def trust_roots() -> list[Path]:
    """The installation CA's certificate, when the installation has made one (it signs every party's cert)."""
    from app.services.agreement_documents import document_settings
    from documents import pki

    path = pki.ca_certificate_path(document_settings())
    return [path] if path.is_file() else []


def _match(sha256: str) -> Match | None:
    from app.services import agreement_queries as queries
    from app.services import agreements

    found = agreements.match_document(sha256)
    if found is None:
        return None
    agreement, doc = found
    match = Match(agreement.number, None, doc.version)
    actor_id = None
    if current_user.is_authenticated:
        from app.web.security import principal

        actor_id = principal().id
        if queries.visible_agreement(principal(), agreement.id)[0] is not None:
            match.agreement_id = agreement.id
    # the audit trail shows that (and from where) a copy of this document was checked
    agreements.record_act(agreement.id, "verified", actor_id, remote_addr=request.remote_addr,
                          details={"version": match.version}, document_sha256=sha256)
    return match


def _page(status: int = 200, error: str | None = None, report=None, match: Match | None = None,
          filename: str | None = None):
    return render_template("verify/index.html", error=error, report=report, match=match, filename=filename,
                           max_size=MAX_PDF // (1024 * 1024)), status


@bp.route("/verify", methods=["GET", "POST"])
@public
@rate_limited
def verify():
    if request.method == "GET":
        return _page()
    upload = request.files.get("pdf")
    if upload is None or not upload.filename:
        return _page(400, _("Choose a PDF file to verify."))
    content = upload.stream.read(MAX_PDF + 1)
    if len(content) > MAX_PDF:
        return _page(413, _("The file is larger than %(n)s MB.", n=MAX_PDF // (1024 * 1024)))
    if not content:
        return _page(422, _("The file is empty."))
    if PDF_MAGIC not in content[:1024]:
        return _page(422, _("This is not a PDF file. Upload the signed agreement as you received it (a .pdf file)."))
    from documents.verify import verify_pdf

    try:
        report = verify_pdf(content, trust_roots=trust_roots())
    except Exception:  # noqa: BLE001 - a damaged or hostile file must give a clear answer, never a 500
        current_app.logger.info("verify: unreadable PDF upload (%s bytes)", len(content), exc_info=True)
        return _page(422, _("This PDF could not be read. It may be damaged or not a complete PDF file."))
    return _page(200, report=report, match=_match(report.sha256), filename=upload.filename)
