"""The big-screen dashboard (可视化大屏) for the career-centre hall: today's agreements (offered, signed),
the job fairs of the day with the students waiting in their queues and checked in, the destination rate of
the current cohort so far against the same date a year before. It updates by itself: every committed step of
the processes these figures come from publishes a `changed` event on the `bigscreen:hall` channel (a
history listener), and the page then reads the figures again."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Flask

from app.agreements import queries as agreement_queries
from app.identity.principal import Principal
from app.interviews import queries as interview_queries
from app.interviews import queue_queries
from app.platform import live
from app.platform.clock import LOCAL_TZ
from app.platform.db_types import utcnow
from app.reporting import office

CHANNEL = "bigscreen:hall"
# processes whose steps can change a figure on the screen
WATCHED = frozenset({"tripartite_agreement", "agreement_rescission", "student_archive", "interview_invitation",
                     "booth_application", "device_booking"})


def may_watch(principal: Principal | None, key: str) -> bool:
    return key == "hall" and principal is not None and principal.can("report.view")


CHANNELS = (live.LiveChannel("bigscreen", may_watch),)


def figures(principal: Principal, now: datetime | None = None) -> dict:
    now = (now or utcnow()).astimezone(LOCAL_TZ)
    start = datetime.combine(now.date(), time.min, tzinfo=LOCAL_TZ)
    agreements = agreement_queries.counts_on(start, start + timedelta(days=1))
    fairs = []
    for fair in interview_queries.fairs(principal):
        if fair.day != now.date():
            continue
        booths = queue_queries.overview(fair)
        counts = queue_queries.fair_counts(fair.id)
        fairs.append({"title": fair.title, "waiting": sum(b.waiting for b in booths),
                      "in_interview": sum(b.busy for b in booths), "done": sum(b.done for b in booths),
                      "checked_in": counts["checked_in"], "registered": counts["registered"]})
    cohort = office.cohort_of(now.date())
    report = office.destination_report(now.date(), cohort, "college", None)
    return {
        "at": now.strftime("%Y-%m-%d %H:%M"),
        "agreements_offered": agreements["offered"], "agreements_signed": agreements["signed"],
        "fairs": fairs, "cohort": cohort, "graduates": report.total.graduates, "placed": report.total.placed,
        "rate": round(report.total.rate * 100, 1) if report.total.rate is not None else None,
        "rate_last_year": round(report.last_year.rate * 100, 1) if report.last_year.rate is not None else None,
        "devices_in_use": office.devices_in_use(),
        "colleges": [{"name": r.group, "rate": round(r.rate * 100, 1) if r.rate is not None else None}
                     for r in report.rows],
    }


def on_history(events: list[dict]) -> None:
    """History listener: tell the hall's screen when a watched process moved."""
    if any(e.get("process_key") in WATCHED for e in events):
        live.publish(CHANNEL, "changed", {})


def setup(app: Flask) -> None:
    from app.engine import add_history_listener

    add_history_listener(app, on_history)
