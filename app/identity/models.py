"""Accounts and the directory of people and organisations every area refers to: colleges, majors, students,
employer organisations, counselor scopes.

Role names come from config/permissions.toml (student, counselor, staff, employer, process_owner, admin).
An employer organisation's registration and qualification review are the employers area's (app/employers);
its row lives here because users belong to it and the access rules scope by it.
"""
from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.platform.db_types import Json, UTCDateTime, utcnow
from app.platform.extensions import db


class College(db.Model):
    __tablename__ = "college"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Major(db.Model):
    __tablename__ = "major"

    id: Mapped[int] = mapped_column(primary_key=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Employer(db.Model):
    """An employer organisation (用人单位). Its users issue offers once the career office approved it."""

    __tablename__ = "employer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)  # 统一社会信用代码
    kind: Mapped[str | None] = mapped_column(String(40))
    industry: Mapped[str | None] = mapped_column(String(80))
    address: Mapped[str | None] = mapped_column(String(255))
    contact_name: Mapped[str | None] = mapped_column(String(80))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    # pending | approved | rejected
    status: Mapped[str] = mapped_column(String(20), default="pending")
    qualification_file: Mapped[dict | None] = mapped_column(Json)  # upload reference (营业执照等)
    reviewed_by: Mapped[int | None] = mapped_column(Integer)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    scopes: Mapped[list[CounselorScope]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(r.role for r in self.roles)

    @property
    def college_ids(self) -> frozenset[int]:
        return frozenset(s.college_id for s in self.scopes)

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(40), index=True)


class CounselorScope(db.Model):
    """The colleges a counselor (辅导员) looks after; tasks and instances outside them stay invisible."""

    __tablename__ = "counselor_scope"
    __table_args__ = (UniqueConstraint("user_id", "college_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id"))


class StudentClass(db.Model):
    """A class (班级) of one major and intake, and the counselor (辅导员) who looks after it."""

    __tablename__ = "student_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id"), index=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major.id"))
    enrolment_year: Mapped[int] = mapped_column(Integer)
    counselor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)


class Student(db.Model):
    __tablename__ = "student"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    student_no: Mapped[str] = mapped_column(String(20), unique=True)
    gender: Mapped[str | None] = mapped_column(String(4))
    id_number: Mapped[str | None] = mapped_column(String(18))
    college_id: Mapped[int] = mapped_column(ForeignKey("college.id"), index=True)
    major_id: Mapped[int] = mapped_column(ForeignKey("major.id"))
    class_name: Mapped[str | None] = mapped_column(String(40))
    degree: Mapped[str] = mapped_column(String(20), default="本科")
    graduation_year: Mapped[int] = mapped_column(Integer)
    expected_graduation: Mapped[date | None] = mapped_column(Date)
    enrolment_year: Mapped[int | None] = mapped_column(Integer)
    source_region: Mapped[str | None] = mapped_column(String(40))  # 生源地 (province)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("student_class.id"), index=True)
