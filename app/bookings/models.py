"""Tables of device and room booking: the resource catalogue, bookings (also the waitlist: a booking row that
waits for a taken slot), each person's booking credit and its history.

No two bookings holding a resource may overlap: on PostgreSQL an exclusion constraint over
tstzrange(start_at, end_at) per resource (btree_gist), on SQLite triggers that refuse the overlapping write
(the migration creates both; `HOLDING` is the list of statuses that occupy the time)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db_types import Json, UTCDateTime, UTCTimestamp, utcnow
from app.platform.extensions import db


class Resource(db.Model):
    """A bookable thing of the career centre: a recording studio, an interview room, a print robot, a big
    screen; with its booking mode, schedule, who may book it and the gateway devices it controls."""

    __tablename__ = "booking_resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20), index=True)          # domain.RESOURCE_KINDS
    location: Mapped[str] = mapped_column(String(100), default="")
    booking_mode: Mapped[str] = mapped_column(String(10))              # domain.BOOKING_MODES
    opens: Mapped[str] = mapped_column(String(5))                      # "08:00", local time
    closes: Mapped[str] = mapped_column(String(5))
    closed_weekdays: Mapped[list] = mapped_column(Json, default=list)  # 0 = Monday
    closed_dates: Mapped[list] = mapped_column(Json, default=list)     # ISO dates
    slot_minutes: Mapped[int] = mapped_column(Integer)
    max_minutes: Mapped[int] = mapped_column(Integer)
    advance_days: Mapped[int] = mapped_column(Integer)
    grace_minutes: Mapped[int] = mapped_column(Integer)
    remind_minutes: Mapped[int] = mapped_column(Integer)
    roles: Mapped[list] = mapped_column(Json, default=list)            # roles that may book it
    devices: Mapped[list] = mapped_column(Json, default=list)          # [{"id": "studio-1", "kind": "studio"}]
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Booking(db.Model):
    """One booking of a resource for a time, or a place in its waitlist (status waitlisted/offered)."""

    __tablename__ = "booking"
    __table_args__ = (Index("ix_booking_resource_time", "resource_id", "start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("booking_resource.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    college_id: Mapped[int | None] = mapped_column(ForeignKey("college.id"))  # the booker's, for statistics
    purpose: Mapped[str] = mapped_column(String(200))
    start_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    end_at: Mapped[datetime] = mapped_column(UTCTimestamp)
    status: Mapped[str] = mapped_column(String(12), index=True)        # domain.BOOKING_STATUSES
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    grace_until: Mapped[datetime] = mapped_column(UTCDateTime)
    offer_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recording: Mapped[dict | None] = mapped_column(Json)               # RecordingFile.to_json() + local path
    device_log: Mapped[list] = mapped_column(Json, default=list)       # what the devices were told, and said
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BookingCredit(db.Model):
    """A person's booking credit (信用分): no-shows lower it; below the threshold booking is suspended."""

    __tablename__ = "booking_credit"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    no_shows: Mapped[int] = mapped_column(Integer, default=0)
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditEvent(db.Model):
    """What changed a credit, when and why: a no-show, a suspension, a suspension lifted by staff."""

    __tablename__ = "booking_credit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))
    kind: Mapped[str] = mapped_column(String(12))                       # no_show | suspended | lifted
    score_after: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceJob(db.Model):
    """A job for a device outside a booking: a document printed at a print robot (student) or content shown on
    a big screen (staff). Sent by the worker through integrations/devices (idempotency key per job); the print
    robot's status comes back as device events (webhook or MQTT, app/bookings/device_events.py)."""

    __tablename__ = "booking_device_job"
    __table_args__ = (Index("ix_booking_device_job_device", "device_id", "device_job_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))                      # print | screen
    resource_id: Mapped[int] = mapped_column(ForeignKey("booking_resource.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(60))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)  # who asked
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[dict] = mapped_column(Json, default=dict)            # what is printed or shown
    copies: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), index=True)        # device_jobs.STATUSES
    device_job_id: Mapped[str | None] = mapped_column(String(80))      # the robot's job id
    pages: Mapped[int | None] = mapped_column(Integer)
    printed: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)       # newest device event applied
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeviceState(db.Model):
    """What a device last reported of itself (a screen: what it shows), from its status events."""

    __tablename__ = "booking_device_state"

    device_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    state: Mapped[dict] = mapped_column(Json, default=dict)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
