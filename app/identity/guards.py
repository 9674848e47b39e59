"""Route guards and the current principal.

Every view is wrapped by `permission_required(...)`, `login_only` or declared `public`; `check_route_guards()`
refuses to start an app with an unguarded view, so a new route cannot forget its check.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, current_app, g
from flask_login import current_user

from app.identity.access import Principal
from app.identity.policy import Policy
from app.identity.queries import principal_of
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
        g.principal = principal_of(current_user, current_policy())
    return g.principal


def check_route_guards(app: Flask) -> None:
    unguarded = [name for name, view in app.view_functions.items()
                 if name != "static" and not hasattr(view, "required_permission")]
    if unguarded:
        raise RuntimeError(f"views without a permission check: {', '.join(sorted(unguarded))}")
