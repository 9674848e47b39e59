"""Reporting's tables: the read models maintained from history events (instance and task facts, the
projection's position), and what people keep here (saved filters, incident comments, SLA targets)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db_types import BigId, Json, UTCDateTime, utcnow
from app.platform.extensions import db


class InstanceFact(db.Model):
    """One process instance as history tells it: when it started and ended, how, and the path it took."""

    __tablename__ = "report_instance_fact"
    __table_args__ = (
        Index("ix_report_instance_fact_duration", "process_key", "end_state", "duration_s"),
        Index("ix_report_instance_fact_week", "process_key", "ended_week"),
        Index("ix_report_instance_fact_variant", "process_key", "path_hash"),
    )

    instance_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    process_key: Mapped[str] = mapped_column(String(255))
    definition_id: Mapped[int | None] = mapped_column(Integer)
    college_id: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_week: Mapped[date | None] = mapped_column(Date)           # the Monday of the week it ended
    end_state: Mapped[str | None] = mapped_column(String(20))       # completed | terminated; None: running
    end_event: Mapped[str | None] = mapped_column(String(255))
    duration_s: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text, default="")            # completed user tasks in order, " > "-joined
    path_hash: Mapped[str | None] = mapped_column(String(40))


class TaskFact(db.Model):
    """One run of one user task: ready, claimed, completed; waiting = ready until claimed (or done, when nobody
    claimed it), working = claimed until done."""

    __tablename__ = "report_task_fact"
    __table_args__ = (
        Index("ix_report_task_fact_spec", "process_key", "task_spec_id", "completed_week"),
        Index("ix_report_task_fact_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(Integer)
    process_key: Mapped[str] = mapped_column(String(255))
    task_spec_id: Mapped[str] = mapped_column(String(255))
    task_name: Mapped[str | None] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(80))
    ready_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_week: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(20))         # completed | cancelled; None: open
    waiting_s: Mapped[int | None] = mapped_column(Integer)
    working_s: Mapped[int | None] = mapped_column(Integer)


class ProjectionPosition(db.Model):
    """How far the read models have read the history (the last event id applied)."""

    __tablename__ = "report_projection"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigId, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SlaTarget(db.Model):
    """A process owner's target for one user task (ready to done), in hours."""

    __tablename__ = "report_sla_target"

    process_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    task_spec_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    target_hours: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SavedFilter(db.Model):
    """A named instance-list filter of one admin."""

    __tablename__ = "report_saved_filter"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    params: Mapped[dict] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IncidentComment(db.Model):
    """What an admin wrote about an incident (what was found, what was done)."""

    __tablename__ = "report_incident_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("engine_incident.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnnualReportRun(db.Model):
    """One annual report asked for by staff and made on the document worker: what was asked, how far it is,
    and the Word document and its PDF once made."""

    __tablename__ = "report_annual_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    at: Mapped[date] = mapped_column(Date)
    chapters: Mapped[list] = mapped_column(Json, default=list)
    measures: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))    # queued | running | done | failed
    error: Mapped[str | None] = mapped_column(Text)
    docx: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)   # read when downloaded only
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InstanceEndRollup(db.Model):
    """Ended instances summed per process, version, end state, local day of the end and duration bucket
    (rollups.py): what the cycle-time report and the overview's ended counts read instead of one row per
    instance. `log_bucket` is the duration's 1 % step (-1: no duration), `cycle_bucket` its histogram bar."""

    __tablename__ = "report_instance_end_rollup"

    process_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    definition_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    end_state: Mapped[str] = mapped_column(String(20), primary_key=True)
    end_day: Mapped[date] = mapped_column(Date, primary_key=True)
    cycle_bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    log_bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(Integer, default=0)
    sum_s: Mapped[int] = mapped_column(BigId, default=0)
    min_s: Mapped[int | None] = mapped_column(Integer)
    max_s: Mapped[int | None] = mapped_column(Integer)


class TaskDayRollup(db.Model):
    """Completed user-task runs summed per process, task and local day they were done: waiting and working
    seconds, for the time-per-task report and the heatmap."""

    __tablename__ = "report_task_day_rollup"

    process_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    task_spec_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    done_day: Mapped[date] = mapped_column(Date, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    waiting_s: Mapped[int] = mapped_column(BigId, default=0)
    working_s: Mapped[int] = mapped_column(BigId, default=0)
    task_name: Mapped[str | None] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(80))
