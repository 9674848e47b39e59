"""Looking people up."""
from __future__ import annotations

from sqlalchemy import select

from app.identity.models import College, Employer, Student, User
from app.platform.extensions import db


def employer_status(employer_id: int) -> str | None:
    """The qualification status of an employer organisation (pending | approved | rejected), None if unknown."""
    return db.session.execute(select(Employer.status).where(Employer.id == employer_id)).scalar()


def find_user(username: str) -> User | None:
    """An active account by user name, or None."""
    if not username:
        return None
    return db.session.execute(select(User).where(User.username == username, User.active.is_(True))).scalar_one_or_none()


def active_user(user_id: int) -> User | None:
    """The account a session refers to, if it still exists and is active (Flask-Login's user loader)."""
    user = db.session.get(User, user_id)
    return user if user is not None and user.active else None


def user_by_name(username: str) -> User | None:
    """Any account by user name (active or not): the sign-in check decides what to tell."""
    return db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def colleges() -> list[tuple[int, str]]:
    """(id, name) of every college, in code order."""
    return [tuple(r) for r in db.session.execute(select(College.id, College.name).order_by(College.code)).all()]


def students_of_colleges(college_ids) -> set[int]:
    """The user ids of the students of these colleges."""
    return set(db.session.execute(select(Student.user_id).where(Student.college_id.in_(list(college_ids))))
               .scalars())
