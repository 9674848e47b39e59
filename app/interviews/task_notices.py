"""What the invitation process's tasks say to the person they wait for, instead of the generic "new task"
(app/notifications/task_events.py): the student's answer task is the invitation itself, the employer's answer
to a proposal says what was proposed, the outcome task says the student accepted."""
from __future__ import annotations

from app.interviews import domain, notices
from app.interviews.models import Invitation
from app.interviews.queries import party_names, place_text
from app.notifications import Notice, TaskNotice, moment
from app.notifications.links import path_for
from app.platform.extensions import db


def _invitation_of(task) -> Invitation | None:
    key = task.business_key or ""
    prefix = domain.invitation_key(0)[:-1]
    return db.session.get(Invitation, int(key[len(prefix):])) if key.startswith(prefix) and key[len(prefix):].isdigit() \
        else None


def _answer(task) -> Notice | None:
    invitation = _invitation_of(task)
    if invitation is None:
        return None
    params = {**party_names(invitation), "when": moment(invitation.slot_start), "place": place_text(invitation),
              "deadline": moment(invitation.expires_at)}
    kind = notices.RESCHEDULED if invitation.answered_at is not None else notices.INVITED
    return Notice(kind.name, params, path_for("tasks.show", task_guid=task.task_guid))


def _proposal(task) -> Notice | None:
    invitation = _invitation_of(task)
    if invitation is None or invitation.proposed_start is None:
        return None
    return Notice(notices.PROPOSED.name, {**party_names(invitation), "when": moment(invitation.proposed_start),
                                          "note": invitation.answer_note or ""},
                  path_for("tasks.show", task_guid=task.task_guid))


def _accepted(task) -> Notice | None:
    invitation = _invitation_of(task)
    if invitation is None:
        return None
    return Notice(notices.ACCEPTED.name, {**party_names(invitation), "when": moment(invitation.slot_start)},
                  path_for("invitations.show", invitation_id=invitation.id))


TASK_NOTICES = (
    TaskNotice(domain.INVITATION_KEY, "student_answer", _answer),
    TaskNotice(domain.INVITATION_KEY, "employer_consider", _proposal),
    TaskNotice(domain.INVITATION_KEY, "record_outcome", _accepted),
)
