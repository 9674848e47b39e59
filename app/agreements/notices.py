"""What the agreement processes tell people (the agreement area's notification kinds, docs/notifications.md).

- a new offer: the student's answer task, told as "New offer from <employer>";
- returned for correction: the student's or the employer's correction task, with who returned it and why;
- your signature is next: the employer's and the university's signing tasks, saying who signed before;
- in force: the student and the employer who issued the offer;
- 催签 reminders: from the process's reminder timers (`notify.remind`, tasks/agreements.py).

Task-related ones replace the generic "new task" notification of those tasks. The kinds and the task
notices are listed in the area's registration (area.py).
"""
from __future__ import annotations

from sqlalchemy import select

from app.agreements.domain import PROCESS_KEY, agreement_key
from app.agreements.models import Agreement, EvidenceEntry
from app.engine.models import OpenTask
from app.identity.models import Employer, User
from app.notifications import N_, Kind, Notice, TaskNotice, moment, notify, translated
from app.notifications.links import path_for
from app.notifications.task_events import task_candidates
from app.platform.extensions import db

OFFER = Kind(
    "agreement.offer_received", N_("New offer from %(employer)s"),
    N_("%(employer)s offers you the position of %(position)s in %(place)s. Please answer by %(deadline)s."))
RETURNED = Kind(
    "agreement.returned", N_("Returned for correction: %(task)s"),
    N_("%(reviewer)s returned the agreement %(number)s for correction: %(reason)s"))
SIGN_NEXT = Kind(
    "agreement.sign_next", N_("Your signature is next: agreement %(number)s"),
    N_("%(signed)s signed the agreement between %(student)s and %(employer)s. Please sign it as well."))
IN_FORCE = Kind(
    "agreement.in_force", N_("Agreement %(number)s is in force"),
    N_("The agreement between %(student)s and %(employer)s is signed by all three parties."))
REMINDER = Kind(
    "agreement.reminder", N_("Reminder: agreement %(number)s is waiting for you"),
    N_("The agreement between %(student)s and %(employer)s is waiting for you to complete \u201c%(task)s\u201d. "
       "Due: %(due)s"))


def offer_key(agreement_id: int) -> str:
    """The notification key of an offer's announcement to the student (one per agreement)."""
    return f"agreement:{agreement_id}:offered"


def _agreement_of(task) -> Agreement | None:
    key = task.business_key or ""
    return db.session.get(Agreement, int(key[4:])) if key.startswith("AGR-") and key[4:].isdigit() else None


def _parties(agreement: Agreement) -> dict:
    student = db.session.get(User, agreement.student_id)
    employer = db.session.get(Employer, agreement.employer_id)
    return {"student": student.display_name, "employer": employer.name,
            "number": agreement.number or agreement_key(agreement.id)}


def _offer(task) -> Notice | None:
    agreement = _agreement_of(task)
    if agreement is None:
        return None
    terms = agreement.terms or {}
    return Notice(OFFER.name, {**_parties(agreement), "position": terms.get("position", ""),
                               "place": terms.get("work_location", ""),
                               "deadline": moment(agreement.response_deadline)},
                  path_for("tasks.show", task_guid=task.task_guid), offer_key(agreement.id))


def _returned(task) -> Notice | None:
    agreement = _agreement_of(task)
    if agreement is None:
        return None
    last = db.session.execute(select(EvidenceEntry.actor_name, EvidenceEntry.details).where(
        EvidenceEntry.agreement_id == agreement.id, EvidenceEntry.act == "returned")
        .order_by(EvidenceEntry.seq.desc()).limit(1)).one_or_none()
    reason = ((last.details or {}).get("reason") if last else "") or "—"
    return Notice(RETURNED.name, {**_parties(agreement), "task": translated(task.name),
                                  "reviewer": (last.actor_name if last else None) or "—", "reason": reason},
                  path_for("tasks.show", task_guid=task.task_guid))


def _sign_next(signed_by: str):
    def build(task) -> Notice | None:
        agreement = _agreement_of(task)
        if agreement is None:
            return None
        parties = _parties(agreement)
        return Notice(SIGN_NEXT.name, {**parties, "signed": parties[signed_by]},
                      path_for("tasks.show", task_guid=task.task_guid))

    return build


KINDS = (OFFER, RETURNED, SIGN_NEXT, IN_FORCE, REMINDER)
TASK_NOTICES = (
    TaskNotice(PROCESS_KEY, "student_respond", _offer),
    TaskNotice(PROCESS_KEY, "student_revise", _returned),
    TaskNotice(PROCESS_KEY, "employer_revise", _returned),
    TaskNotice(PROCESS_KEY, "employer_sign", _sign_next("student")),
    TaskNotice(PROCESS_KEY, "university_sign", _sign_next("employer")),
)


def in_force(agreement: Agreement) -> int:
    """Tell the student and the employer's user who issued the offer (in the caller's transaction)."""
    return notify([agreement.student_id, agreement.created_by], IN_FORCE.name, params=_parties(agreement),
                  link=path_for("agreements.show", agreement_id=agreement.id), key=f"agreement:{agreement.id}:in_force")


def remind(agreement_id: int, task: OpenTask, key: str) -> tuple[int, list[int]]:
    """催签: remind whoever the signing task waits for. Returns (notifications recorded, recipients)."""
    agreement = db.session.get(Agreement, agreement_id)
    recipients = task_candidates(task)
    recorded = notify(recipients, REMINDER.name,
                      params={**_parties(agreement), "task": translated(task.name),
                              "due": moment(task.due_at) if task.due_at else "—"},
                      link=path_for("tasks.show", task_guid=task.task_guid), key=key)
    return recorded, recipients
