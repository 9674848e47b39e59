"""What booking tells people (the area's notification kinds, docs/notifications.md): a booking confirmed or
rejected, a reminder before it starts, a slot offered from the waitlist, a no-show and a suspension, a
suspension lifted, a booking cancelled by staff, and to the booking desk's staff a print robot that ran out of
paper or jammed (once per episode: app/bookings/robot_alerts.py)."""
from __future__ import annotations

from app.notifications import N_, Kind

CONFIRMED = Kind(
    "booking.confirmed", N_("Booking confirmed: %(resource)s"),
    N_("Your booking %(number)s of %(resource)s, %(when)s, is confirmed. Check in within %(grace)s minutes of "
       "the start, or it is released."))
REQUESTED = Kind(
    "booking.requested", N_("Booking request: %(resource)s"),
    N_("%(booker)s asks to book %(resource)s, %(when)s: %(purpose)s"))
REJECTED = Kind(
    "booking.rejected", N_("Booking not approved: %(resource)s"),
    N_("Your booking %(number)s of %(resource)s, %(when)s, was not approved. Reason: %(reason)s"))
EXPIRED = Kind(
    "booking.expired", N_("Booking request lapsed: %(resource)s"),
    N_("Your request %(number)s for %(resource)s, %(when)s, was not decided before the start."))
REMINDER = Kind(
    "booking.reminder", N_("Reminder: %(resource)s at %(when)s"),
    N_("Your booking %(number)s of %(resource)s (%(location)s) starts %(when)s. Check in within %(grace)s "
       "minutes of the start."))
OFFERED = Kind(
    "booking.offered", N_("A slot is free for you: %(resource)s"),
    N_("%(resource)s, %(when)s, was released and you are first in line. Accept it by %(deadline)s."))
NO_SHOW = Kind(
    "booking.no_show", N_("Missed booking: %(resource)s"),
    N_("You did not check in for %(resource)s, %(when)s; the booking was released. Your booking credit is now "
       "%(score)s."))
SUSPENDED = Kind(
    "booking.suspended", N_("Booking suspended until %(until)s"),
    N_("After %(no_shows)s missed bookings you cannot book until %(until)s. The career office can lift this."))
LIFTED = Kind(
    "booking.lifted", N_("You can book again"),
    N_("The career office lifted your booking suspension: %(reason)s"))
CANCELLED = Kind(
    "booking.cancelled", N_("Booking cancelled: %(resource)s"),
    N_("The booking %(number)s of %(resource)s, %(when)s, was cancelled. Reason: %(reason)s"))
RECORDING = Kind(
    "booking.recording", N_("Your recording is ready: %(resource)s"),
    N_("The recording of your booking %(number)s (%(when)s) is on the booking's page."))

ROBOT_OUT_OF_PAPER = Kind(
    "booking.robot_out_of_paper", N_("Print robot out of paper: %(robot)s"),
    N_("%(robot)s (%(location)s) is out of paper. Print jobs waiting: %(waiting)s. Load paper: the robot prints "
       "on by itself."))
ROBOT_JAMMED = Kind(
    "booking.robot_jammed", N_("Print robot stopped: %(robot)s"),
    N_("%(robot)s (%(location)s) stopped with an error: %(error)s. Print jobs waiting: %(waiting)s. Clear the "
       "robot; the booking desk lists it until it prints again."))

KINDS = (CONFIRMED, REQUESTED, REJECTED, EXPIRED, REMINDER, OFFERED, NO_SHOW, SUSPENDED, LIFTED, CANCELLED,
         RECORDING, ROBOT_OUT_OF_PAPER, ROBOT_JAMMED)
