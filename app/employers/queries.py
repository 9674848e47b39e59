"""Reading employer organisations: what other areas may ask (through these functions only), and the
qualification outcome shown to an employer."""
from __future__ import annotations

from sqlalchemy import select

from app import engine
from app.employers.domain import PENDING, PROCESS_KEY, STATUS_LABELS, employer_key, may_issue_offers
from app.engine.models import ProcessInstance
from app.identity.models import Employer, User
from app.platform.extensions import db


class UnknownEmployer(Exception):
    """No employer organisation has this id."""


def employer(employer_id: int) -> Employer | None:
    return db.session.get(Employer, employer_id)


def is_approved(found: Employer | None) -> bool:
    """Whether this organisation passed the qualification review (only then may it issue offers)."""
    return found is not None and may_issue_offers(found.status)


def user_ids(employer_id: int) -> list[int]:
    """The organisation's active accounts with the employer role."""
    users = db.session.execute(select(User).where(User.employer_id == employer_id, User.active.is_(True))).scalars()
    return [u.id for u in users if "employer" in u.role_names]


def qualification_outcome(employer_id: int) -> dict:
    """Status, and the reviewer's comment once decided (to show the employer why it was rejected)."""
    found = employer(employer_id)
    if found is None:
        raise UnknownEmployer(employer_id)
    outcome = {"status": found.status, "label": STATUS_LABELS.get(found.status, found.status),
               "comment": None, "reviewed_at": found.reviewed_at}
    instance_id = db.session.execute(select(ProcessInstance.id).where(
        ProcessInstance.process_key == PROCESS_KEY, ProcessInstance.business_key == employer_key(employer_id))
        .order_by(ProcessInstance.id.desc()).limit(1)).scalar()
    if instance_id is not None and found.status != PENDING:
        outcome["comment"] = engine.get_state(instance_id).data.get("qualification_comment")
    return outcome
