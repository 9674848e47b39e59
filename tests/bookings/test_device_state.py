"""A device's state row under concurrent first events: both apply, one after the other, on one row."""
from __future__ import annotations

import threading
import time
import uuid

from sqlalchemy import func, select

from app.bookings import device_state
from app.bookings.models import DeviceState
from app.platform.extensions import db
from app.platform.uow import unit_of_work


def test_two_first_events_of_a_new_device_at_once_share_one_row(ctx):
    app, device_id = ctx, f"robot-{uuid.uuid4().hex[:8]}"
    both_read = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []
    seqs: list[int] = []

    def first_event(seq: int) -> None:
        try:
            with app.app_context():
                with unit_of_work() as uow:
                    both_read.wait()   # both events arrive before either has made the row
                    row = device_state.locked(uow, device_id, "printer")
                    seqs.append(row.last_seq)
                    row.last_seq = max(row.last_seq, seq)
                    time.sleep(0.3)    # the other waits for this commit, then sees this row
                    uow.commit()
                db.session.remove()
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=first_event, args=(seq,)) for seq in (5, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(seqs)[0] == 0 and sorted(seqs)[1] in (5, 7)   # the second saw the first's committed row
    assert db.session.execute(select(func.count()).select_from(DeviceState)
                              .where(DeviceState.device_id == device_id)).scalar() == 1
    assert db.session.get(DeviceState, device_id).last_seq == 7
