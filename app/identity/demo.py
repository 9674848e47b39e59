"""Demo data of the directory: a small university with colleges, majors, students, counselors, staff, an
admin and a process owner. Idempotent: existing rows and accounts are left as they are. Areas add their
own demo data after this (app/platform/areas.py, DemoData)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

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
        user = User(username=username, display_name=display, password_hash=password_hash,
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
    """The university's colleges, majors and people."""
    with unit_of_work() as uow:
        for code, name, major_list in COLLEGES:
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
        uow.commit()
