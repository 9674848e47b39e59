"""What the modeler keeps besides the engine's versions: one draft per process being edited, who owns which
process, and bulk migrations with their progress."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db_types import Json, UTCDateTime, utcnow
from app.platform.extensions import db


class ProcessDraft(db.Model):
    """The process being edited: its BPMN and its files (forms, DMN). `revision` counts saves; a save must name
    the revision it was made from, so a second owner's stale save is refused instead of overwriting."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(255), unique=True)
    bpmn_xml: Mapped[str] = mapped_column(Text)
    files: Mapped[dict] = mapped_column(Json, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    # the version the draft was opened from (None: a new process)
    base_definition_id: Mapped[int | None] = mapped_column(ForeignKey("process_definition.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessOwner(db.Model):
    """A process owner (流程管理员) of one process: may edit its draft, deploy, roll back and migrate."""

    __tablename__ = "process_owner"

    process_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True, index=True)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MigrationRun(db.Model):
    """Instances moved in bulk to another version by a background job, with its progress and report."""

    __tablename__ = "migration_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    to_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    instance_ids: Mapped[list] = mapped_column(Json, default=list)
    # queued | running | done | failed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    done: Mapped[int] = mapped_column(Integer, default=0)
    migrated: Mapped[list] = mapped_column(Json, default=list)
    # {instance id: [why it stays]}
    refused: Mapped[dict] = mapped_column(Json, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
