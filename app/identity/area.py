"""Identity as the platform registers it: sign-in pages, the operation log page, the directory's demo data,
the policy and the signed-in principal for every template."""
from __future__ import annotations

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.identity import demo, queries, scopes
from app.identity.cli import accounts
from app.identity.guards import POLICY_KEY, principal
from app.identity.policy import Policy
from app.identity.routes import bp, oplog_bp
from app.platform.actor import remember_actor
from app.platform.areas import EXTENSION_KEY, Area, DemoData, NavEntry, registry
from app.platform.extensions import login_manager
from app.platform.sessions import configure_session_limits


def _setup(app: Flask) -> None:
    areas = app.extensions[EXTENSION_KEY]
    app.extensions[POLICY_KEY] = Policy.load(fragments=areas.permission_files, scope_keys=areas.scope_providers)
    configure_session_limits(app, queries.session_limits)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @app.context_processor
    def signed_in():
        if not current_user.is_authenticated:
            return {"nav_footer": [e for e in registry().nav("footer")]}
        me = principal()
        if "nav" not in g:
            g.nav = [(entry, entry.badge(me) if entry.badge else 0) for entry in registry().nav("main")
                     if entry.permission is None or me.can(entry.permission)]
        return {"me": me, "nav_main": g.nav,
                "nav_footer": [e for e in registry().nav("footer") if not e.anonymous_only]}


@login_manager.user_loader
def _load_user(user_id: str):
    user = queries.active_user(int(user_id)) if user_id.isdigit() else None
    if user is not None:
        remember_actor(user.id, user.username, user.locale)
    return user


AREA = Area(
    name="identity", label=_l("Accounts"), package="app.identity",
    blueprints=(bp, oplog_bp),
    nav=(NavEntry(_l("Operation log"), "oplog.index", permission="oplog.view", order=90),),
    demo=DemoData("identity", demo.load, demo.demo_accounts(demo.ACCOUNTS), after=()),
    cli=(accounts,),
    scope_providers=scopes.PROVIDERS,
    setup=_setup,
)
