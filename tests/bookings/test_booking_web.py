"""Booking through the web on both databases, with the real process and the demo catalogue: the calendar,
booking a slot (the same slot again answers 409 and offers the waitlist), bad input answered 422 with nothing
written, another person's booking hidden, the approval through the inbox, the desk with the demo's device
incident, the catalogue's Excel export imported back unchanged, an import with bad rows saving nothing, and
the usage statistics."""
from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime, time, timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.bookings import domain
from app.bookings.models import Booking, Resource
from app.engine.models import OpenTask
from tests.web import ROLE_USERS

LOCAL = domain.LOCAL_TZ


def page(resp) -> str:
    return resp.get_data(as_text=True)


def _resource(web, code: str) -> int:
    return web.scalar(select(Resource.id).where(Resource.code == code))


def _free_start(web, resource_id: int, hour: int) -> str:
    day = date.today() + timedelta(days=2)
    while day.weekday() == 6:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour), LOCAL).isoformat()


def test_book_from_the_calendar_and_the_rules_answered(web):
    student, other = web.client(ROLE_USERS["student"]), web.client("2022020101")
    room = _resource(web, "ROOM-A")
    shown = page(student.get(f"/bookings/resources/{room}?view=week"))
    assert "面试间 A" in shown and "slot-free" in shown
    assert student.get(f"/bookings/resources/{room}").status_code == 200
    start = _free_start(web, room, 17)
    before = web.scalar(select(func.count()).select_from(Booking))
    assert student.post(f"/bookings/resources/{room}/book", data={"start": start, "slots": "1", "purpose": "x"}
                        ).status_code == 422
    assert student.post(f"/bookings/resources/{room}/book", data={"start": "not a time", "purpose": "模拟面试"}
                        ).status_code == 422
    assert student.post(f"/bookings/resources/{room}/book", data={"start": start, "slots": "99", "purpose": "模拟面试"}
                        ).status_code == 422
    assert web.scalar(select(func.count()).select_from(Booking)) == before
    made = student.post(f"/bookings/resources/{room}/book", data={"start": start, "slots": "1", "purpose": "模拟面试"})
    assert made.status_code == 303
    booking_id = int(made.headers["Location"].rsplit("/", 1)[-1])
    assert "模拟面试" in page(student.get(f"/bookings/{booking_id}"))
    taken = other.post(f"/bookings/resources/{room}/book", data={"start": start, "slots": "1", "purpose": "我也要"})
    assert taken.status_code == 409 and "候补" in page(taken)
    queued = other.post(f"/bookings/resources/{room}/book",
                        data={"start": start, "slots": "1", "purpose": "我也要", "waitlist": "1"})
    assert queued.status_code == 303
    assert other.get(f"/bookings/{booking_id}").status_code == 404
    assert other.get("/bookings/99999999999").status_code == 404
    assert "模拟面试" in page(student.get("/bookings/mine"))
    cancelled = student.post(f"/bookings/{booking_id}/cancel", data={"reason": "改期"})
    assert cancelled.status_code == 303
    queued_id = int(queued.headers["Location"].rsplit("/", 1)[-1])
    assert web.scalar(select(Booking.status).where(Booking.id == queued_id)) == domain.OFFERED
    assert "accept-offer" in page(other.get(f"/bookings/{queued_id}"))
    assert other.post(f"/bookings/{queued_id}/offer", data={"answer": "accept"}).status_code == 303
    assert web.scalar(select(Booking.status).where(Booking.id == queued_id)) == domain.CONFIRMED


def test_approval_through_the_inbox_and_the_desk(web):
    student, staff = web.client("2022010102"), web.client(ROLE_USERS["staff"])
    studio = _resource(web, "STUDIO-1")
    made = student.post(f"/bookings/resources/{studio}/book",
                        data={"start": _free_start(web, studio, 19), "slots": "1", "purpose": "直播宣讲"})
    assert made.status_code == 303, page(made)[:500]
    booking_id = int(made.headers["Location"].rsplit("/", 1)[-1])
    instance = web.scalar(select(Booking.instance_id).where(Booking.id == booking_id))
    guid = web.scalar(select(OpenTask.task_guid).where(OpenTask.instance_id == instance, OpenTask.spec_id == "approve"))
    assert guid and guid in page(staff.get(f"/bookings/{booking_id}"))
    assert staff.post(f"/tasks/{guid}/claim").status_code in (302, 303)
    assert staff.post(f"/tasks/{guid}", data={"booking_decision": "reject"}).status_code == 422  # a reason is due
    done = staff.post(f"/tasks/{guid}", data={"booking_decision": "approve"})
    assert done.status_code in (302, 303)
    assert web.scalar(select(Booking.status).where(Booking.id == booking_id)) == domain.CONFIRMED
    desk = page(staff.get("/bookings/desk"))
    assert "device-incidents" in desk and "空中面试：申城会计师事务所" not in desk  # the incident, by its number
    assert student.get("/bookings/desk").status_code == 403
    assert student.get("/bookings/catalogue/").status_code == 403


def _sheet(rows: list[list[str]]) -> bytes:
    book = Workbook()
    ws = book.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_catalogue_export_imports_back_and_bad_rows_save_nothing(web):
    staff = web.client(ROLE_USERS["staff"])
    exported = staff.get("/bookings/catalogue/export.xlsx")
    assert exported.status_code == 200
    dry = staff.post("/bookings/catalogue/import", data={"file": (io.BytesIO(exported.data), "c.xlsx")},
                     content_type="multipart/form-data")
    assert dry.status_code == 200 and re.search(r"新增 0 个、更新 0 个", page(dry)), page(dry)[-1500:]
    rows = [list(r) for r in load_workbook(io.BytesIO(exported.data)).active.iter_rows(values_only=True)]
    code = f"ROOM-{uuid.uuid4().hex[:6]}"
    new_row = [code, "面试间 E", "interview_room", "2 楼 205", "direct", "08:00", "20:00", "", "", "30", "60", "7", "10",
               "30", "student", "", ""]
    bad_row = ["BAD 1", "", "garage", "", "maybe", "8点", "20:00", "9", "", "7", "60", "7", "10", "30", "guest",
               "x:toaster", ""]
    data = _sheet([rows[0], new_row, bad_row])
    refused = staff.post("/bookings/catalogue/import", data={"file": (io.BytesIO(data), "c.xlsx"), "commit": "1"},
                         content_type="multipart/form-data")
    assert refused.status_code == 422 and "未保存任何内容" in page(refused)
    assert web.scalar(select(Resource.id).where(Resource.code == code)) is None  # all or nothing
    report = staff.post("/bookings/catalogue/import",
                        data={"file": (io.BytesIO(data), "c.xlsx"), "commit": "1", "report": "1"},
                        content_type="multipart/form-data")
    assert report.status_code == 200 and "问题" in load_workbook(io.BytesIO(report.data)).sheetnames
    saved = staff.post("/bookings/catalogue/import",
                       data={"file": (io.BytesIO(_sheet([rows[0], new_row])), "c.xlsx"), "commit": "1"},
                       content_type="multipart/form-data")
    assert saved.status_code == 303
    assert web.scalar(select(Resource.name).where(Resource.code == code)) == "面试间 E"
    assert staff.post("/bookings/catalogue/import", data={"file": (io.BytesIO(b"not excel"), "c.xlsx")},
                      content_type="multipart/form-data").status_code == 400
    form = staff.post("/bookings/catalogue/new", data={"code": "X Y", "name": "", "kind": "studio"})
    assert form.status_code == 422


def test_usage_statistics_page(web):
    staff = web.client(ROLE_USERS["staff"])
    since = (date.today() - timedelta(days=10)).isoformat()
    shown = page(staff.get(f"/bookings/reports/?since={since}"))
    assert "chart-resources" in shown and "面试间 B" in shown  # the demo's no-shows of last week
    assert web.client(ROLE_USERS["student"]).get("/bookings/reports/").status_code == 403
