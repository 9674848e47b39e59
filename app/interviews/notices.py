"""What recruiting tells people (the area's notification kinds, docs/notifications.md): invited, answered,
reminded, cancelled, the outcome; at a fair: called to a booth, next in line, a missed call; a position's review
and a booth application's decision; an application's screening.

The student's answer task of an invitation, the employer's answer to a proposed slot and the outcome task
replace the generic "new task" notification of those tasks (register_task_notice).
"""
from __future__ import annotations

from app.notifications import N_, Kind

INVITED = Kind(
    "interview.invited", N_("Interview invitation from %(employer)s"),
    N_("%(employer)s invites you to an interview for %(position)s, %(when)s, %(place)s. Please answer by "
       "%(deadline)s."))
ACCEPTED = Kind(
    "interview.accepted", N_("%(student)s accepted the interview"),
    N_("%(student)s will come to the interview for %(position)s, %(when)s. Record the outcome afterwards."))
DECLINED = Kind(
    "interview.declined", N_("%(student)s declined the interview"),
    N_("%(student)s declined the interview for %(position)s. Reason: %(reason)s"))
PROPOSED = Kind(
    "interview.proposed", N_("%(student)s proposed another time"),
    N_("%(student)s asks to move the interview for %(position)s to %(when)s. %(note)s"))
RESCHEDULED = Kind(
    "interview.rescheduled", N_("New interview time from %(employer)s"),
    N_("The interview for %(position)s is now %(when)s, %(place)s."))
EXPIRED = Kind(
    "interview.expired", N_("Invitation expired: %(student)s"),
    N_("%(student)s did not answer the invitation to the interview for %(position)s in time."))
REMINDER = Kind(
    "interview.reminder", N_("Reminder: interview %(when)s"),
    N_("Interview for %(position)s (%(employer)s, %(student)s), %(when)s, %(place)s."))
CANCELLED = Kind(
    "interview.cancelled", N_("Interview cancelled: %(position)s"),
    N_("%(who)s cancelled the interview for %(position)s (%(when)s). Reason: %(reason)s"))
NEXT_ROUND = Kind(
    "interview.next_round", N_("You passed to the next round: %(position)s"),
    N_("%(employer)s will invite you to the next round of interviews for %(position)s."))
OFFER = Kind(
    "interview.offer", N_("Offer from %(employer)s"),
    N_("%(employer)s offers you the position %(position)s after your interview. The tripartite agreement is "
       "waiting for your answer in your inbox."))
NOT_PASSED = Kind(
    "interview.not_passed", N_("Interview result: %(position)s"),
    N_("%(employer)s will not continue with your application for %(position)s this time. %(note)s"))

CALLED = Kind(
    "queue.called", N_("Please come to booth %(booth)s"),
    N_("%(employer)s is calling number %(number)s. Please come to booth %(booth)s (%(hall)s) within %(minutes)s "
       "minutes."))
NEXT_IN_LINE = Kind(
    "queue.next", N_("You are next at booth %(booth)s"),
    N_("%(employer)s will call you next (number %(number)s). Please stay near booth %(booth)s."))
REQUEUED = Kind(
    "queue.requeued", N_("You missed your call at booth %(booth)s"),
    N_("You were not at booth %(booth)s in time. Your number %(number)s is back in the queue, at its end "
       "(this happens once)."))
MISSED = Kind(
    "queue.no_show", N_("Your place at booth %(booth)s was given up"),
    N_("You were called twice at booth %(booth)s and did not come. Check in again if you still want to talk "
       "to %(employer)s."))

POSITION_PUBLISHED = Kind(
    "position.published", N_("Position published: %(position)s"),
    N_("The career office approved %(position)s. Students can see it and apply."))
POSITION_RETURNED = Kind(
    "position.returned", N_("Position returned for changes: %(position)s"),
    N_("The career office asks you to change %(position)s before it is published: %(reason)s"))
POSITION_REJECTED = Kind(
    "position.rejected", N_("Position not published: %(position)s"),
    N_("The career office did not approve %(position)s: %(reason)s"))
APPLICATION_SHORTLISTED = Kind(
    "application.shortlisted", N_("Shortlisted: %(position)s"),
    N_("%(employer)s shortlisted your application for %(position)s."))
APPLICATION_NOT_SELECTED = Kind(
    "application.not_selected", N_("Application not selected: %(position)s"),
    N_("%(employer)s did not select your application for %(position)s. Reason: %(reason)s"))
BOOTH_APPROVED = Kind(
    "booth.approved", N_("Booth %(booth)s at %(fair)s"),
    N_("Your booth application for %(fair)s was approved: booth %(booth)s in %(hall)s."))
BOOTH_REJECTED = Kind(
    "booth.rejected", N_("Booth application for %(fair)s declined"),
    N_("Your booth application for %(fair)s was not approved: %(reason)s"))

KINDS = (INVITED, ACCEPTED, DECLINED, PROPOSED, RESCHEDULED, EXPIRED, REMINDER, CANCELLED, NEXT_ROUND, OFFER,
         NOT_PASSED, CALLED, NEXT_IN_LINE, REQUEUED, MISSED, POSITION_PUBLISHED, POSITION_RETURNED,
         POSITION_REJECTED, APPLICATION_SHORTLISTED, APPLICATION_NOT_SELECTED, BOOTH_APPROVED, BOOTH_REJECTED)
