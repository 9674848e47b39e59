"""Demo booking, made through the area's services and its process: the career centre's catalogue (2 recording
studios, 4 interview rooms, 2 print robots, 1 big screen), bookings at several states (confirmed, awaiting
approval, rejected, cancelled, a waitlist behind a taken slot, no-shows released by the grace timer), and one
booking whose studio did not answer at its start: a device incident for staff to retry. Service tasks run in
this process as they come (no worker is running yet).

Idempotent: once the catalogue exists, nothing is made again.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.bookings import catalogue, domain, services
from app.bookings.models import Booking, Resource
from app.engine import outbox
from app.engine.models import Job
from app.identity.demo import DEMO_PASSWORD
from app.identity.models import User
from app.platform import clock
from app.platform.extensions import db
from app.platform.uow import unit_of_work

LOCAL = ZoneInfo("Asia/Shanghai")
ACCOUNTS: list[tuple] = []
EVERYONE = ("student", "counselor", "staff", "employer")
# code, name, kind, location, mode, opens, closes, closed weekdays, slot, max, ahead, grace, remind, roles, devices
CATALOGUE = [
    ("STUDIO-1", "1 号录播间", domain.STUDIO, "就业指导中心 3 楼 301", domain.APPROVAL, "08:00", "21:00", "7", 60, 120, 7,
     15, 60, EVERYONE, "studio-1:studio", "三机位录播，空中面试、直播宣讲；需审批"),
    ("STUDIO-2", "2 号录播间", domain.STUDIO, "就业指导中心 3 楼 302", domain.DIRECT, "08:00", "21:00", "7", 60, 120, 7,
     15, 60, EVERYONE, "studio-2:studio", "单机位录播，视频面试、简历视频"),
    ("ROOM-A", "面试间 A", domain.INTERVIEW_ROOM, "就业指导中心 2 楼 201", domain.DIRECT, "08:00", "20:00", "", 30, 90, 14,
     10, 60, ("student", "employer", "staff"), "", "4 人座，适合单面"),
    ("ROOM-B", "面试间 B", domain.INTERVIEW_ROOM, "就业指导中心 2 楼 202", domain.DIRECT, "08:00", "20:00", "", 30, 90, 14,
     10, 60, ("student", "employer", "staff"), "", "4 人座，适合单面"),
    ("ROOM-C", "群面室 C", domain.INTERVIEW_ROOM, "就业指导中心 2 楼 203", domain.APPROVAL, "08:00", "20:00", "6,7", 60,
     180, 14, 15, 120, ("employer", "staff"), "", "12 人座，无领导小组讨论；用人单位宣讲会配套"),
    ("ROOM-D", "面试间 D", domain.INTERVIEW_ROOM, "图书馆 1 楼东侧", domain.DIRECT, "09:00", "17:00", "6,7", 30, 60, 7,
     10, 30, ("student",), "", "学生模拟面试专用"),
    ("PRINT-1", "自助打印机器人 1", domain.PRINT_ROBOT, "就业指导中心大厅", domain.NOT_BOOKABLE, "08:00", "21:00", "", 15,
     15, 1, 5, 0, ("student",), "printer-1:printer", "打印就业协议书、推荐表、成绩单；无需预约，扫码即用"),
    ("PRINT-2", "自助打印机器人 2", domain.PRINT_ROBOT, "学生服务中心 1 楼", domain.NOT_BOOKABLE, "08:00", "21:00", "", 15,
     15, 1, 5, 0, ("student",), "printer-2:printer", "打印就业协议书、推荐表、成绩单；无需预约，扫码即用"),
    ("SCREEN-1", "大厅数据展示大屏", domain.BIG_SCREEN, "就业指导中心大厅", domain.APPROVAL, "08:00", "21:00", "", 60,
     480, 30, 30, 60, ("staff",), "screen-1:screen", "双选会实时看板、宣讲会通知"),
]


@contextmanager
def _jobs_at_once():
    before = current_app.config.get("RQ_ASYNC", True)
    current_app.config["RQ_ASYNC"] = False
    try:
        yield
    finally:
        current_app.config["RQ_ASYNC"] = before


def _user(username: str) -> int | None:
    return db.session.execute(select(User.id).where(User.username == username)).scalar()


def _catalogue() -> dict[str, int]:
    inputs = []
    for (code, name, kind, location, mode, opens, closes, closed, slot, longest, ahead, grace, remind, roles,
         devices, description) in CATALOGUE:
        value, errors = catalogue.read_input({
            "code": code, "name": name, "kind": kind, "location": location, "booking_mode": mode, "opens": opens,
            "closes": closes, "closed_weekdays": closed, "slot_minutes": str(slot), "max_minutes": str(longest),
            "advance_days": str(ahead), "grace_minutes": str(grace), "remind_minutes": str(remind),
            "roles": ",".join(roles), "devices": devices, "description": description})
        assert value is not None, (code, errors)
        inputs.append(value)
    catalogue.save_all(inputs)
    return dict(db.session.execute(select(Resource.code, Resource.id)).all())


def _open_day(resource_id: int, after: date) -> date:
    schedule = catalogue.schedule_of(db.session.get(Resource, resource_id))
    day = after
    while day.weekday() in schedule.closed_weekdays:
        day += timedelta(days=1)
    return day


def _slot(day: date, hour: int, minutes: int) -> domain.Slot:
    start = datetime.combine(day, time(hour), LOCAL)
    return domain.Slot(start, start + timedelta(minutes=minutes))


def _incident(booking_id: int) -> None:
    """The studio controller does not answer at the start: the device step's attempts run out."""
    saved = current_app.config.get("DEVICE_GATEWAY_URL")
    current_app.config.update(DEVICE_GATEWAY_URL="http://127.0.0.1:9", DEVICE_MAX_ATTEMPTS=1)
    try:
        instance_id = db.session.get(Booking, booking_id).instance_id
        for _attempt in range(10):
            job = db.session.execute(select(Job).where(Job.instance_id == instance_id, Job.operation == "booking.devices_on")
                                     ).scalar_one_or_none()
            if job is None or job.status == "incident":
                break
            with unit_of_work() as uow:
                job.next_attempt_at = datetime.now(LOCAL)
                uow.commit()
            outbox.sweep()
            db.session.rollback()
    finally:
        current_app.config.update(DEVICE_GATEWAY_URL=saved, DEVICE_MAX_ATTEMPTS=4)


def load(password: str = DEMO_PASSWORD) -> None:
    if db.session.execute(select(Resource.id).where(Resource.code == "STUDIO-1")).scalar() is not None:
        return
    students = [u for u in (_user(n) for n in ("2022010101", "2022010102", "2022020101", "2022030101")) if u]
    staff, hr = _user("staff1"), _user("hr_huachen")
    if len(students) < 4 or staff is None:
        return
    now = datetime.now(LOCAL)
    with _jobs_at_once():
        ids = _catalogue()
        tomorrow = now.date() + timedelta(days=1)
        # confirmed: a video interview in studio 2 tomorrow; a mock interview in room A
        day = _open_day(ids["STUDIO-2"], tomorrow)
        services.book(students[0], ids["STUDIO-2"], _slot(day, 10, 60), "空中面试：华辰科技 后端开发工程师")
        services.book(students[1], ids["ROOM-A"], _slot(_open_day(ids["ROOM-A"], tomorrow), 14, 30), "模拟面试练习")
        # the same studio slot wanted by another student: the waitlist
        services.join_waitlist(students[1], ids["STUDIO-2"], _slot(day, 10, 60), "视频面试：远航物流")
        # awaiting the office's approval (in the device desk's inbox), and one rejected
        day1 = _open_day(ids["STUDIO-1"], tomorrow)
        services.book(students[2], ids["STUDIO-1"], _slot(day1, 15, 60), "直播宣讲彩排：计算机学院就业分享会")
        rejected = services.book(students[3], ids["STUDIO-1"], _slot(day1, 9, 60), "个人作品集录制")
        if hr is not None:
            services.book(hr, ids["ROOM-C"], _slot(_open_day(ids["ROOM-C"], tomorrow), 10, 120), "华辰科技 群面（无领导小组讨论）")
        _decide(rejected, staff, "reject", "该时段已预留给校级宣讲会直播，请改约其他时段")
        # cancelled by the student
        cancelled = services.book(students[3], ids["ROOM-B"], _slot(_open_day(ids["ROOM-B"], tomorrow), 16, 30),
                                  "与辅导员模拟面试")
        services.cancel(cancelled, students[3], "时间冲突")
        # no-shows: booked last week, nobody checked in; the grace timer released them
        last_week = now.date() - timedelta(days=6)
        for student, hour in ((students[3], 9), (students[2], 11)):
            day = _open_day(ids["ROOM-B"], last_week)
            slot = _slot(day, hour, 30)
            with clock.clock_at(slot.start - timedelta(days=1)):
                services.book(student, ids["ROOM-B"], slot, "模拟面试")
        # the studio booked for this morning whose controller did not answer at the start: an incident
        day = now.date() if now.hour >= 9 else now.date() - timedelta(days=1)
        while day.weekday() == 6:  # the studio is closed on Sundays
            day -= timedelta(days=1)
        slot = _slot(day, 8, 60)
        with clock.clock_at(slot.start - timedelta(hours=2)):
            late = services.book(students[1], ids["STUDIO-2"], slot, "空中面试：申城会计师事务所")
        _incident(late)


def _decide(booking_id: int, staff: int, decision: str, reason: str) -> None:
    from app import engine
    from app.engine.models import OpenTask

    instance_id = db.session.get(Booking, booking_id).instance_id
    guid = db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id,
                                                               OpenTask.spec_id == "approve")).scalar_one()
    engine.claim_task(guid, staff)
    engine.complete_task(guid, {"booking_decision": decision, "decision_reason": reason}, staff)
