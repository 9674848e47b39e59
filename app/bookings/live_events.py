"""The booking area's live events, on the platform's event stream (app/platform/live.py, static/js/live.js):

- `resource:<id>`: a resource's calendar hears `slots` when one of its slots is taken or released, and its
  staff panel `screen` when a big screen reports what it shows. Anyone who may see the resource's calendar
  may listen (the calendar shows taken slots to everyone anyway).
- the booker's own `user:<id>` channel (built in): `booking` when one of their bookings changes state,
  `device_job` when a print job (or screen content they sent) changes status.

Events go out after the unit of work commits; pages re-read what they show when they hear one."""
from __future__ import annotations

from app.bookings import domain
from app.bookings.models import Booking, DeviceJob, Resource
from app.platform import live
from app.platform.extensions import db


def _may_watch_resource(principal, key: str) -> bool:
    if principal is None or not principal.can("booking.view") or not key.isascii() or not key.isdigit() \
            or len(key) > 10:
        return False
    found = db.session.get(Resource, int(key))
    return found is not None and (found.active or domain.is_manager(principal))


CHANNELS = (live.LiveChannel("resource", _may_watch_resource),)


def resource_channel(resource_id: int) -> str:
    return f"resource:{resource_id}"


def booking_changed(booking: Booking) -> None:
    """A booking was made or changed state: its resource's calendars and the booker's pages hear it."""
    data = {"booking": booking.id, "status": booking.status, "resource": booking.resource_id}
    live.publish(resource_channel(booking.resource_id), "slots", data)
    live.publish(live.user_channel(booking.user_id), "booking", data)


def device_job_changed(job: DeviceJob) -> None:
    """A print job (or screen content) changed status: the person who sent it hears it."""
    live.publish(live.user_channel(job.user_id), "device_job",
                 {"job": job.id, "kind": job.kind, "status": job.status, "resource": job.resource_id})


def screen_changed(resource_ids: list[int], device_id: str, state: dict) -> None:
    """A big screen reported what it shows: the staff panels of its resources hear it."""
    for resource_id in resource_ids:
        live.publish(resource_channel(resource_id), "screen", {"device": device_id, "state": state})
