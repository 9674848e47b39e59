"""Demo data: a small university with colleges, majors, students, counselors, staff, two employers,
an admin and a process owner. Idempotent: existing accounts are left as they are."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.models import College, CounselorScope, Employer, Major, Student, User, UserRole
from app.platform.uow import unit_of_work

DEMO_PASSWORD = "Demo@2026"

COLLEGES = [
    ("CS", "计算机科学与技术学院", [("CS01", "计算机科学与技术"), ("CS02", "软件工程")]),
    ("EM", "经济管理学院", [("EM01", "会计学"), ("EM02", "市场营销")]),
    ("FL", "外国语学院", [("FL01", "英语"), ("FL02", "日语")]),
]
EMPLOYERS = [
    ("华辰科技有限公司", "91310000MA1FL8XQ37", "私营企业", "信息技术", "上海市浦东新区张江路 88 号", "approved"),
    ("江南银行股份有限公司", "91320000134567890Y", "国有企业", "金融", "南京市鼓楼区中山路 1 号", "approved"),
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
    ("hr_huachen", "华辰科技 招聘专员 刘女士", ["employer"], {"employer": "91310000MA1FL8XQ37"}),
    ("hr_jiangnan", "江南银行 人力资源部 孙先生", ["employer"], {"employer": "91320000134567890Y"}),
    ("2022010101", "张伟", ["student"], {"student": ("CS01", "男", "110101200301011234")}),
    ("2022010102", "李娜", ["student"], {"student": ("CS02", "女", "310101200302022345")}),
    ("2022020101", "王芳", ["student"], {"student": ("EM01", "女", "320102200303033456")}),
    ("2022030101", "刘洋", ["student"], {"student": ("FL01", "男", "330102200304044567")}),
]


def load_demo_data(password: str = DEMO_PASSWORD) -> list[tuple[str, str, str]]:
    """Create what is missing; returns (username, name, roles) of every demo account."""
    with unit_of_work() as session:
        colleges = {}
        majors = {}
        for code, name, major_list in COLLEGES:
            college = session.execute(select(College).where(College.code == code)).scalar_one_or_none()
            if college is None:
                college = College(code=code, name=name)
                session.add(college)
                session.flush()
            colleges[code] = college
            for mcode, mname in major_list:
                major = session.execute(select(Major).where(Major.code == mcode)).scalar_one_or_none()
                if major is None:
                    major = Major(code=mcode, name=mname, college_id=college.id)
                    session.add(major)
                    session.flush()
                majors[mcode] = major
        employers = {}
        for name, code, kind, industry, address, status in EMPLOYERS:
            employer = session.execute(select(Employer).where(Employer.credit_code == code)).scalar_one_or_none()
            if employer is None:
                employer = Employer(name=name, credit_code=code, kind=kind, industry=industry, address=address,
                                    status=status)
                session.add(employer)
                session.flush()
            employers[code] = employer
        password_hash = generate_password_hash(password)
        for username, display, roles, extra in ACCOUNTS:
            if session.execute(select(User.id).where(User.username == username)).scalar() is not None:
                continue
            user = User(username=username, display_name=display, password_hash=password_hash,
                        employer_id=employers[extra["employer"]].id if "employer" in extra else None)
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
    return [(u, d, ",".join(r)) for u, d, r, _ in ACCOUNTS]
