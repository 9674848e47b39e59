"""The words pages show for the booking area's codes (statuses, kinds, modes, roles, slot states)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.bookings import domain

STATUS = {
    domain.PENDING: _l("awaiting approval"), domain.CONFIRMED: _l("confirmed"), domain.IN_USE: _l("in use"),
    domain.COMPLETED: _l("used"), domain.CANCELLED: _l("cancelled"), domain.REJECTED: _l("rejected"),
    domain.EXPIRED: _l("lapsed"), domain.NO_SHOW: _l("no-show"), domain.WAITLISTED: _l("on the waitlist"),
    domain.OFFERED: _l("offered to you"), domain.LAPSED: _l("waitlist ended"),
}
KIND = {domain.STUDIO: _l("Recording studio"), domain.INTERVIEW_ROOM: _l("Interview room"),
        domain.PRINT_ROBOT: _l("Print robot"), domain.BIG_SCREEN: _l("Big screen")}
MODE = {domain.NOT_BOOKABLE: _l("not bookable"), domain.DIRECT: _l("direct booking"),
        domain.APPROVAL: _l("needs approval")}
ROLE = {"student": _l("Students"), "counselor": _l("Counselors"), "staff": _l("Career-office staff"),
        "employer": _l("Employers")}
SLOT = {"free": _l("free"), "taken": _l("taken"), "mine": _l("yours"), "queued": _l("you are waiting"),
        "past": _l("past"), "closed": _l("not bookable")}
CREDIT_EVENT = {"no_show": _l("no-show"), "suspended": _l("suspended"), "lifted": _l("suspension lifted")}
WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
DEVICE_JOB = {"sending": _l("being sent"), "queued": _l("queued"), "printing": _l("printing"),
              "out_of_paper": _l("out of paper: waiting for paper"), "done": _l("printed"),
              "error": _l("printer error"), "cancelled": _l("cancelled"), "failed": _l("could not be sent"),
              "shown": _l("on the screen")}
