"""Service operations of the booking process (bpmn/bookings/device_booking.bpmn): the staff decision, the
reminder, the device calls at the start and the end, the no-show, the usage record, the waitlist's offer and
its lapse. Thin: each calls the area's service and returns what the process keeps of the booking (its timers
read it). Each is safe to run twice: the services look at the booking's status first, the device calls carry
idempotency keys derived from the job's."""
from __future__ import annotations

from app.bookings import device_calls, services
from app.engine.registry import JobContext, operation
from app.processes.queries import task_actor


@operation("booking.decide")
def decide(params: dict, ctx: JobContext) -> dict:
    actor, _addr = task_actor(ctx.instance_id, params.get("task"))
    return services.decide(params["booking_id"], params["decision"], params.get("reason") or "", actor)


@operation("booking.expire")
def expire(params: dict, ctx: JobContext) -> dict:
    return services.expire(params["booking_id"])


@operation("booking.remind")
def remind(params: dict, ctx: JobContext) -> dict:
    return services.remind(params["booking_id"])


@operation("booking.devices_on")
def devices_on(params: dict, ctx: JobContext) -> dict:
    return device_calls.start(params["booking_id"], ctx.idempotency_key)


@operation("booking.devices_off")
def devices_off(params: dict, ctx: JobContext) -> dict:
    return device_calls.stop(params["booking_id"], ctx.idempotency_key)


@operation("booking.no_show")
def no_show(params: dict, ctx: JobContext) -> dict:
    return services.no_show(params["booking_id"])


@operation("booking.complete")
def complete(params: dict, ctx: JobContext) -> dict:
    return services.complete(params["booking_id"])


@operation("booking.offer_answer")
def offer_answer(params: dict, ctx: JobContext) -> dict:
    return services.record_offer_answer(params["booking_id"], bool(params.get("accepted")))


@operation("booking.lapse")
def lapse(params: dict, ctx: JobContext) -> dict:
    return services.lapse(params["booking_id"])


@operation("booking.refresh")
def refresh(params: dict, ctx: JobContext) -> dict:
    return services.current(params["booking_id"])


def send_device_job(job_id: int) -> dict:
    """RQ entry point: hand a print job or screen content to its device (app/bookings/device_jobs.py); safe to
    run twice (the job's idempotency key)."""
    from app.bookings import device_jobs
    from tasks.engine_jobs import _app_context

    with _app_context():
        return device_jobs.send(job_id)
