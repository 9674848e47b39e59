"""Tables the workflow engine keeps: definitions, instances, the inbox mirror, timers, jobs, history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from app.platform.db_types import BigId, Json, UTCDateTime, utcnow
from app.platform.extensions import db


class ProcessDefinition(db.Model):
    """One deployed version of one BPMN process; the parsed spec is kept here once for all its instances."""

    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("process_key", "version"),
        Index("ix_process_definition_process_key_content_hash", "process_key", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255))
    bpmn_xml: Mapped[str] = mapped_column(Text)
    spec_json: Mapped[str] = mapped_column(Text)
    reportable_fields: Mapped[list] = mapped_column(Json, default=list)
    start_messages: Mapped[list] = mapped_column(Json, default=list)
    # From process properties: which roles may start it from the portal, and the lane the starter plays.
    starter_roles: Mapped[list] = mapped_column(Json, default=list)
    starter_lane: Mapped[str | None] = mapped_column(String(80))
    # From the process property `summaryFields` ("学生=student_name, 学号=student_no"): [label, data path]
    # pairs, what an inbox row shows about a task of this process.
    summary_fields: Mapped[list] = mapped_column(Json, default=list)
    deployed_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A draft parsed for a test run: version < 0 and listed nowhere.
    is_test: Mapped[bool] = mapped_column(default=False, server_default=false())


class ProcessDefinitionFile(db.Model):
    """A file deployed with a definition version besides its BPMN: the forms its user tasks name and its DMN
    files. A running instance reads its forms from here, so it keeps the forms of the version it runs."""

    __tablename__ = "process_definition_file"

    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id", ondelete="CASCADE"),
                                               primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    content: Mapped[str] = mapped_column(Text)


class ProcessInstance(db.Model):
    __tablename__ = "process_instance"

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    business_key: Mapped[str | None] = mapped_column(String(120), index=True)
    # running | suspended | error | completed | terminated
    status: Mapped[str] = mapped_column(String(20), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(20))
    step_count: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A test run of a draft (the modeler): seen only by the one who started it, kept out of inboxes and reports.
    is_test: Mapped[bool] = mapped_column(default=False, server_default=false(), index=True)


class InstanceScope(db.Model):
    """Who besides the participants may see an instance and take its group tasks: scope key -> value, as the
    area that started it chose (`start_instance(..., scope={...})`; docs/areas.md, Scope keys). Values are
    kept as text. Access checks find the instances of a principal's values through (key, value)."""

    __tablename__ = "instance_scope"
    __table_args__ = (Index("ix_instance_scope_lookup", "key", "value", "instance_id"),)

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"),
                                             primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


class OpenTask(db.Model):
    """A READY human task, mirrored after every advance so inboxes never touch workflow state."""

    __tablename__ = "open_task"
    __table_args__ = (
        # The inbox's group views: lane + scope + still unassigned, among tasks not addressed to people.
        Index("ix_open_task_lane_assignee", "lane", "assignee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    spec_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(80))
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    process_name: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(120), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # True when the task is addressed to named people (open_task_owner rows), not offered to a lane's group.
    addressed: Mapped[bool] = mapped_column(default=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    form_schema: Mapped[str | None] = mapped_column(String(255))
    form_ui_schema: Mapped[str | None] = mapped_column(String(255))
    instructions: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the task is about, from the process's summary fields: [[label, value], ...] when it became ready,
    # and the same values with the business key in lower case, for the inbox's search box.
    summary: Mapped[list | None] = mapped_column(Json)
    search_text: Mapped[str | None] = mapped_column(String(500))


class OpenTaskScope(db.Model):
    """The scope of an open task's instance, copied onto the task with its lane when it becomes ready (scope
    never changes after the start): the inbox's group views find a lane's tasks of one scope value through
    (lane, key, value) directly, as fast as a column on open_task would, instead of joining every task of
    the lane with the instances of that value."""

    __tablename__ = "open_task_scope"
    __table_args__ = (Index("ix_open_task_scope_lookup", "lane", "key", "value", "open_task_id"),)

    open_task_id: Mapped[int] = mapped_column(ForeignKey("open_task.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
    lane: Mapped[str | None] = mapped_column(String(80))


class OpenTaskOwner(db.Model):
    """Explicit owners of a task (the one student, the employer's users) besides the lane's role."""

    __tablename__ = "open_task_owner"

    open_task_id: Mapped[int] = mapped_column(ForeignKey("open_task.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True, index=True)


class Timer(db.Model):
    __tablename__ = "engine_timer"
    __table_args__ = (UniqueConstraint("instance_id", "task_guid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    spec_id: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class MessageCorrelation(db.Model):
    """A waiting message catch (catch event, receive task, event-based gateway), one row per key it can be
    found by: `instance_id`, `business_key` and each correlation property its BPMN message declares (the
    value in task data when it started waiting). A delivery finds its instance through the index on
    (message_name, key, value), never by reading every waiting catch."""

    __tablename__ = "message_correlation"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_guid", "message_name", "key"),
        Index("ix_message_correlation_lookup", "message_name", "key", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    message_name: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))  # app.engine.messages.correlation_value


class Job(db.Model):
    """The outbox: written in the same transaction as the step that needs it, relayed to RQ after commit."""

    __tablename__ = "engine_job"
    __table_args__ = (Index("ix_engine_job_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36))
    spec_id: Mapped[str] = mapped_column(String(255))
    operation: Mapped[str] = mapped_column(String(255))
    params: Mapped[dict] = mapped_column(Json, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    # pending (not yet on RQ) | queued | succeeded | incident | cancelled
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Incident(db.Model):
    __tablename__ = "engine_incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("engine_job.id"))
    task_guid: Mapped[str | None] = mapped_column(String(36))
    spec_id: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class HistoryEvent(db.Model):
    """Append-only. Reports and dashboards read only this table."""

    __tablename__ = "history_event"
    __table_args__ = (
        Index("ix_history_instance", "instance_id", "id"),
        Index("ix_history_process_type_at", "process_key", "event_type", "at"),
        Index("ix_history_actor", "actor_id", "event_type"),
        # PostgreSQL only (its migration skips SQLite): "a variable had this value" by containment
        Index("ix_history_data", "data", postgresql_using="gin", postgresql_ops={"data": "jsonb_path_ops"},
              postgresql_where=text("data IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(255))
    business_key: Mapped[str | None] = mapped_column(String(120))
    event_type: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    lane: Mapped[str | None] = mapped_column(String(80))
    task_spec_id: Mapped[str | None] = mapped_column(String(255))
    task_name: Mapped[str | None] = mapped_column(String(255))
    task_guid: Mapped[str | None] = mapped_column(String(36))
    data: Mapped[dict | None] = mapped_column(Json)
    remote_addr: Mapped[str | None] = mapped_column(String(64))  # client address of a user's action


class TaskSubmission(db.Model):
    """What a person submitted when completing a task (the form's values, the form it was made with), written
    in the completing step's transaction: "completed by me" opens it read-only, whatever the workflow has
    since done with its data."""

    __tablename__ = "task_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    task_name: Mapped[str] = mapped_column(String(255))
    form_schema: Mapped[str | None] = mapped_column(String(255))
    form_ui_schema: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict] = mapped_column(Json, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TaskDraft(db.Model):
    """A form saved without completing the task; dropped when the task completes."""

    __tablename__ = "task_draft"
    __table_args__ = (UniqueConstraint("task_guid", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_guid: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    data: Mapped[dict] = mapped_column(Json, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
