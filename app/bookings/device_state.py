"""A device's state row (what it last reported of itself), created on its first event and locked while one is
applied, so that its events are applied one at a time and in `seq` order."""
from __future__ import annotations

from sqlalchemy import select

from app.bookings.models import DeviceState
from app.platform import clock
from app.platform.db_inserts import insert_ignoring_duplicates
from app.platform.uow import UnitOfWork

TABLE = DeviceState.__table__


def locked(uow: UnitOfWork, device_id: str, kind: str) -> DeviceState:
    """The device's row, locked until the unit of work ends; created (empty) if it has none. Two first events
    of one device at the same moment: the second insert waits for the first and leaves its row."""
    uow.execute(insert_ignoring_duplicates(uow, TABLE, ["device_id"]).values(
        device_id=device_id, kind=kind, state={}, last_seq=0, updated_at=clock.utcnow()))
    return uow.execute(select(DeviceState).where(DeviceState.device_id == device_id).with_for_update()
                       .execution_options(populate_existing=True)).scalar_one()
