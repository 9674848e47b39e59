"""Employer organisations (用人单位): registration with its qualification review, and the review's outcome.

`register_employer` creates the employer (status pending) and its first user (role employer) and starts
the `employer_qualification` process; the career office's decision reaches `Employer.status` through the
process's service task (`employer.review` in tasks/employers.py -> `review` here). Only approved
employers may issue offers (app/agreements/services.issue_offer asks `queries.is_approved`).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from app import engine
from app.employers.domain import (
    PENDING,
    PROCESS_KEY,
    decision_status,
    employer_key,
    normalise_credit_code,
    registration_problems,
)
from app.identity.models import Employer, User, UserRole
from app.platform.db_types import utcnow
from app.platform.uow import unit_of_work


class EmployerError(Exception):
    """Bad registration data or a duplicate; the message is shown to users. `field` names the
    register_employer argument at fault (name, credit_code, contact_name, contact_phone, username, password)
    when there is exactly one, else None."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class AlreadyRegistered(EmployerError):
    """The credit code or the user name is taken. Deliberately one answer for both, naming neither field, so
    that the public registration page does not tell which organisations and user names exist."""

    def __init__(self) -> None:
        super().__init__("无法用所填信息注册：如贵单位已有账号，请联系本单位已有账号的同事或就业指导中心；否则请换一个用户名")


def register_employer(name: str, credit_code: str, contact_name: str, contact_phone: str, username: str,
                      password: str, kind: str | None, industry: str | None, address: str | None,
                      qualification_ref: dict | None) -> int:
    """Register an employer and its first account; returns the employer id (review process started)."""
    problems = registration_problems(name, credit_code, contact_name, contact_phone, username, password)
    if problems:
        raise EmployerError("；".join(m for _f, m in problems), problems[0][0] if len(problems) == 1 else None)
    name, contact_name, code = name.strip(), contact_name.strip(), normalise_credit_code(credit_code)
    with unit_of_work() as session:
        if (session.execute(select(Employer.id).where(Employer.credit_code == code)).first() is not None
                or session.execute(select(User.id).where(User.username == username)).first() is not None):
            raise AlreadyRegistered()
        try:
            definition = engine.latest_definition(PROCESS_KEY)
        except engine.NotFound:
            raise EmployerError("资质审核流程尚未部署，请联系管理员") from None
        employer = Employer(name=name, credit_code=code, kind=kind or None, industry=industry or None,
                            address=address or None, contact_name=contact_name, contact_phone=contact_phone,
                            status=PENDING, qualification_file=qualification_ref or None, created_at=utcnow())
        session.add(employer)
        try:
            session.flush()
            user = User(username=username, display_name=f"{name} {contact_name}",
                        password_hash=generate_password_hash(password), phone=contact_phone,
                        employer_id=employer.id)
            user.roles = [UserRole(role="employer")]
            session.add(user)
            session.flush()
        except IntegrityError:  # a concurrent registration with the same code or user name
            raise AlreadyRegistered() from None
        data = {
            "employer_id": employer.id, "employer_name": name, "credit_code": code, "employer_kind": kind or "",
            "industry": industry or "", "address": address or "", "contact_name": contact_name,
            "contact_phone": contact_phone, "lane_owners": {"employer": [user.id]},
        }
        if qualification_ref:
            data["qualification_file"] = qualification_ref
        engine.start_instance(definition, data, business_key=employer_key(employer.id), started_by=user.id,
                              scope={"employer": employer.id})
        session.commit()
        return employer.id


def review(employer_id: int, decision: str, comment: str | None, actor_id: int | None) -> dict:
    """The career office's decision (approve | reject); safe to apply twice."""
    with unit_of_work() as session:
        employer = session.execute(select(Employer).where(Employer.id == employer_id).with_for_update()
                                   ).scalar_one_or_none()
        if employer is None:
            raise EmployerError("单位不存在")
        status = decision_status(decision)
        if employer.status != status:
            employer.status, employer.reviewed_by, employer.reviewed_at = status, actor_id, utcnow()
        session.commit()
        return {"status": status, "comment": comment or ""}
