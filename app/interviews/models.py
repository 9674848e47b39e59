"""Tables of recruiting: positions (and their search tokens and majors), applications and résumé access,
job fairs with halls, booths, booth applications and registrations, interview invitations, and the on-site
queue's tickets with every transition (the durable side of the queue; Redis holds the fast copy)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.interviews.domain import BOOTH_LIVE
from app.interviews.queue_rules import ACTIVE
from app.platform.db_types import BigId, Json, UTCDateTime, utcnow
from app.platform.extensions import db


def _in(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Position(db.Model):
    """A job posting (招聘岗位) and the terms an offer for it carries."""

    __tablename__ = "job_position"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    title: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(Text)
    degree: Mapped[str] = mapped_column(String(10))       # 不限 | 专科 | 本科 | 硕士 | 博士 (at least)
    city: Mapped[str] = mapped_column(String(40), index=True)
    work_location: Mapped[str] = mapped_column(String(100))
    pay_min: Mapped[int] = mapped_column(Integer)         # yuan per month, before tax
    pay_max: Mapped[int] = mapped_column(Integer)
    headcount: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date | None] = mapped_column(Date)
    probation_months: Mapped[int] = mapped_column(Integer)
    contract_years: Mapped[int] = mapped_column(Integer)
    breach_terms: Mapped[str] = mapped_column(Text)
    other_clauses: Mapped[str] = mapped_column(Text, default="")
    archive_address: Mapped[str] = mapped_column(String(200))
    hukou_transfer: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), index=True)  # domain.POSITION_STATUSES
    flags: Mapped[list] = mapped_column(Json, default=list)       # wording.Flag.as_dict() of the last check
    review_comment: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    search_text: Mapped[str] = mapped_column(Text, default="")    # text_search.normalise(...) of the posting
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class PositionMajor(db.Model):
    """The majors a position asks for (none: any major)."""

    __tablename__ = "job_position_major"

    position_id: Mapped[int] = mapped_column(ForeignKey("job_position.id", ondelete="CASCADE"), primary_key=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major.id"), primary_key=True, index=True)


class PositionToken(db.Model):
    """Search tokens of a position (text_search.tokens), one row per distinct token: found by token."""

    __tablename__ = "job_position_token"

    token: Mapped[str] = mapped_column(String(8), primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("job_position.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)


class Application(db.Model):
    """A student's application for a position, with the résumé file he sent."""

    __tablename__ = "job_application"
    __table_args__ = (UniqueConstraint("position_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("job_position.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # domain.APPLICATION_STATUSES
    resume: Mapped[dict] = mapped_column(Json)                    # upload reference (app/forms/uploads.py)
    note: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str | None] = mapped_column(Text)              # why not selected, shown to the student
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ResumeAccess(db.Model):
    """Who opened or downloaded a student's résumé (the student sees the list)."""

    __tablename__ = "resume_access"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("job_application.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobFair(db.Model):
    """A job fair (双选会): a day, a venue with halls and booths, a capacity of students."""

    __tablename__ = "job_fair"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    day: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(String(200))
    capacity: Mapped[int] = mapped_column(Integer)
    registered: Mapped[int] = mapped_column(Integer, default=0)  # kept by UPDATE ... WHERE registered < capacity
    booth_deadline: Mapped[date] = mapped_column(Date)
    no_show_minutes: Mapped[int] = mapped_column(Integer, default=3)
    pause_minutes: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[str] = mapped_column(String(20), index=True)  # domain.FAIR_STATUSES
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FairHall(db.Model):
    __tablename__ = "fair_hall"
    __table_args__ = (UniqueConstraint("fair_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("job_fair.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(4))
    name: Mapped[str] = mapped_column(String(60))
    rows: Mapped[int] = mapped_column(Integer)
    cols: Mapped[int] = mapped_column(Integer)


class Booth(db.Model):
    """A booth on a hall's grid; an employer once its booth application is approved."""

    __tablename__ = "fair_booth"
    __table_args__ = (UniqueConstraint("fair_id", "code"), UniqueConstraint("hall_id", "row", "col"),
                      Index("uq_fair_booth_employer", "fair_id", "employer_id", unique=True,
                            sqlite_where=text("employer_id IS NOT NULL"),
                            postgresql_where=text("employer_id IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("job_fair.id", ondelete="CASCADE"), index=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("fair_hall.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(8))
    row: Mapped[int] = mapped_column(Integer)
    col: Mapped[int] = mapped_column(Integer)
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"), index=True)


class BoothApplication(db.Model):
    """An employer's request for a booth at a fair, with the positions it brings (approved by staff)."""

    __tablename__ = "booth_application"
    __table_args__ = (Index("uq_booth_application_live", "fair_id", "employer_id", unique=True,
                            sqlite_where=text(_in(BOOTH_LIVE)), postgresql_where=text(_in(BOOTH_LIVE))),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("job_fair.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    positions: Mapped[list] = mapped_column(Json, default=list)  # position ids
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), index=True)  # domain.BOOTH_STATUSES
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("fair_booth.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FairRegistration(db.Model):
    __tablename__ = "fair_registration"
    __table_args__ = (UniqueConstraint("fair_id", "student_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("job_fair.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Invitation(db.Model):
    """An interview invitation (面试邀约) and its process (bpmn/interviews/interview_invitation.bpmn)."""

    __tablename__ = "interview_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("job_position.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("job_application.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(20), index=True)  # domain.INVITATION_STATUSES
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime)
    place_kind: Mapped[str] = mapped_column(String(10))          # booth | room | online
    booth_id: Mapped[int | None] = mapped_column(ForeignKey("fair_booth.id"), index=True)
    room: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(500))
    message: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    proposed_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposed_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_note: Mapped[str | None] = mapped_column(Text)        # the decline reason or the proposal's note
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(String(10))  # student | employer
    outcome: Mapped[str | None] = mapped_column(String(20))      # domain.OUTCOMES of the last round
    outcome_note: Mapped[str | None] = mapped_column(Text)
    agreement_id: Mapped[int | None] = mapped_column(Integer)    # the agreement area's (its public services)
    agreement_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QueueTicket(db.Model):
    """A student's place in a booth's queue; every change is also a QueueEvent row. Redis's copy of the
    waiting queues is rebuilt from these rows (order_key, status) whenever it is lost."""

    __tablename__ = "queue_ticket"
    __table_args__ = (
        UniqueConstraint("booth_id", "number"),
        Index("uq_queue_ticket_active", "booth_id", "student_id", unique=True,
              sqlite_where=text(_in(ACTIVE)), postgresql_where=text(_in(ACTIVE))),
        Index("ix_queue_ticket_fair_status", "fair_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    fair_id: Mapped[int] = mapped_column(ForeignKey("job_fair.id"))
    booth_id: Mapped[int] = mapped_column(ForeignKey("fair_booth.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)                 # shown on the boards, per booth
    order_key: Mapped[int] = mapped_column(BigInteger)           # queue_rules.order_key
    invited: Mapped[bool] = mapped_column(Boolean, default=False)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("interview_invitation.id"))
    status: Mapped[str] = mapped_column(String(20))              # queue_rules.STATES
    requeues: Mapped[int] = mapped_column(Integer, default=0)
    via: Mapped[str] = mapped_column(String(10))                 # qr | kiosk
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    called_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20))
    agreement_id: Mapped[int | None] = mapped_column(Integer)


class QueueEvent(db.Model):
    """One transition of a ticket (append-only): the queue's history, read by the reports."""

    __tablename__ = "queue_ticket_event"
    __table_args__ = (Index("ix_queue_ticket_event_fair_kind", "fair_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("queue_ticket.id"), index=True)
    fair_id: Mapped[int] = mapped_column(Integer)
    booth_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(20))                # queue_rules.EVENTS
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict | None] = mapped_column(Json)
