"""Demo archives, made through the area's own import, services and processes: a cohort across the demo
university's colleges and five intakes (2022 to 2026; masters of 2023), imported like an Excel file, each with
its archive process; the due timers run as the scheduler would, so that every intake stands where the calendar
puts it (profile updates open, intention surveys open); the graduating class (2026) answered the survey and
registered destinations with evidence, most verified and confirmed, some still waiting for the counselor or the
office, some still 待就业. Confirmations are then dated across the spring and autumn of 2026 (the demo cannot
wait for them), so that the 1 September and December snapshots show real figures.

Size: ARCHIVE_DEMO_COHORT students (config). Idempotent: an existing cohort is kept as it is.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from app import engine
from app.archives import domain, imports, services
from app.archives.models import Archive, Destination
from app.engine import timers
from app.engine.models import OpenTask
from app.forms.task_forms import uploads_dir
from app.forms.uploads import UploadBatch
from app.identity.models import Student, User
from app.platform.extensions import db
from app.platform.uow import unit_of_work

MARK = "9"  # the demo cohort's student numbers: <year>9<major><seq>, apart from the identity demo's
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎"
GIVEN = ["子涵", "浩然", "欣怡", "梓轩", "雨桐", "俊杰", "思远", "诗琪", "宇航", "佳怡", "明轩", "若曦", "博文", "可馨",
         "天佑", "雅琳", "嘉豪", "梦瑶", "晨阳", "语嫣", "一鸣", "紫萱", "泽宇", "心悦", "志强", "秀英", "建华", "丽娜"]
# college, major name, counselor
MAJORS = [("计算机科学与技术学院", "计算机科学与技术", "counselor_cs"), ("计算机科学与技术学院", "软件工程", "counselor_cs"),
          ("经济管理学院", "会计学", "counselor_em"), ("经济管理学院", "市场营销", "counselor_em"),
          ("外国语学院", "英语", "counselor_fl"), ("外国语学院", "日语", "counselor_fl")]
PROVINCES = ["浙江", "江苏", "安徽", "河南", "山东", "四川", "湖南", "江西", "广东", "福建", "河北", "湖北"]
# the graduating class's destinations, one of each per 20 students (None: never registered)
OUTCOMES = ["contract"] * 6 + ["other_employment"] * 2 + ["national_programme", "local_programme", "enlisted",
                                                        "freelance", "self_employed"] + ["further_study"] * 3 + [
    "abroad", "seeking", "preparing_study", None]
EMPLOYERS = [("杭州星海云计算有限公司", "民营企业", "信息技术", "浙江", "杭州"), ("中国工商银行江苏分行", "国有企业", "金融", "江苏", "南京"),
             ("上海申城会计师事务所", "其他企业", "专业服务", "上海", "上海"), ("合肥市第一中学", "事业单位", "教育", "安徽", "合肥"),
             ("深圳远航物流集团", "民营企业", "交通物流", "广东", "深圳"), ("博世汽车部件（苏州）有限公司", "三资企业", "制造业", "江苏", "苏州")]
SCHOOLS = {"further_study": "浙江大学", "abroad": "新加坡国立大学"}
EVIDENCE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
                b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def cohort(size: int) -> list[dict[str, str]]:
    """The demo students as the import's columns (text), spread over majors, intakes and provinces."""
    rows = []
    for i in range(size):
        college, major, counselor = MAJORS[i % len(MAJORS)]
        master = i % 10 == 9
        enrolment = (2023 if master else 2022) + (i // len(MAJORS)) % 5
        graduation = enrolment + (3 if master else 4)
        rows.append({"student_no": f"{enrolment}{MARK}{i % len(MAJORS)}{i:04d}",
                     "name": SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)],
                     "gender": "男" if i % 2 else "女", "id_number": _id_number(i, enrolment), "college": college,
                     "major": major, "degree": "硕士" if master else "本科",
                     "class_name": f"{major[:2]}{enrolment % 100:02d}{'研' if master else ''}{1 + i % 2}班",
                     "enrolment_year": str(enrolment), "graduation_year": str(graduation),
                     "phone": f"13{5 + i % 4}{i:08d}"[:11], "email": "", "source_region": PROVINCES[i % len(PROVINCES)],
                     "counselor": counselor})
    return rows


def _id_number(i: int, enrolment: int) -> str:
    body = f"330106{enrolment - 18}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


@contextmanager
def _jobs_at_once():
    """Service tasks of the demo's processes run in this process as they come (no worker is running yet)."""
    before = current_app.config.get("RQ_ASYNC", True)
    current_app.config["RQ_ASYNC"] = False
    try:
        yield
    finally:
        current_app.config["RQ_ASYNC"] = before


def load() -> None:
    size = current_app.config.get("ARCHIVE_DEMO_COHORT", 2000)
    rows = cohort(size)
    first = rows[0]["student_no"]
    if db.session.execute(select(Student.user_id).where(Student.student_no == first)).scalar() is not None:
        db.session.rollback()
        return
    staff = db.session.execute(select(User.id).where(User.username == "staff1")).scalar_one()
    db.session.rollback()
    with _jobs_at_once():
        imports.import_texts(rows, staff)
        services.open_archives(_without_archive(), started_by=staff)  # the directory's own students
        while timers.fire_due(limit=500):  # what the scheduler does once it runs
            pass
        _graduating_class(staff)


def _without_archive() -> list[int]:
    ids = list(db.session.execute(select(Student.user_id).outerjoin(Archive, Archive.student_id == Student.user_id)
                                  .where(Archive.id.is_(None))).scalars())
    db.session.rollback()
    return ids


def _proof() -> dict:
    with UploadBatch(uploads_dir()) as batch:
        batch.stage(FileStorage(io.BytesIO(EVIDENCE_PDF), filename="劳动合同.pdf", content_type="application/pdf"),
                    accept=["application/pdf"])
        [ref] = batch.commit()
    return ref


def _open(student_id: int, spec_id: str) -> str | None:
    guid = db.session.execute(select(OpenTask.task_guid).join(Archive, Archive.instance_id == OpenTask.instance_id)
                              .where(Archive.student_id == student_id, OpenTask.spec_id == spec_id)).scalar()
    db.session.rollback()
    return guid


def _complete(student_id: int, spec_id: str, data: dict, actor: int) -> bool:
    guid = _open(student_id, spec_id)
    if guid is None:
        return False
    engine.complete_task(guid, data, actor)
    return True


def _graduating_class(staff: int) -> None:
    graduates = db.session.execute(
        select(Student.user_id, Student.college_id).where(Student.graduation_year == 2026,
                                                         Student.student_no.like(f"____{MARK}%"))
        .order_by(Student.student_no)).all()
    counselors = dict(db.session.execute(select(Student.college_id, func.min(User.id)).select_from(Student)
                                         .join(User, User.username.in_(("counselor_cs", "counselor_em", "counselor_fl")))
                                         .group_by(Student.college_id)).all())
    db.session.rollback()
    proof = _proof()
    for n, (student_id, college_id) in enumerate(graduates):
        category = OUTCOMES[n % len(OUTCOMES)]
        _complete(student_id, "intention_survey", {"intention": "further_study" if category in SCHOOLS else
                                                   "employment", "preferred_regions": "长三角"}, student_id)
        if category is None:
            continue
        cat = domain.category(category)
        employer = EMPLOYERS[n % len(EMPLOYERS)]
        values = {"category": category}
        if cat.study:
            values |= {"school": SCHOOLS[category], "evidence_kind": "admission", "evidence_file": proof}
        elif cat.placed:
            values |= {"employer_name": employer[0], "employer_kind": employer[1], "industry": employer[2],
                       "region_province": employer[3], "region_city": employer[4], "position": "管理培训生",
                       "evidence_kind": cat.evidence[0] if cat.evidence[0] != "agreement" else "contract",
                       "evidence_file": proof}
        _complete(student_id, "register_destination", values, student_id)
        if n % 10 == 0:
            continue  # waiting for the counselor
        counselor = counselors.get(college_id, staff)
        _complete(student_id, "verify_destination", {"verify_decision": "approve"}, counselor)
        if n % 10 == 1:
            continue  # waiting for the career office
        _complete(student_id, "confirm_destination", {"confirm_decision": "approve"}, staff)
        with unit_of_work() as uow:  # dated across 2026: three in four before 1 September
            day = datetime(2026, 4, 1, 2, tzinfo=timezone.utc) + timedelta(days=(n * 37) % 200 if n % 4 else
                                                                           160 + n % 70)
            uow.execute(update(Destination).where(Destination.student_id == student_id,
                                                  Destination.status == domain.CONFIRMED)
                        .values(effective_at=day, registered_at=day - timedelta(days=6)))
            uow.commit()
