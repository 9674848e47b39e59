"""Route guards and the current principal.

Every view is wrapped by `permission_required(...)`, `login_only` or declared `public`; `check_route_guards()`
refuses to start an app with an unguarded view, so a new route cannot forget its check.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, current_app, g
from flask_login import current_user

from app.identity import queries
from app.identity.access import Principal
from app.identity.models import User
from app.identity.policy import Policy
from app.platform.extensions import login_manager
from app.platform.web import public  # noqa: F401 - the guards every view chooses from

POLICY_KEY = "bpm.policy"


def permission_required(permission: str) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not principal().can(permission):
                abort(403)
            return view(*args, **kwargs)

        guarded.required_permission = permission
        return guarded

    return decorate


def login_only(view: Callable) -> Callable:
    """Any signed-in user (their own profile, logout, language)."""
    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    guarded.required_permission = "login"
    return guarded


def current_policy() -> Policy:
    """The policy of this application (config/permissions.toml and its areas' files)."""
    return current_app.extensions[POLICY_KEY]


def principal() -> Principal:
    if "principal" not in g:
        user: User = current_user
        g.principal = Principal(user.id, _effective_roles(user), user.college_ids, user.employer_id,
                                policy=current_policy())
    return g.principal


def _effective_roles(user: User) -> frozenset[str]:
    """An employer account acts as one only once the career office approved its organisation; until then (or
    after a rejection) it is `employer_pending`: it signs in and sees its status, nothing else."""
    roles = user.role_names
    if "employer" in roles and (user.employer_id is None or queries.employer_status(user.employer_id) != "approved"):
        return (roles - {"employer"}) | {"employer_pending"}
    return roles


def check_route_guards(app: Flask) -> None:
    unguarded = [name for name, view in app.view_functions.items()
                 if name != "static" and not hasattr(view, "required_permission")]
    if unguarded:
        raise RuntimeError(f"views without a permission check: {', '.join(sorted(unguarded))}")
