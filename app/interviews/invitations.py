"""Interview invitations (面试邀约): the employer's invitation and its process
(bpmn/interviews/interview_invitation.bpmn), the steps its service tasks take (tasks/interviews.py), and
cancelling by either side.

The student answers (accept, decline, propose another slot) in his inbox before the invitation expires
(a boundary timer); a proposal goes to the employer, who accepts it, offers another slot or withdraws; before
the interview both are reminded (a timer); afterwards the employer records the outcome (in the inbox, or at
the booth console for a student invited to a fair's booth): a next round loops back to a new invitation, an
offer starts the tripartite agreement (app/interviews/offers.py), both instances linked to each other.
Every step is safe to run twice: it looks at the invitation's status first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import engine
from app.agreements import queries as agreement_queries
from app.employers import queries as employers
from app.engine.models import OpenTask
from app.identity.models import Employer, Student, User
from app.interviews import domain, notices, offers
from app.interviews.queries import party_names, place_text
from app.interviews.models import Application, Booth, Invitation, JobFair, Position
from app.notifications import moment, notify
from app.notifications.links import path_for
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work

OUTCOME_TASK = "record_outcome"


class InvitationError(Exception):
    """A refused invitation action; the message (translated when shown) is for the person who acted.
    `field` names the form field at fault, when there is one."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Place:
    kind: str
    booth_id: int | None = None
    room: str = ""
    online_url: str = ""


def _local(moment_: datetime) -> str:
    return moment_.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def when_text(start: datetime, end: datetime) -> str:
    """The slot as the process's texts say it (the office's time zone)."""
    same_day = start.astimezone(LOCAL_TZ).date() == end.astimezone(LOCAL_TZ).date()
    return f"{_local(start)}–{end.astimezone(LOCAL_TZ).strftime('%H:%M') if same_day else _local(end)}"


def _lock(invitation_id: int) -> Invitation:
    found = db.session.execute(select(Invitation).where(Invitation.id == invitation_id).with_for_update()
                               ).scalar_one_or_none()
    if found is None:
        raise InvitationError(_l("There is no such invitation."))
    return found


def _move(invitation: Invitation, target: str) -> None:
    if not domain.can_move_invitation(invitation.status, target):
        raise InvitationError(_l("This invitation can no longer change (it is %(status)s).",
                                 status=invitation.status))
    invitation.status = target
    if target in (domain.DECLINED, domain.EXPIRED, domain.CANCELLED, domain.OFFERED, domain.NOT_PASSED):
        invitation.closed_at = utcnow()


def _employer_users(invitation: Invitation) -> list[int]:
    return employers.user_ids(invitation.employer_id)


def process_data(invitation: Invitation) -> dict:
    """What the process needs to show and time (refreshed whenever a slot changes)."""
    return {
        "when_text": when_text(invitation.slot_start, invitation.slot_end), "place_text": place_text(invitation),
        "expires_at": invitation.expires_at.isoformat(),
        "expires_text": _local(invitation.expires_at),
        "remind_at": domain.reminder_at(invitation.slot_start, utcnow()).isoformat(),
        "interview_round": invitation.round, "invitation_message": invitation.message or "",
    }


# -- the employer invites ----------------------------------------------------------------------------------

SLOT_MESSAGES = {"past": _l("Choose a time in the future."),
                 "slot": _l("The end must come after the start, within 12 hours."),
                 "after_start": _l("The answer is needed before the interview starts.")}


def check_slot(slot: domain.Slot, expires_at: datetime, now: datetime) -> None:
    problems = domain.slot_problems(slot, expires_at, now)
    if problems:
        field, code = next(iter(problems.items()))
        raise InvitationError(SLOT_MESSAGES[code], field)


def _check_place(employer_id: int, place: Place) -> None:
    problems = domain.place_problems(place.kind, place.booth_id, place.room, place.online_url)
    if problems:
        field, _code = next(iter(problems.items()))
        messages = {"place_kind": _l("Choose where the interview takes place."),
                    "booth_id": _l("Choose your booth."), "room": _l("Say which room (2 to 200 characters)."),
                    "online_url": _l("Give the meeting link (an https:// address).")}
        raise InvitationError(messages[field], field)
    if place.kind == domain.PLACE_BOOTH:
        booth = db.session.execute(select(Booth.employer_id, JobFair.status).join(JobFair, JobFair.id == Booth.fair_id)
                                   .where(Booth.id == place.booth_id)).one_or_none()
        if booth is None or booth.employer_id != employer_id or booth.status != domain.FAIR_OPEN:
            raise InvitationError(_l("Choose one of your booths at a fair that is open."), "booth_id")


def invite(employer_user_id: int, student_id: int, position_id: int, slot: domain.Slot, place: Place,
           expires_at: datetime, message: str = "", application_id: int | None = None,
           now: datetime | None = None) -> int:
    """The employer invites a student to an interview for one of its published positions; returns the
    invitation id (its process started: the student's answer waits in his inbox)."""
    now = now or utcnow()
    message = (message or "").strip()
    if len(message) > domain.MAX_INVITATION_TEXT:
        raise InvitationError(_l("At most %(n)s characters.", n=domain.MAX_INVITATION_TEXT), "message")
    check_slot(slot, expires_at, now)
    with unit_of_work() as uow:
        user = uow.get(User, employer_user_id)
        if user is None or not user.active or user.employer_id is None or "employer" not in user.role_names:
            raise InvitationError(_l("Only employer accounts send interview invitations."))
        employer = employers.employer(user.employer_id)
        if not employers.is_approved(employer):
            raise InvitationError(_l("Your organisation's qualification has not been approved yet."))
        position = uow.get(Position, position_id)
        if position is None or position.employer_id != employer.id or position.status != domain.PUBLISHED:
            raise InvitationError(_l("Choose one of your published positions."), "position_id")
        student = uow.get(Student, student_id)
        student_user = uow.get(User, student_id)
        if student is None or student_user is None or not student_user.active:
            raise InvitationError(_l("There is no such student."), "student_no")
        if application_id is not None:
            application = uow.get(Application, application_id)
            if (application is None or application.position_id != position_id or application.student_id != student_id
                    or application.status in (domain.WITHDRAWN, domain.NOT_SELECTED)):
                raise InvitationError(_l("This application cannot lead to an invitation."))
        _check_place(employer.id, place)
        already = uow.execute(select(Invitation.id).where(
            Invitation.student_id == student_id, Invitation.position_id == position_id,
            Invitation.status.in_(domain.OPEN_INVITATION))).first()
        if already is not None:
            raise InvitationError(_l("This student already has an open invitation for this position."))
        try:
            definition = engine.latest_definition(domain.INVITATION_KEY)
        except engine.NotFound:
            raise InvitationError(_l("The invitation process is not deployed; ask an administrator.")) from None
        invitation = Invitation(
            employer_id=employer.id, student_id=student_id, position_id=position_id, application_id=application_id,
            round=1, status=domain.INVITED, slot_start=slot.start, slot_end=slot.end, place_kind=place.kind,
            booth_id=place.booth_id if place.kind == domain.PLACE_BOOTH else None,
            room=place.room.strip() if place.kind == domain.PLACE_ROOM else None,
            online_url=place.online_url.strip() if place.kind == domain.PLACE_ONLINE else None,
            message=message, expires_at=expires_at, created_by=user.id, created_at=now)
        uow.add(invitation)
        uow.flush()
        data = {
            "invitation_id": invitation.id, "invitation_key": domain.invitation_key(invitation.id),
            "lane_owners": {"student": [student_id], "employer": employers.user_ids(employer.id)},
            "student_name": student_user.display_name, "student_no": student.student_no,
            "employer_name": employer.name, "position_title": position.title, "position_id": position.id,
            **process_data(invitation),
        }
        invitation.instance_id = engine.start_instance(
            definition, data, business_key=domain.invitation_key(invitation.id), started_by=user.id,
            scope={"college": student.college_id, "employer": employer.id})
        uow.commit()
        return invitation.id


def cancel(invitation_id: int, user_id: int, party: str, reason: str) -> None:
    """Either side calls the interview off (until its outcome is recorded); the other side is told."""
    reason = (reason or "").strip()
    if not 2 <= len(reason) <= domain.MAX_INVITATION_TEXT:
        raise InvitationError(_l("Give a reason (2 to %(n)s characters).", n=domain.MAX_INVITATION_TEXT), "reason")
    with unit_of_work() as uow:
        invitation = _lock(invitation_id)
        if party not in ("student", "employer"):
            raise InvitationError(_l("Only the student or the employer can cancel."))
        if invitation.status not in domain.OPEN_INVITATION:
            raise InvitationError(_l("This invitation is already closed."))
        _move(invitation, domain.CANCELLED)
        invitation.cancel_reason, invitation.cancelled_by = reason, party
        try:
            engine.deliver_message(domain.CANCEL_MESSAGE, {"cancel_reason": reason, "cancelled_by": party},
                                   {"business_key": domain.invitation_key(invitation_id)}, actor_id=user_id)
        except engine.CorrelationError:
            raise InvitationError(_l("This invitation is already closed.")) from None
        names = party_names(invitation)
        others = _employer_users(invitation) if party == "student" else [invitation.student_id]
        notify(others, notices.CANCELLED.name,
               params={**names, "who": names["student"] if party == "student" else names["employer"],
                       "when": moment(invitation.slot_start), "reason": reason},
               link=path_for("invitations.show", invitation_id=invitation_id), key=f"invitation:{invitation_id}:cancelled")
        uow.commit()


def outcome_at_booth(invitation_id: int, actor_id: int, outcome: str, note: str,
                     offer: offers.OfferRequest | None) -> bool:
    """The booth console finished an invited student's interview: record it as the invitation's outcome
    (its `record_outcome` task, in the caller's transaction). False when the invitation waits for no outcome
    (cancelled meanwhile, or answered elsewhere): the caller then treats the student as a walk-in."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.status != domain.ACCEPTED or invitation.instance_id is None:
        return False
    guid = db.session.execute(select(OpenTask.task_guid).where(
        OpenTask.instance_id == invitation.instance_id, OpenTask.spec_id == OUTCOME_TASK)).scalar()
    if guid is None:
        return False
    data = {"outcome": outcome, "outcome_note": note or ""}
    if outcome == domain.OUTCOME_OFFER and offer is not None:
        data.update(offer_position_id=offer.position_id, offer_pay=offer.monthly_pay or 0)
    engine.complete_task(guid, data, actor_id)
    return True


# -- steps of the process (tasks/interviews.py; each safe to run twice) ------------------------------------------

def record_answer(invitation_id: int, answer: str, note: str, proposed_start: str | None,
                  proposed_end: str | None, actor_id: int | None) -> dict:
    """The student's answer: accept, decline (the employer is told), or propose another time."""
    with unit_of_work() as uow:
        invitation = _lock(invitation_id)
        if invitation.status != domain.INVITED:  # recorded already (a re-run), or closed meanwhile
            return {"status": invitation.status}
        target = domain.answer_status(answer)
        result = {"status": target}
        if target == domain.PROPOSED:  # the form asks for a time in the future; the length stays
            start = _parse(proposed_start)
            invitation.proposed_start = start
            invitation.proposed_end = _parse(proposed_end) or start + (invitation.slot_end - invitation.slot_start)
            start, end = invitation.proposed_start, invitation.proposed_end
            result["proposed_text"] = when_text(start, end)
        _move(invitation, target)
        invitation.answered_at = utcnow()
        invitation.answer_note = (note or "").strip()[: domain.MAX_INVITATION_TEXT] or None
        if target == domain.DECLINED:
            notify(_employer_users(invitation), notices.DECLINED.name,
                   params={**party_names(invitation), "reason": invitation.answer_note or "—"},
                   link=path_for("invitations.show", invitation_id=invitation_id),
                   key=f"invitation:{invitation_id}:declined")
        elif target == domain.ACCEPTED:
            result["remind_at"] = domain.reminder_at(invitation.slot_start, utcnow()).isoformat()
        uow.commit()
        return result


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_TZ)


def record_counter(invitation_id: int, decision: str, new_start: str | None, new_end: str | None,
                   new_expires: str | None, note: str, actor_id: int | None) -> dict:
    """The employer's answer to a proposed slot: accept it, offer another one (answered by the student before
    it starts, at the latest), or withdraw."""
    with unit_of_work() as uow:
        invitation = _lock(invitation_id)
        if invitation.status != domain.PROPOSED:
            return {"status": invitation.status, **process_data(invitation)}
        names = party_names(invitation)
        if decision == domain.COUNTER_ACCEPT:
            invitation.slot_start, invitation.slot_end = invitation.proposed_start, invitation.proposed_end
            _move(invitation, domain.ACCEPTED)
        elif decision == domain.COUNTER_NEW_SLOT:
            start = _parse(new_start)
            end = _parse(new_end) or start + (invitation.slot_end - invitation.slot_start)
            invitation.slot_start, invitation.slot_end = start, end
            invitation.expires_at = min(_parse(new_expires) or start, start)
            _move(invitation, domain.INVITED)
        else:
            _move(invitation, domain.CANCELLED)
            invitation.cancelled_by, invitation.cancel_reason = "employer", (note or "").strip() or None
        invitation.proposed_start = invitation.proposed_end = None
        link = path_for("invitations.show", invitation_id=invitation_id)
        if invitation.status == domain.CANCELLED:
            notify([invitation.student_id], notices.CANCELLED.name,
                   params={**names, "who": names["employer"], "when": moment(invitation.slot_start),
                           "reason": invitation.cancel_reason or "—"},
                   link=link, key=f"invitation:{invitation_id}:cancelled")
        elif invitation.status == domain.ACCEPTED:
            notify([invitation.student_id], notices.RESCHEDULED.name,
                   params={**names, "when": moment(invitation.slot_start), "place": place_text(invitation)},
                   link=link, key=f"invitation:{invitation_id}:slot:{invitation.slot_start.isoformat()}")
        result = {"status": invitation.status, **process_data(invitation)}
        uow.commit()
        return result


def expire(invitation_id: int) -> dict:
    """No answer before the deadline (the boundary timer): expired, the employer is told."""
    with unit_of_work() as uow:
        invitation = _lock(invitation_id)
        if invitation.status not in (domain.INVITED, domain.PROPOSED):
            return {"status": invitation.status}
        _move(invitation, domain.EXPIRED)
        notify(_employer_users(invitation), notices.EXPIRED.name, params=party_names(invitation),
               link=path_for("invitations.show", invitation_id=invitation_id), key=f"invitation:{invitation_id}:expired")
        uow.commit()
        return {"status": domain.EXPIRED}


def remind(invitation_id: int, key: str, now: datetime | None = None) -> int:
    """Before the interview (the reminder timer): both sides, once per timer firing; nothing once it is past
    or the invitation is closed. Returns how many were notified."""
    now = now or utcnow()
    with unit_of_work() as uow:
        invitation = uow.get(Invitation, invitation_id)
        if invitation is None or not domain.should_remind(invitation.slot_start, now, invitation.status):
            return 0
        sent = notify([invitation.student_id, *_employer_users(invitation)], notices.REMINDER.name,
                      params={**party_names(invitation), "when": moment(invitation.slot_start),
                              "place": place_text(invitation)},
                      link=path_for("invitations.show", invitation_id=invitation_id), key=key)
        uow.commit()
        return sent


def record_outcome(invitation_id: int, outcome: str, note: str, offer_position_id: int | None,
                   offer_pay: int | None, actor_id: int | None) -> dict:
    """The employer's outcome after the interview: offer (made by the next step), next round (scheduled by
    the employer next), or not passed (the student is told)."""
    if outcome not in domain.OUTCOMES:
        raise InvitationError(_l("Choose the outcome of the interview."))
    with unit_of_work() as uow:
        invitation = _lock(invitation_id)
        if invitation.status != domain.ACCEPTED:
            return {"status": invitation.status, "outcome": invitation.outcome}
        invitation.outcome, invitation.outcome_note = outcome, (note or "").strip() or None
        if outcome == domain.OUTCOME_REJECT:
            _move(invitation, domain.NOT_PASSED)
        if outcome != domain.OUTCOME_OFFER:
            offers.tell_outcome(invitation.student_id, invitation.employer_id, outcome, invitation.position_id,
                                invitation.outcome_note or "", key=f"invitation:{invitation_id}:outcome:{invitation.round}")
        result = {"status": invitation.status, "outcome": outcome,
                  "offer_position_id": offer_position_id or invitation.position_id, "offer_pay": offer_pay or None}
        uow.commit()
        return result


def make_offer(invitation_id: int, actor_id: int | None, offer_position_id: int | None, offer_pay: int | None,
               remote_addr: str | None = None) -> dict:
    """The offer after the interview: the tripartite agreement's process is started with the position's terms;
    the invitation keeps the agreement and its process, the agreement links back (both instances linked)."""
    with unit_of_work() as uow:
        invitation = _lock(invitation_id)
        if invitation.agreement_id is not None:  # made already (a re-run)
            return {"agreement_id": invitation.agreement_id, "agreement_instance_id": invitation.agreement_instance_id}
        if invitation.status != domain.ACCEPTED or invitation.outcome != domain.OUTCOME_OFFER:
            return {"agreement_id": None, "status": invitation.status}
        issuer = actor_id if actor_id in _employer_users(invitation) else invitation.created_by
        agreement_id = offers.make_offer(
            issuer, invitation.student_id,
            offers.OfferRequest(offer_position_id or invitation.position_id, offer_pay or None), invitation.employer_id,
            origin={"path": path_for("invitations.show", invitation_id=invitation_id),
                    "instance_id": invitation.instance_id},
            remote_addr=remote_addr, key=f"invitation:{invitation_id}:offer")
        _status, agreement_instance = agreement_queries.agreement_links([agreement_id])[agreement_id]
        invitation.agreement_id, invitation.agreement_instance_id = agreement_id, agreement_instance
        _move(invitation, domain.OFFERED)
        uow.commit()
        return {"agreement_id": agreement_id, "agreement_instance_id": agreement_instance}


def schedule_next_round(invitation_id: int, slot_start: str, slot_end: str | None, expires_at: str,
                        place_kind: str, room: str, online_url: str, message: str, actor_id: int | None) -> dict:
    """The next round's invitation (after "next round"): a new slot and place (the form asks for times in the
    future, a room or an https link); the student answers again, before it starts at the latest."""
    with unit_of_work() as uow:
        invitation = _lock(invitation_id)
        if invitation.status != domain.ACCEPTED or invitation.outcome != domain.OUTCOME_NEXT_ROUND:
            return {"status": invitation.status, **process_data(invitation)}
        start = _parse(slot_start)
        end = _parse(slot_end) or start + (invitation.slot_end - invitation.slot_start)
        place = Place(place_kind, None, room or "", online_url or "")
        invitation.slot_start, invitation.slot_end = start, end
        invitation.expires_at = min(_parse(expires_at) or start, start)
        invitation.place_kind, invitation.booth_id = place.kind, None
        invitation.room = place.room.strip() if place.kind == domain.PLACE_ROOM else None
        invitation.online_url = place.online_url.strip() if place.kind == domain.PLACE_ONLINE else None
        invitation.message = (message or "").strip()[: domain.MAX_INVITATION_TEXT]
        invitation.round += 1
        invitation.outcome = invitation.outcome_note = invitation.answer_note = invitation.answered_at = None
        _move(invitation, domain.INVITED)
        result = {"status": invitation.status, **process_data(invitation)}
        uow.commit()
        return result
