"""Looking people up."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import joinedload

from app.identity.access import TaskFacts, can_be_assigned
from app.identity.models import College, CounselorScope, Employer, Student, User, UserRole
from app.identity.policy import Policy
from app.identity.principal import Principal
from app.identity.scopes import holders_clause, scope_values_of
from app.platform.extensions import db
from app.platform.sessions import SessionLimits


def employer_status(employer_id: int) -> str | None:
    """The qualification status of an employer organisation (pending | approved | rejected), None if unknown."""
    return db.session.execute(select(Employer.status).where(Employer.id == employer_id)).scalar()


def active_user(user_id: int) -> User | None:
    """The account a session refers to, if it still exists and is active (Flask-Login's user loader)."""
    user = db.session.get(User, user_id, options=(joinedload(User.roles), joinedload(User.scopes)))
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


def session_limits(user_id: int) -> SessionLimits:
    """How long this user's session may stay idle and live: staff and admins (STAFF_SESSION_ROLES) get the
    shorter limits."""
    config = current_app.config
    roles = set(db.session.execute(select(UserRole.role).where(UserRole.user_id == user_id)).scalars())
    if roles & set(config["STAFF_SESSION_ROLES"]):
        return SessionLimits(int(config["STAFF_SESSION_IDLE_S"]), int(config["STAFF_SESSION_MAX_S"]))
    return SessionLimits(int(config["SESSION_IDLE_S"]), int(config["SESSION_MAX_S"]))


def principal_of(user: User, policy: Policy) -> Principal:
    """The access rules' view of an account (the signed-in user, a candidate assignee, a signer)."""
    return Principal(user.id, effective_roles(user), scope_values_of(user), policy=policy)


def effective_roles(user: User) -> frozenset[str]:
    """An employer account acts as one only once the career office approved its organisation; until then (or
    after a rejection) it is `employer_pending`: it signs in and sees its status, nothing else."""
    roles = user.role_names
    if "employer" in roles and (user.employer_id is None or employer_status(user.employer_id) != "approved"):
        return (roles - {"employer"}) | {"employer_pending"}
    return roles


def assignable_users(task: TaskFacts, policy: Policy, limit: int = 500) -> list[User]:
    """The active accounts this task may be given to (access.can_be_assigned), by name: its named owners, or
    the people of its lane within its scope (the employer's own users, the college's counselors)."""
    if task.owner_ids:
        candidates = User.id.in_(task.owner_ids)
    else:
        parts = []
        for role in policy.values():
            if task.lane not in role.lanes or role.scope == "none":
                continue
            has_role = User.id.in_(select(UserRole.user_id).where(UserRole.role == role.name))
            parts.append(has_role if role.scope == "all" else and_(has_role, holders_clause(role.scope, task.scope)))
        candidates = or_(*parts) if parts else false()
    users = db.session.execute(select(User).where(candidates, User.active.is_(True))
                               .order_by(User.display_name, User.username).limit(limit)).scalars()
    return [user for user in users if can_be_assigned(principal_of(user, policy), task)]


def holders_of(permission: str, policy: Policy) -> list[int]:
    """Ids of the active accounts whose roles grant `permission` (as the route guard decides it), sorted."""
    roles = [role.name for role in policy.values() if permission in role.permissions]
    if not roles:
        return []
    users = db.session.execute(select(User).where(User.active.is_(True), User.id.in_(
        select(UserRole.user_id).where(UserRole.role.in_(roles))))).scalars()
    return sorted(user.id for user in users if principal_of(user, policy).can(permission))
