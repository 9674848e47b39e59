"""Demo recruiting, made through the area's own services and processes: four more employers registered and
approved, graduating students, positions reviewed by the career office (one still in review, its wording
flagged), today's fair with two halls whose booths the employers applied for, registrations, applications with
résumés, invitations at every state (waiting, accepted at a booth, declined, another time proposed, an offer
that started a tripartite agreement, not passed) and a queue at the booths that has been moving for an hour
(check-ins, calls, interviews done and running: controlled times). Service tasks run at once (no worker needed).

Idempotent: what exists is kept; today's demo fair, once made, is not made again.
"""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from app import engine
from app.agreements import queries as agreement_queries
from app.employers import services as employer_services
from app.engine.models import OpenTask
from app.forms.task_forms import uploads_dir
from app.forms.uploads import UploadBatch
from app.identity.demo import DEMO_PASSWORD, add_accounts
from app.identity.models import Employer, Major, User
from app.interviews import domain, fairs, invitations, positions, queue_services
from app.interviews.models import Booth, JobFair
from app.platform.clock import LOCAL_TZ
from app.platform.demo import jobs_at_once
from app.platform.extensions import db
from app.platform.uow import unit_of_work

FAIR_TITLE = "2026届毕业生春季校园双选会"
SIGNED_STUDENT = "2022011002"  # a student of the demo graduating class with an agreement in force (agreements demo)

# name, credit code, kind, industry, address, user name, contact
EMPLOYERS = [
    ("星海云计算有限公司", "91330100MA2H5K8B3N", "private", "信息技术", "杭州市滨江区网商路 699 号", "hr_xinghai", "王经理"),
    ("申城会计师事务所（特殊普通合伙）", "91310000MA1K4C7P3L", "other", "专业服务", "上海市黄浦区中山东一路 18 号", "hr_shencheng", "赵主任"),
    ("远航物流集团有限公司", "91440300MA5G2Q9T1P", "private", "交通物流", "深圳市南山区科技园南区 6 栋", "hr_yuanhang", "钱女士"),
    ("东方外语培训学校", "52110000MJ0012345X", "public_institution", "教育", "北京市海淀区学院路 30 号", "hr_dongfang", "孙老师"),
]
ACCOUNTS = [(username, f"{name} 招聘负责人 {contact}", ["employer"], {}) for name, _c, _k, _i, _a, username, contact
            in EMPLOYERS]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = ["子涵", "浩然", "欣怡", "梓轩", "雨桐", "俊杰", "思远", "诗琪", "宇航", "佳怡", "明轩", "若曦", "博文", "可馨",
         "天佑", "雅琳", "嘉豪", "梦瑶", "晨阳", "语嫣", "一鸣", "紫萱", "泽宇", "心悦"]
MAJORS = ["CS01", "CS02", "EM01", "EM02", "FL01", "FL02"]
STUDENTS = [(f"20220{1 + i % 3}{i // 3 + 2:02d}{i % 2 + 1:02d}", SURNAMES[i] + GIVEN[i], ["student"],
             {"student": (MAJORS[i % 6], "男" if i % 2 else "女", f"1101012003{(i % 12) + 1:02d}1512{i:02d}")})
            for i in range(24)]

# employer credit code -> positions (title, city, location, pay, degree, majors, description)
POSITIONS = {
    "91310000MA1FL8XQ37": [("后端开发工程师", "上海", "上海市浦东新区张江路 88 号", (12000, 18000), "本科", ["CS01", "CS02"],
                           "负责交易系统后端服务的设计与开发，使用 Python、Go 与 PostgreSQL。熟悉 Linux 与网络编程者优先。"),
                          ("数据分析师", "上海", "上海市浦东新区张江路 88 号", (10000, 15000), "本科", ["CS01", "EM01"],
                           "负责业务数据分析与报表，熟练使用 SQL 与 Python，良好的沟通能力。")],
    "91320000134567890Y": [("管理培训生", "南京", "南京市鼓楼区中山路 1 号", (9000, 12000), "本科", [],
                           "轮岗于零售金融、公司金融与风险管理部门，两年后定岗。专业不限，热爱金融行业。"),
                          ("柜面业务经理", "苏州", "苏州市工业园区星海街 9 号", (7000, 9000), "专科", ["EM01", "EM02"],
                           "负责网点柜面业务与客户服务，持有会计或金融类证书者优先。")],
    "91330100MA2H5K8B3N": [("云平台运维工程师", "杭州", "杭州市滨江区网商路 699 号", (11000, 16000), "本科", ["CS01", "CS02"],
                           "负责 Kubernetes 集群与监控告警体系，熟悉 Linux、Shell 与 Python。"),
                          ("前端开发工程师", "杭州", "杭州市滨江区网商路 699 号", (11000, 17000), "本科", ["CS02"],
                           "负责控制台前端开发，熟悉 TypeScript 与 React。")],
    "91310000MA1K4C7P3L": [("审计助理", "上海", "上海市黄浦区中山东一路 18 号", (8000, 11000), "本科", ["EM01"],
                           "参与上市公司年报审计，持有 CPA 部分科目者优先，能适应出差。")],
    "91440300MA5G2Q9T1P": [("供应链管理专员", "深圳", "深圳市南山区科技园南区 6 栋", (8000, 12000), "本科", ["EM02"],
                           "负责仓储与运输计划的协调与优化，熟练使用 Excel。"),
                          ("日语客服专员", "深圳", "深圳市南山区科技园南区 6 栋", (7500, 10000), "本科", ["FL02"],
                           "对接日本客户的订单与物流咨询，日语 N2 及以上。")],
    "52110000MJ0012345X": [("英语教师", "北京", "北京市海淀区学院路 30 号", (9000, 13000), "本科", ["FL01"],
                           "负责少儿与成人英语课程教学，英语专业八级优先。")],
}
FLAGGED = ("销售代表（限男性）", "上海", "上海市浦东新区张江路 88 号", (8000, 20000), "本科", [],
           "负责华东区客户开发。要求：限男性，35岁以下，985/211 院校毕业优先，已婚已育者优先。")
RESUME = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
          b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def load(password: str = DEMO_PASSWORD) -> None:
    now = datetime.now(timezone.utc)
    today = now.astimezone(LOCAL_TZ).date()
    with jobs_at_once():
        staff = _user_id("staff1")
        employers = _employers(staff, password)
        with unit_of_work() as uow:
            add_accounts(uow.session, STUDENTS, password, {})
            uow.commit()
        if _fair_of(today) is not None:
            return
        titles = _positions(employers, staff, today)
        fair_id = _fair(staff, now, today)
        _booths(fair_id, employers, titles, staff)
        students = [_user_id(u) for u in ("2022010101", "2022010102", "2022020101", "2022030101")] + [
            _user_id(s[0]) for s in STUDENTS]
        for student in students[:22]:
            fairs.register(student, fair_id)
        _applications(students, titles, employers)
        _invitations(fair_id, students, titles, employers, staff, now)
        _queues(fair_id, students, employers, now)



def _user_id(username: str) -> int:
    found = db.session.execute(select(User.id).where(User.username == username)).scalar()
    if found is None:
        raise LookupError(f"demo account {username} missing")
    return found


def _complete(business_key: str, spec_id: str, data: dict, actor: int) -> None:
    guid = db.session.execute(select(OpenTask.task_guid).where(
        OpenTask.spec_id == spec_id, OpenTask.business_key == business_key)).scalar()
    db.session.rollback()
    if guid is not None:
        engine.complete_task(guid, data, actor)


def _employers(staff: int, password: str) -> dict[str, tuple[int, int]]:
    """credit code -> (employer id, recruiter user id) of every demo employer, registering the new ones."""
    for name, code, kind, industry, address, username, contact in EMPLOYERS:
        if db.session.execute(select(Employer.id).where(Employer.credit_code == code)).scalar() is None:
            db.session.rollback()
            employer_id = employer_services.register_employer(name, code, contact, "021-62345678", username, password,
                                                              kind, industry, address, None)
            _complete(f"EMP-{employer_id}", "qualification_review",
                      {"qualification_decision": "approve", "qualification_comment": "资质材料齐全，同意。"}, staff)
    found = {}
    for code in [*POSITIONS]:
        employer_id = db.session.execute(select(Employer.id).where(Employer.credit_code == code)).scalar()
        user = db.session.execute(select(User.id).where(User.employer_id == employer_id).order_by(User.id)).scalar()
        found[code] = (employer_id, user)
    db.session.rollback()
    return found


def _position_input(spec, today: date) -> domain.PositionInput:
    title, city, location, (low, high), degree, majors, description = spec
    major_ids = tuple(db.session.execute(select(Major.id).where(Major.code.in_(majors))).scalars()) if majors else ()
    db.session.rollback()
    return domain.PositionInput(title, description, major_ids, degree, city, location, low, high, 3,
                                today + timedelta(days=60), 3, 3, "提前解约须提前 30 日书面通知，违约金 5000 元。", "无",
                                location, False)


def _positions(employers: dict, staff: int, today: date) -> dict[str, list[int]]:
    """credit code -> its published demo positions (submitted and approved through the review process)."""
    made: dict[str, list[int]] = {}
    for code, specs in POSITIONS.items():
        employer_id, recruiter = employers[code]
        for spec in specs:
            position_id = positions.save_position(recruiter, _position_input(spec, today), today=today)
            positions.submit_position(recruiter, position_id)
            _complete(domain.position_key(position_id), "position_check",
                      {"position_decision": "approve", "review_comment": "同意发布"}, staff)
            made.setdefault(code, []).append(position_id)
    employer_id, recruiter = employers["91310000MA1FL8XQ37"]
    flagged = positions.save_position(recruiter, _position_input(FLAGGED, today), today=today)
    positions.submit_position(recruiter, flagged)  # waits in the career office's inbox, its wording flagged
    return made


def _fair_of(today: date) -> int | None:
    found = db.session.execute(select(JobFair.id).where(JobFair.title == FAIR_TITLE, JobFair.day == today)).scalar()
    db.session.rollback()
    return found


def _fair(staff: int, now: datetime, today: date) -> int:
    opens = datetime.combine(today, time(9, 0), LOCAL_TZ)
    closes = datetime.combine(today, time(17, 0), LOCAL_TZ)
    starts = min(opens, now - timedelta(hours=2))
    ends = max(closes, now + timedelta(hours=6))  # made late in the evening, it runs on past midnight
    fair_id = fairs.create_fair(staff, domain.FairInput(
        FAIR_TITLE, today, starts, ends, "体育馆与大学生活动中心", 3000, today, 3, 5,
        (("A", "一号馆（体育馆）", 2, 4), ("B", "二号馆（活动中心）", 2, 3))), today=today)
    fairs.set_fair_status(fair_id, domain.FAIR_OPEN)
    return fair_id


def _booths(fair_id: int, employers: dict, titles: dict, staff: int) -> None:
    for index, (code, (_employer_id, recruiter)) in enumerate(employers.items()):
        application_id = fairs.apply_for_booth(recruiter, fair_id, titles[code], "A" if index < 4 else "B",
                                               "需要一张长桌与电源")
        _complete(domain.booth_application_key(application_id), "booth_check", {"booth_decision": "approve"}, staff)


def _resume(student_id: int) -> dict:
    name = db.session.execute(select(User.display_name).where(User.id == student_id)).scalar()
    db.session.rollback()
    upload = io.BytesIO(RESUME)
    upload.filename = f"{name}-简历.pdf"
    with UploadBatch(uploads_dir()) as batch:
        reference = batch.stage(upload)
        batch.commit()
    return reference


def _applications(students: list[int], titles: dict, employers: dict) -> None:
    plan = [(0, "91310000MA1FL8XQ37", 0), (1, "91310000MA1FL8XQ37", 0), (4, "91310000MA1FL8XQ37", 1),
            (2, "91320000134567890Y", 0), (3, "91320000134567890Y", 0), (5, "91330100MA2H5K8B3N", 0),
            (6, "91310000MA1K4C7P3L", 0), (7, "91440300MA5G2Q9T1P", 1), (8, "52110000MJ0012345X", 0)]
    made = []
    for student_index, code, which in plan:
        made.append(positions.apply(students[student_index], titles[code][which], _resume(students[student_index]),
                                    "期待加入贵单位，可随时到岗。"))
    positions.screen(employers["91310000MA1FL8XQ37"][1], made[0], "shortlist")
    positions.screen(employers["91310000MA1FL8XQ37"][1], made[1], "shortlist")
    positions.screen(employers["91310000MA1FL8XQ37"][1], made[2], "not_selected", "本岗位需要较多 SQL 实践经验，欢迎关注其他岗位。")


def _invite(employers: dict, code: str, student: int, position: int, start: datetime, place: invitations.Place,
            now: datetime, message: str) -> int:
    return invitations.invite(employers[code][1], student, position, domain.Slot(start, start + timedelta(minutes=30)),
                              place, min(start - timedelta(minutes=10), now + timedelta(hours=20)), message, now=now)


def _invitations(fair_id: int, students: list[int], titles: dict, employers: dict, staff: int, now: datetime) -> None:
    booth_of = dict(db.session.execute(select(Booth.employer_id, Booth.id).where(Booth.fair_id == fair_id)).all())
    db.session.rollback()
    huachen, jiangnan, xinghai = "91310000MA1FL8XQ37", "91320000134567890Y", "91330100MA2H5K8B3N"
    soon = now + timedelta(hours=1)
    # accepted, at the fair's booth: priority in its queue
    at_booth = _invite(employers, huachen, students[0], titles[huachen][0], soon,
                       invitations.Place(domain.PLACE_BOOTH, booth_of[employers[huachen][0]]), now,
                       "请到一号馆展位面试，带上成绩单。")
    _answer(at_booth, students[0], {"answer": "accept"})
    # waiting for the student's answer
    _invite(employers, jiangnan, students[1], titles[jiangnan][0], now + timedelta(days=1),
            invitations.Place(domain.PLACE_ROOM, room="江南银行南京分行 12 楼会议室"), now, "")
    # declined
    declined = _invite(employers, jiangnan, students[2], titles[jiangnan][0], now + timedelta(days=1, hours=2),
                       invitations.Place(domain.PLACE_ROOM, room="江南银行南京分行 12 楼会议室"), now, "")
    _answer(declined, students[2], {"answer": "decline", "decline_reason": "已接受其他单位的面试安排"})
    # another time proposed, waiting for the employer
    proposed = _invite(employers, xinghai, students[3], titles[xinghai][0], now + timedelta(days=2),
                       invitations.Place(domain.PLACE_ONLINE, online_url="https://meeting.example.com/j/2026041"), now, "")
    _answer(proposed, students[3], {"answer": "propose", "proposed_start": (now + timedelta(days=3)).isoformat(),
                                    "proposal_note": "当天有考试，希望改到周四下午"})
    # an offer after the interview: the tripartite agreement started, both processes linked
    offered = _invite(employers, xinghai, students[5], titles[xinghai][0], now + timedelta(hours=3),
                      invitations.Place(domain.PLACE_ONLINE, online_url="https://meeting.example.com/j/2026042"), now, "")
    _answer(offered, students[5], {"answer": "accept"})
    _outcome(offered, employers[xinghai][1], {"outcome": "offer", "offer_pay": 13000, "outcome_note": "欢迎加入！"})
    # not passed
    passed_not = _invite(employers, huachen, students[4], titles[huachen][1], now + timedelta(hours=4),
                         invitations.Place(domain.PLACE_ROOM, room="华辰科技 3 楼面试间"), now, "")
    _answer(passed_not, students[4], {"answer": "accept"})
    _outcome(passed_not, employers[huachen][1], {"outcome": "reject", "outcome_note": "感谢参加，岗位要求更多项目经验。"})
    _offer_to_a_student_already_signed(employers, titles, now)


def _offer_to_a_student_already_signed(employers: dict, titles: dict, now: datetime) -> None:
    """An open incident for the office (lively demo): an offer recorded for a student whose agreement with
    another employer is already in force, so starting the new agreement fails (no retries here)."""
    student = db.session.execute(select(User.id).where(User.username == SIGNED_STUDENT)).scalar()
    db.session.rollback()
    if student is None or not agreement_queries.student_is_busy(student):
        return
    xinghai = "91330100MA2H5K8B3N"
    late = _invite(employers, xinghai, student, titles[xinghai][1], now + timedelta(hours=5),
                   invitations.Place(domain.PLACE_ONLINE, online_url="https://meeting.example.com/j/2026043"), now, "")
    _answer(late, student, {"answer": "accept"})
    before = current_app.config["JOB_MAX_ATTEMPTS"]
    current_app.config["JOB_MAX_ATTEMPTS"] = 1
    try:
        _outcome(late, employers[xinghai][1], {"outcome": "offer", "offer_pay": 14000, "outcome_note": "欢迎加入！"})
    finally:
        current_app.config["JOB_MAX_ATTEMPTS"] = before


def _answer(invitation_id: int, student: int, data: dict) -> None:
    _complete(domain.invitation_key(invitation_id), "student_answer", data, student)


def _outcome(invitation_id: int, recruiter: int, data: dict) -> None:
    _complete(domain.invitation_key(invitation_id), "record_outcome", data, recruiter)


def _queues(fair_id: int, students: list[int], employers: dict, now: datetime) -> None:
    """An hour of the fair at its booths, at controlled times: check-ins, calls, interviews."""
    booth_of = dict(db.session.execute(select(Booth.employer_id, Booth.id).where(Booth.fair_id == fair_id)).all())
    db.session.rollback()
    huachen = booth_of[employers["91310000MA1FL8XQ37"][0]]
    recruiter = employers["91310000MA1FL8XQ37"][1]
    start = now - timedelta(minutes=50)
    for index, student in enumerate([students[0], *students[6:14]]):
        queue_services.check_in(student, huachen, "qr", now=start + timedelta(minutes=index * 3))
    for minute, (length, outcome) in ((5, (6, domain.OUTCOME_NEXT_ROUND)), (12, (8, domain.OUTCOME_REJECT))):
        ticket = queue_services.call_next(huachen, recruiter, now=start + timedelta(minutes=minute))
        queue_services.start(ticket.id, huachen, recruiter, now=start + timedelta(minutes=minute + 1))
        queue_services.finish(ticket.id, huachen, recruiter, outcome, "", now=start + timedelta(minutes=minute + 1 + length))
    ticket = queue_services.call_next(huachen, recruiter, now=now - timedelta(minutes=7))
    queue_services.start(ticket.id, huachen, recruiter, now=now - timedelta(minutes=6))
    queue_services.call_next(huachen, recruiter, now=now - timedelta(minutes=1))
    others = [b for e, b in booth_of.items() if b != huachen and e is not None]
    for index, student in enumerate(students[14:22]):
        queue_services.check_in(student, others[index % len(others)], "qr", now=now - timedelta(minutes=20 - index))
    queue_services.check_in(students[7], others[0], "kiosk", now=now - timedelta(minutes=4))
    first_other = others[0]
    other_recruiter = db.session.execute(select(User.id).join(Booth, Booth.employer_id == User.employer_id)
                                         .where(Booth.id == first_other).order_by(User.id)).scalar()
    db.session.rollback()
    queue_services.call_next(first_other, other_recruiter, now=now - timedelta(minutes=2))
