"""What the archives tell people (docs/notifications.md): a confirmed destination, reminders of unanswered
follow-ups and profile updates, the answer to an alumnus's update request."""
from __future__ import annotations

from app.notifications import N_, Kind

DESTINATION_CONFIRMED = Kind(
    "archive.destination_confirmed", N_("Your destination is confirmed: %(category)s"),
    N_("The career office confirmed your destination registration (%(category)s). You may still change it "
       "until 31 August."))
REMINDER = Kind(
    "archive.reminder", N_("Reminder: %(what)s is waiting for you"),
    N_("Please answer \u201c%(what)s\u201d in your tasks; the career office counts on every graduate's answer."))
UPDATE_DECIDED = Kind(
    "archive.update_decided", N_("Your career record update: %(decision)s"),
    N_("The career office looked at your request to update your career record: %(decision)s."))

KINDS = (DESTINATION_CONFIRMED, REMINDER, UPDATE_DECIDED)
