"""The tripartite agreement end to end: data -> docx -> PDF with the three empty signature fields."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from documents.context import agreement_context
from documents.render import AGREEMENT_TEMPLATE, docx_to_pdf, render_docx
from documents.settings import DocumentSettings
from documents.sign import prepare_signature_fields


def render_agreement_docx(agreement: Mapping[str, Any], *, reveal_id_number: bool = False,
                          template: Path = AGREEMENT_TEMPLATE) -> bytes:
    return render_docx(template, agreement_context(agreement, reveal_id_number=reveal_id_number))


def render_agreement_pdf(agreement: Mapping[str, Any], settings: DocumentSettings, *,
                         reveal_id_number: bool = False, template: Path = AGREEMENT_TEMPLATE) -> bytes:
    """The PDF the three parties sign: rendered, converted by the long-lived LibreOffice, fields added."""
    docx = render_agreement_docx(agreement, reveal_id_number=reveal_id_number, template=template)
    return prepare_signature_fields(docx_to_pdf(docx, settings))
