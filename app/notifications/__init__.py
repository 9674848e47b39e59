"""The platform's notification centre (站内通知) and its channels (e-mail now; WeChat/SMS adapters later).

Areas call `notify(recipients, kind, params=..., link=..., key=...)` inside their unit of work, with kinds
they registered in `app.notifications.kinds`. See docs/notifications.md.
"""
from app.notifications.kinds import N_, moment, register_kind, translated
from app.notifications.services import notify

__all__ = ["N_", "moment", "notify", "register_kind", "translated"]
