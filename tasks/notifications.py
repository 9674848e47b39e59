"""RQ entry point for sending notifications on their channels (app/notifications/delivery.py)."""
from __future__ import annotations

from tasks.engine_jobs import _app_context


def deliver(delivery_id: int) -> str:
    """Send one notification delivery; safe to run twice (the second run finds it taken and does nothing)."""
    from app.notifications.delivery import deliver as deliver_one

    with _app_context():
        return deliver_one(delivery_id)


def sweep() -> int:
    """The periodic sweep (every 5 s, app/notifications/area.py): due retries, rows never queued, rows whose
    worker died while sending, handed to the workers again."""
    from app.notifications.delivery import sweep as sweep_deliveries

    with _app_context():
        return sweep_deliveries()
