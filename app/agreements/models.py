"""Tables of the tripartite agreements (三方协议): the agreement, its document versions, its hash-chained
evidence log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.agreements.domain import IN_FORCE, OFFERED
from app.platform.db_types import Json, UTCDateTime, utcnow
from app.platform.extensions import db


class Agreement(db.Model):
    __tablename__ = "agreement"
    __table_args__ = (
        # One agreement in force per student, enforced by the database itself.
        Index("uq_agreement_one_in_force", "student_id", unique=True,
              sqlite_where=text(f"status = '{IN_FORCE}'"), postgresql_where=text(f"status = '{IN_FORCE}'")),
        # No second invitation from the same employer while a response window is open.
        Index("uq_agreement_one_open_offer", "student_id", "employer_id", unique=True,
              sqlite_where=text(f"status = '{OFFERED}'"), postgresql_where=text(f"status = '{OFFERED}'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # app/agreements/domain.py STATUSES
    terms: Mapped[dict] = mapped_column(Json, default=dict)  # position, pay, probation, location, breach...
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    in_force_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(Text)
    # Where the offer was made when another area made it (an interview's outcome): {"kind", "path", "instance_id"}
    origin: Mapped[dict | None] = mapped_column(Json)


class AgreementDocument(db.Model):
    """One version of the agreement PDF; each signature makes a new version (incremental update)."""

    __tablename__ = "agreement_document"
    __table_args__ = (UniqueConstraint("agreement_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))  # unsigned | signed_student | signed_employer | signed_university
    path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvidenceEntry(db.Model):
    """Append-only and hash-chained: entry_hash = SHA-256(prev_hash + canonical JSON of this entry);
    entry_mac = HMAC-SHA256(EVIDENCE_KEY, entry_hash), with a key kept outside the database."""

    __tablename__ = "evidence_entry"
    __table_args__ = (UniqueConstraint("agreement_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_name: Mapped[str | None] = mapped_column(String(120))
    act: Mapped[str] = mapped_column(String(30))  # viewed filled returned accepted declined signed revoked ...
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict | None] = mapped_column(Json)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    entry_mac: Mapped[str | None] = mapped_column(String(64))
