"""Booking's routes in the access matrix (tests/identity/test_access_matrix.py): the demo catalogue plus, made
once per database, a booking of the student's that has ended (cancelled: nothing the matrix posts can change
it) and a resource of its own that the matrix may withdraw and put back."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app.bookings import domain, services
from app.bookings.models import Booking, Resource
from app.identity.models import User
from app.platform.extensions import db

MARK = "access-matrix"


def objects(web, student_username: str) -> dict:
    with web.app.app_context():
        try:
            student = db.session.execute(select(User.id).where(User.username == student_username)).scalar_one()
            resource = db.session.execute(select(Resource.id).where(Resource.code == "ROOM-A")).scalar_one()
            spare = db.session.execute(select(Resource.id).where(Resource.code == "MATRIX-1")).scalar()
            if spare is None:
                spare = Resource(code="MATRIX-1", name="矩阵测试间", kind=domain.INTERVIEW_ROOM, location="",
                                 booking_mode=domain.DIRECT, opens="08:00", closes="20:00", closed_weekdays=[],
                                 closed_dates=[], slot_minutes=30, max_minutes=60, advance_days=14, grace_minutes=10,
                                 remind_minutes=30, roles=["student"], devices=[], description="", active=True)
                db.session.add(spare)
                db.session.commit()
                spare = spare.id
            booking = db.session.execute(select(Booking.id).where(Booking.purpose == MARK)).scalar()
            if booking is None:
                day = date.today() + timedelta(days=5)
                start = datetime.combine(day, time(8), domain.LOCAL_TZ)
                booking = services.book(student, spare, domain.Slot(start, start + timedelta(minutes=30)), MARK)
                services.cancel(booking, student, "")
            screen = db.session.execute(select(Resource.id).where(Resource.kind == domain.BIG_SCREEN)
                                        .order_by(Resource.id).limit(1)).scalar_one()
            return {"resource": resource, "spare": spare, "booking": booking, "student": student, "screen": screen}
        finally:
            db.session.remove()


def routes(o: dict, expect) -> list:
    r, b, spare = o["resource"], o["booking"], o["spare"]
    everyone = expect(302, 200, 200, 200, 200, 403, 200)   # booking.view: not the process owner
    office = expect(302, 403, 403, 200, 403, 403, 200)      # booking.manage / booking.report

    def office_does(status):
        return expect(302, 403, 403, status, 403, 403, status)

    # the booker and the office see the booking; a counselor and an employer are told nothing exists
    refused = expect(302, 303, 404, 303, 404, 403, 303)     # seen, refused with a message
    return [
        ("GET", "/bookings/", everyone),
        ("GET", f"/bookings/resources/{r}", everyone),
        ("GET", f"/bookings/resources/{r}?view=week", everyone),
        ("POST", f"/bookings/resources/{r}/book", expect(302, 422, 422, 422, 422, 403, 422)),  # no slot chosen
        ("GET", "/bookings/mine", everyone),
        ("GET", f"/bookings/{b}", expect(302, 200, 404, 200, 404, 403, 200)),
        ("POST", f"/bookings/{b}/cancel", refused),       # already cancelled
        ("POST", f"/bookings/{b}/check-in", refused),
        ("POST", f"/bookings/{b}/finish", refused),
        ("POST", f"/bookings/{b}/offer", refused),
        ("GET", f"/bookings/{b}/recording", expect(302, 404, 404, 404, 404, 403, 404)),  # no recording
        ("POST", f"/bookings/{b}/incidents/999999/retry", office_does(303)),
        ("GET", "/bookings/desk", office),
        ("POST", f"/bookings/suspensions/{o['student']}/lift", office_does(303)),  # no reason: a message
        ("GET", "/bookings/catalogue/", office),
        ("GET", "/bookings/catalogue/new", office),
        ("POST", "/bookings/catalogue/new", office_does(422)),
        ("GET", f"/bookings/catalogue/{r}/edit", office),
        ("POST", f"/bookings/catalogue/{r}/edit", office_does(422)),
        ("POST", f"/bookings/catalogue/{spare}/active", office_does(303)),
        ("GET", "/bookings/catalogue/template.xlsx", office),
        ("GET", "/bookings/catalogue/export.xlsx", office),
        ("POST", "/bookings/catalogue/import", office_does(400)),  # no file
        ("GET", "/bookings/reports/", office),
        # print robots (whoever may book) and big screens (the office); device events prove themselves by signature
        ("GET", "/bookings/print", expect(302, 200, 200, 200, 200, 403, 200)),
        ("POST", "/bookings/print", expect(302, 422, 422, 422, 422, 403, 422)),  # nothing chosen
        ("POST", "/bookings/device-jobs/999999/again", expect(302, 303, 303, 303, 303, 403, 303)),  # no such job
        ("GET", f"/bookings/resources/{o['screen']}/screen", office),
        ("GET", f"/bookings/resources/{r}/screen", office_does(404)),  # not a screen
        ("POST", f"/bookings/resources/{o['screen']}/screen", office_does(422)),  # nothing to show
        ("POST", "/bookings/devices/events", expect(400, 400, 400, 400, 400, 400, 400)),  # unsigned
    ]
