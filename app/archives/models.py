"""The archive area's tables: one archive per student (its long-running process), its timeline records,
destination registrations with the time they were in force, and Excel import runs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db_types import Json, UTCDateTime, utcnow
from app.platform.extensions import db


class Archive(db.Model):
    """A student's archive (学生档案); `instance_id` is its bpmn/archives/student_archive.bpmn instance."""

    __tablename__ = "archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArchiveRecord(db.Model):
    """One entry of the timeline written by the archive itself: a profile update, an assessment, a counselor
    note, the intention survey, a follow-up answer (or its absence), an approved update request."""

    __tablename__ = "archive_record"
    __table_args__ = (Index("ix_archive_record_archive_at", "archive_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    archive_id: Mapped[int] = mapped_column(ForeignKey("archive.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))   # domain.RECORD_KINDS
    data: Mapped[dict] = mapped_column(Json, default=dict)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # the engine task it came from: writing it twice (a retried job) is a no-op
    source: Mapped[str | None] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Destination(db.Model):
    """A destination registration (毕业去向登记). A confirmed one is in force from `effective_at` until
    `superseded_at` (a confirmed change), so the figures at any past date can be computed again."""

    __tablename__ = "archive_destination"
    __table_args__ = (Index("ix_archive_destination_student", "student_id", "status"),
                      Index("ix_archive_destination_year", "graduation_year", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    graduation_year: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(30))   # domain.CATEGORIES code
    employer_name: Mapped[str | None] = mapped_column(String(200))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"))
    employer_kind: Mapped[str | None] = mapped_column(String(20))
    industry: Mapped[str | None] = mapped_column(String(80))
    region_province: Mapped[str | None] = mapped_column(String(40))
    region_city: Mapped[str | None] = mapped_column(String(40))
    position: Mapped[str | None] = mapped_column(String(80))
    school: Mapped[str | None] = mapped_column(String(120))
    evidence_kind: Mapped[str | None] = mapped_column(String(20))
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreement.id"))
    evidence_file: Mapped[dict | None] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(20))    # domain REGISTERED ... SUPERSEDED
    note: Mapped[str | None] = mapped_column(Text)
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str | None] = mapped_column(String(80), unique=True)


class ImportRun(db.Model):
    """An uploaded basic-data workbook: checked (a dry run), then committed on the worker, all or nothing."""

    __tablename__ = "archive_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20))   # checked | refused | queued | running | done | failed
    summary: Mapped[dict] = mapped_column(Json, default=dict)
    problems: Mapped[list] = mapped_column(Json, default=list)
    created_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
