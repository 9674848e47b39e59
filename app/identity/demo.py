"""Demo data of the directory: a small university with colleges, majors, students, counselors, staff, an
admin and a process owner. Idempotent: existing rows and accounts are left as they are. Areas add their
own demo data after this (app/platform/areas.py, DemoData)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.identity.models import College, CounselorScope, Major, Student, User, UserRole
from app.platform.areas import DemoAccount
from app.platform.uow import unit_of_work

DEMO_PASSWORD = "Demo@2026"

COLLEGES = [
    ("CS", "计算机科学与技术学院", [("CS01", "计算机科学与技术"), ("CS02", "软件工程")]),
    ("EM", "经济管理学院", [("EM01", "会计学"), ("EM02", "市场营销")]),
    ("FL", "外国语学院", [("FL01", "英语"), ("FL02", "日语")]),
]
# username, display name, roles, extra
ACCOUNTS = [
    ("admin", "系统管理员", ["admin"], {}),
    ("owner", "流程管理员 周老师", ["process_owner"], {}),
    ("staff1", "就业中心 陈老师", ["staff"], {}),
    ("staff2", "就业中心 林老师", ["staff"], {}),
    ("counselor_cs", "计算机学院辅导员 王老师", ["counselor"], {"colleges": ["CS"]}),
    ("counselor_em", "经管学院辅导员 李老师", ["counselor"], {"colleges": ["EM"]}),
    ("counselor_fl", "外语学院辅导员 赵老师", ["counselor"], {"colleges": ["FL"]}),
    ("2022010101", "张伟", ["student"], {"student": ("CS01", "男", "110101200301011234")}),
    ("2022010102", "李娜", ["student"], {"student": ("CS02", "女", "310101200302022345")}),
    ("2022020101", "王芳", ["student"], {"student": ("EM01", "女", "320102200303033456")}),
    ("2022030101", "刘洋", ["student"], {"student": ("FL01", "男", "330102200304044567")}),
]


# The lively university (config DEMO_ACTIVITY): two more colleges and a graduating class of 300 over five
# colleges, each student with phone and e-mail, so that lists, counts and filters mean something.
MORE_COLLEGES = [
    ("ME", "机械工程学院", [("ME01", "机械设计制造及其自动化"), ("ME02", "车辆工程")]),
    ("MS", "数学与统计学院", [("MS01", "数学与应用数学"), ("MS02", "统计学")]),
]
MORE_ACCOUNTS = [
    ("counselor_me", "机械学院辅导员 孙老师", ["counselor"], {"colleges": ["ME"]}),
    ("counselor_ms", "数统学院辅导员 周老师", ["counselor"], {"colleges": ["MS"]}),
]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = ["子轩", "雨涵", "浩宇", "欣妍", "宇轩", "梓涵", "俊豪", "诗涵", "博涵", "可欣", "文博", "静怡", "思源", "晓彤",
          "嘉怡", "子豪", "一诺", "天翊", "雅婷", "明哲", "若彤", "志远", "佳琪", "皓轩", "梦琪", "家乐", "心怡", "振宇",
          "书瑶", "建华", "婉清", "国栋", "晨曦", "泽楷", "慧敏", "鹏飞", "艺涵", "俊凯", "紫涵", "宏伟"]
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_number(body17: str) -> str:
    """A resident ID number with its GB 11643 check character."""
    total = sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS))
    return body17 + "10X98765432"[total % 11]


def population() -> list[tuple]:
    """The graduating class of the lively demo: 60 students in each of five colleges (student numbers
    2022CC1xNN, beside the named demo students), in add_accounts' shape with contact details."""
    colleges = [("CS", 1), ("EM", 2), ("FL", 3), ("ME", 4), ("MS", 5)]
    people = []
    for college, number in colleges:
        for k in range(60):
            n = number * 60 + k
            name = _SURNAMES[n % len(_SURNAMES)] + _GIVEN[(n * 7 + k) % len(_GIVEN)]
            student_no = f"2022{number:02d}{10 + k // 6:02d}{k % 6 + 1:02d}"
            gender = "男" if n % 2 else "女"
            born = f"2003{(n % 12) + 1:02d}{(n % 27) + 1:02d}"
            id_number = _id_number(f"1101{number:02d}{born}{n % 1000:03d}")
            contact = (f"13{(n * 7919) % 1000000000:09d}", f"{student_no}@stu.demo-univ.edu.cn")
            people.append((student_no, name, ["student"], {"student": (f"{college}0{1 + k % 2}", gender, id_number),
                                                           "contact": contact}))
    return people


def demo_accounts(accounts: Iterable[tuple]) -> tuple[DemoAccount, ...]:
    return tuple(DemoAccount(u, d, tuple(r)) for u, d, r, _ in accounts)


def add_accounts(session: Session, accounts: Iterable[tuple], password: str, employer_ids: dict[str, int]
                 ) -> None:
    """Create the accounts that are missing (students with their record); `employer_ids` maps the
    credit codes named in an account's extra `employer` to employer ids."""
    colleges = {c.code: c for c in session.execute(select(College)).scalars()}
    majors = {m.code: m for m in session.execute(select(Major)).scalars()}
    password_hash = generate_password_hash(password)
    for username, display, roles, extra in accounts:
        if session.execute(select(User.id).where(User.username == username)).scalar() is not None:
            continue
        phone, email = extra.get("contact", (None, None))
        user = User(username=username, display_name=display, password_hash=password_hash, phone=phone, email=email,
                    employer_id=employer_ids[extra["employer"]] if "employer" in extra else None)
        user.roles = [UserRole(role=r) for r in roles]
        user.scopes = [CounselorScope(college_id=colleges[c].id) for c in extra.get("colleges", [])]
        session.add(user)
        session.flush()
        if "student" in extra:
            mcode, gender, id_number = extra["student"]
            major = majors[mcode]
            session.add(Student(user_id=user.id, student_no=username, gender=gender, id_number=id_number,
                                college_id=major.college_id, major_id=major.id, class_name=f"{mcode}-2022-1",
                                degree="本科", graduation_year=2026, expected_graduation=date(2026, 6, 30)))


def load(password: str = DEMO_PASSWORD) -> None:
    """The university's colleges, majors and people (with DEMO_ACTIVITY, the whole graduating class)."""
    lively = current_app.config.get("DEMO_ACTIVITY", False)
    with unit_of_work() as uow:
        for code, name, major_list in COLLEGES + (MORE_COLLEGES if lively else []):
            college = uow.execute(select(College).where(College.code == code)).scalar_one_or_none()
            if college is None:
                college = College(code=code, name=name)
                uow.add(college)
                uow.flush()
            for mcode, mname in major_list:
                if uow.execute(select(Major.id).where(Major.code == mcode)).scalar() is None:
                    uow.add(Major(code=mcode, name=mname, college_id=college.id))
                    uow.flush()
        add_accounts(uow.session, ACCOUNTS, password, {})
        if lively:
            add_accounts(uow.session, MORE_ACCOUNTS + population(), password, {})
        uow.commit()
