"""RQ entry points for documents made on request (not by a process step): the audit-trail certificate."""
from __future__ import annotations

from tasks.engine_jobs import _app_context


def make_certificate(agreement_id: int, verify_url: str) -> str:
    """Render and certify the certificate of the agreement's current evidence; safe to run twice."""
    from app.services import agreement_certificate

    with _app_context():
        return str(agreement_certificate.build(agreement_id, verify_url).name)
