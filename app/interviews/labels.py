"""The area's words in the reader's language: statuses, outcomes, wording categories, field problems."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.interviews import domain, wording
from app.interviews import queue_rules as rules

POSITION_STATUS = {
    domain.DRAFT: _l("Draft"), domain.IN_REVIEW: _l("In review"), domain.RETURNED: _l("Returned for changes"),
    domain.PUBLISHED: _l("Published"), domain.REJECTED: _l("Not approved"), domain.CLOSED: _l("Closed"),
}
APPLICATION_STATUS = {
    domain.SUBMITTED: _l("Submitted"), domain.SHORTLISTED: _l("Shortlisted"),
    domain.NOT_SELECTED: _l("Not selected"), domain.WITHDRAWN: _l("Withdrawn"),
}
FAIR_STATUS = {domain.FAIR_DRAFT: _l("Draft"), domain.FAIR_OPEN: _l("Open"), domain.FAIR_CLOSED: _l("Closed")}
BOOTH_STATUS = {
    domain.BOOTH_PENDING: _l("Waiting for approval"), domain.BOOTH_APPROVED: _l("Approved"),
    domain.BOOTH_REJECTED: _l("Not approved"), domain.BOOTH_WITHDRAWN: _l("Withdrawn"),
}
INVITATION_STATUS = {
    domain.INVITED: _l("Waiting for the student"), domain.PROPOSED: _l("Another time proposed"),
    domain.ACCEPTED: _l("Accepted"), domain.DECLINED: _l("Declined"), domain.EXPIRED: _l("Expired"),
    domain.CANCELLED: _l("Cancelled"), domain.OFFERED: _l("Offer made"), domain.NOT_PASSED: _l("Not passed"),
}
PLACE_KIND = {domain.PLACE_BOOTH: _l("At our fair booth"), domain.PLACE_ROOM: _l("In a room"),
              domain.PLACE_ONLINE: _l("Online")}
OUTCOME = {domain.OUTCOME_NEXT_ROUND: _l("Next round"), domain.OUTCOME_OFFER: _l("Offer"),
           domain.OUTCOME_REJECT: _l("Not passed")}
TICKET_STATUS = {
    rules.WAITING: _l("Waiting"), rules.CALLED: _l("Called"), rules.IN_INTERVIEW: _l("In the interview"),
    rules.DONE: _l("Done"), rules.NO_SHOW: _l("Did not come"), rules.LEFT: _l("Left the queue"),
}
FLAG_CATEGORY = {
    wording.GENDER: _l("Gender"), wording.ETHNICITY: _l("Ethnicity"), wording.REGION: _l("Region of origin"),
    wording.MARITAL: _l("Marriage and children"), wording.SCHOOL_TIER: _l("School tier"), wording.AGE: _l("Age"),
    wording.HEALTH: _l("Health"),
}
DEGREE = {domain.ANY_DEGREE: _l("Any degree"), "专科": _l("Associate"), "本科": _l("Bachelor"), "硕士": _l("Master"),
          "博士": _l("Doctorate")}
PROBLEM = {
    "required": _l("This field is required."), "too_long": _l("This is too long."),
    "choice": _l("Choose one of the options."), "pay": _l("Enter a monthly pay between 1 and 1,000,000 yuan."),
    "pay_range": _l("The highest pay must be at least the lowest."), "headcount": _l("Between 1 and 10,000."),
    "past": _l("This date has passed."), "probation": _l("Between 0 and 6 months."),
    "contract": _l("Between 1 and 10 years."), "order": _l("The end must come after the start."),
    "capacity": _l("Between 1 and 100,000 students."), "after_day": _l("No later than the fair's day."),
    "minutes": _l("Enter a number of minutes in the allowed range."),
    "halls": _l("Between 1 and 12 halls."), "hall_codes": _l("Hall codes: a capital letter and up to 3 letters or digits, each once."),
    "hall_size": _l("A hall has 1 to 400 booths."), "number": _l("Enter a whole number."),
    "date": _l("Enter a valid date (YYYY-MM-DD)."), "datetime": _l("Enter a valid date and time."),
}


def problems(codes: dict[str, str]) -> dict[str, str]:
    """field -> message, from field -> problem code."""
    return {field: str(PROBLEM.get(code, code)) for field, code in codes.items()}
