"""The recommendation area's documents: the form (就业推荐表) of an approved request, for its student only
(the student who asked for it, on an instance they may see; nobody else prints or downloads it).

`issued_to(principal)` lists them; `issued(principal, instance_id)` is the one rule every use goes through;
`form_pdf(instance_id)` renders it (LibreOffice: only in a worker)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app import engine
from app.engine.models import ProcessInstance
from app.identity.principal import Principal
from app.platform.clock import local_text
from app.platform.extensions import db
from app.platform.uow import read_only
from app.processes.queries import visible_instance

PROCESS_KEY = "employment_recommendation"
ISSUED_END = "issued"  # the end event of an approved request


@dataclass(frozen=True)
class IssuedForm:
    instance_id: int
    issued_at: str
    target_city: str


def issued(principal: Principal, instance_id: int) -> IssuedForm | None:
    """The approved request `instance_id` when `principal` is the student it was issued to, else None."""
    instance = visible_instance(principal, instance_id)
    if (instance is None or instance.process_key != PROCESS_KEY or instance.started_by != principal.id
            or instance.status != "completed"):
        return None
    state = engine.get_state(instance_id)
    if ISSUED_END not in state.completed_elements:
        return None
    return IssuedForm(instance_id, local_text(instance.ended_at), str(state.data.get("target_city") or ""))


def issued_to(principal: Principal, limit: int = 10) -> list[IssuedForm]:
    ids = db.session.execute(select(ProcessInstance.id).where(
        ProcessInstance.process_key == PROCESS_KEY, ProcessInstance.started_by == principal.id,
        ProcessInstance.status == "completed").order_by(ProcessInstance.id.desc()).limit(limit)).scalars().all()
    return [form for form in (issued(principal, i) for i in ids) if form is not None]


def form_pdf(instance_id: int) -> bytes:
    """The form as PDF (worker only: LibreOffice)."""
    from app.platform.document_settings import document_settings
    from documents.recommendation import form_docx
    from documents.render import docx_to_pdf

    settings = document_settings()
    with read_only():  # the transaction ends before LibreOffice works
        instance = db.session.get(ProcessInstance, instance_id)
        docx = form_docx(engine.get_state(instance_id).data, settings.university_name,
                         local_text(instance.ended_at, "%Y-%m-%d"))
    return docx_to_pdf(docx, settings)
