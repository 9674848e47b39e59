"""The platform's notification centre (站内通知) and its channels (e-mail now; WeChat/SMS adapters later).

Areas call `notify(recipients, kind, params=..., link=..., key=...)` inside their unit of work, with the
kinds they list in their registration (`Area.notification_kinds`). See docs/notifications.md.
"""
from app.notifications.kinds import N_, Kind, moment, translated
from app.notifications.services import notify
from app.notifications.task_events import Notice, TaskNotice

__all__ = ["N_", "Kind", "Notice", "TaskNotice", "moment", "notify", "translated"]
