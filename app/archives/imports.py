"""The students' basic data from Excel (学生基本信息导入), on the platform's xlsx import (docs/xlsx_import.md):
check an upload (a dry run: what would be created and updated, every bad cell), then commit it on the worker,
all or nothing, with progress; new students get their archive process. Re-importing the same file changes
nothing; an update file changes only what differs."""
from __future__ import annotations

import io
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import insert, select, update

from app.archives import domain, services
from app.archives.models import ImportRun
from app.archives.queries import archive_clause
from app.identity.models import College, CounselorScope, Major, Student, StudentClass, User, UserRole
from app.identity.principal import Principal
from app.platform import progress
from app.platform import xlsx_import as xl
from app.platform.db_types import utcnow
from app.platform.formats import is_email, is_phone, normalise_phone
from app.platform.queue import job_queue
from app.platform.uow import after_commit, read_only, unit_of_work

DEGREES = ("专科", "本科", "硕士", "博士")
PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建",
             "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西",
             "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾")
BATCH = 500
CHECKED, REFUSED, QUEUED, RUNNING, DONE, FAILED = "checked", "refused", "queued", "running", "done", "failed"


def _id_number(value: str) -> str:
    value = value.upper()
    if domain.id_number_problem(value):
        raise ValueError(_("Not a valid 18-digit ID number (check digit)."))
    return value


def _phone(value: str) -> str:
    if not is_phone(value):
        raise ValueError(_("Not a phone number."))
    return normalise_phone(value)


def _email(value: str) -> str:
    if len(value) > 120 or not is_email(value):
        raise ValueError(_("Not an e-mail address."))
    return value


def _province(value: str) -> str:
    short = value.removesuffix("省").removesuffix("市").removesuffix("自治区")
    for name in PROVINCES:
        if short.startswith(name):
            return name
    raise ValueError(_("A province (e.g. 浙江)."))


def sheet() -> xl.Sheet:
    return xl.Sheet("学生基本信息", (
        xl.Column("student_no", "学号", xl.matching(r"[0-9A-Za-z]{4,20}", _("4 to 20 letters or digits.")), True,
                  "2026010001"),
        xl.Column("name", "姓名", xl.text(40), True, "张三"),
        xl.Column("gender", "性别", xl.choice(("男", "女")), True, "男"),
        xl.Column("id_number", "身份证号", _id_number, False, "11010519491231002X", _("18 digits, kept as text.")),
        xl.Column("college", "学院", xl.text(120), True, "计算机学院", _("The college's code or name.")),
        xl.Column("major", "专业", xl.text(120), True, "软件工程", _("The major's code or name, of that college.")),
        xl.Column("degree", "学历层次", xl.choice(DEGREES), True, "本科"),
        xl.Column("class_name", "班级", xl.text(60), False, "软件2601", _("Created if new.")),
        xl.Column("enrolment_year", "入学年份", xl.integer(1990, 2100), True, "2026"),
        xl.Column("graduation_year", "预计毕业年份", xl.integer(1990, 2110), True, "2030"),
        xl.Column("phone", "手机号", _phone, False, "13800001111"),
        xl.Column("email", "电子邮箱", _email, False, "zhangsan@example.edu.cn"),
        xl.Column("source_region", "生源地", _province, False, "浙江", _("The province of origin (生源地).")),
        xl.Column("counselor", "辅导员账号", xl.text(80), False, "",
                  _("The counselor's user name: he looks after this class.")),
    ), key="student_no")


COMPARED = ("name", "gender", "id_number", "college_id", "major_id", "degree", "class_name", "enrolment_year",
            "graduation_year", "phone", "email", "source_region")


@dataclass
class Directory:
    """What the rows refer to, looked up once per file."""
    colleges: dict[str, int]
    majors: dict[tuple[int, str], int]
    counselors: dict[str, int]
    classes: dict[str, StudentClass]


def _directory(uow) -> Directory:
    colleges = {}
    for c in uow.execute(select(College)).scalars():
        colleges[c.code] = colleges[c.name] = c.id
    majors = {}
    for m in uow.execute(select(Major)).scalars():
        majors[(m.college_id, m.code)] = majors[(m.college_id, m.name)] = m.id
    counselors = dict(uow.execute(select(User.username, User.id).join(UserRole, UserRole.user_id == User.id)
                                  .where(UserRole.role == "counselor")).all())
    classes = {c.code: c for c in uow.execute(select(StudentClass)).scalars()}
    return Directory(colleges, majors, counselors, classes)


def _resolve(rows: list[xl.Row], directory: Directory, problems: list[xl.Problem], columns: xl.Sheet
             ) -> list[xl.Row]:
    """The area's own checks: the college, major and counselor exist; graduation after enrolment."""
    header = {c.key: c.header for c in columns.columns}
    good = []
    for row in rows:
        v = row.values
        bad = False
        college_id = directory.colleges.get(v["college"])
        if college_id is None:
            problems.append(xl.Problem(row.number, header["college"], _("No such college.")))
            bad = True
        major_id = directory.majors.get((college_id, v["major"])) if college_id else None
        if college_id and major_id is None:
            problems.append(xl.Problem(row.number, header["major"], _("No such major in this college.")))
            bad = True
        if v["counselor"] and v["counselor"] not in directory.counselors:
            problems.append(xl.Problem(row.number, header["counselor"], _("No counselor with this user name.")))
            bad = True
        if v["graduation_year"] <= v["enrolment_year"] or v["graduation_year"] > v["enrolment_year"] + 8:
            problems.append(xl.Problem(row.number, header["graduation_year"],
                                       _("1 to 8 years after the enrolment year.")))
            bad = True
        if not bad:
            good.append(xl.Row(row.number, {**v, "college_id": college_id, "major_id": major_id}))
    return good


def _existing(uow, numbers: list[str]) -> dict[str, dict]:
    out = {}
    for i in range(0, len(numbers), 5000):
        chunk = numbers[i:i + 5000]
        query = (select(Student, User.display_name, User.phone, User.email)
                 .join(User, User.id == Student.user_id).where(Student.student_no.in_(chunk)))
        for s, name, phone, email in uow.execute(query):
            out[s.student_no] = {"user_id": s.user_id, "name": name, "gender": s.gender, "id_number": s.id_number,
                                 "college_id": s.college_id, "major_id": s.major_id, "degree": s.degree,
                                 "class_name": s.class_name, "enrolment_year": s.enrolment_year,
                                 "graduation_year": s.graduation_year, "phone": phone, "email": email,
                                 "source_region": s.source_region}
    return out


def _username_taken(uow, numbers: list[str], existing: dict) -> set[str]:
    new = [n for n in numbers if n not in existing]
    taken = set()
    for i in range(0, len(new), 5000):
        taken |= set(uow.execute(select(User.username).where(User.username.in_(new[i:i + 5000]))).scalars())
    return taken


@dataclass
class Check:
    rows: list[xl.Row]
    problems: list[xl.Problem]
    changes: xl.Changes | None


def check(content: bytes) -> Check:
    """Read and check a workbook: the platform's cell checks, then the directory's (raises ImportFileError)."""
    columns = sheet()
    reading = xl.read(columns, content)
    with unit_of_work() as uow:
        rows = _resolve(reading.rows, _directory(uow), reading.problems, columns)
        numbers = [r.values["student_no"] for r in rows]
        existing = _existing(uow, numbers)
        taken = _username_taken(uow, numbers, existing)
        for row in rows:
            if row.values["student_no"] in taken:
                reading.problems.append(xl.Problem(row.number, "学号", _("This number is another account's name.")))
    if reading.problems:
        return Check(rows, reading.problems, None)
    return Check(rows, [], xl.changes(existing, rows, "student_no", COMPARED))


class ImportError_(Exception):
    """A refused import action (the run does not exist, is not yours, was already committed)."""


def check_upload(filename: str, content: bytes, actor_id: int) -> int:
    """The dry run: keeps the file with what it would change or its problems; returns the run's id."""
    result = check(content)
    with unit_of_work() as uow:
        run = ImportRun(filename=filename[:200], content=content, created_by=actor_id,
                        status=REFUSED if result.problems else CHECKED,
                        problems=[p.as_dict() for p in result.problems],
                        summary=result.changes.summary() if result.changes else {"rows": len(result.rows)})
        uow.add(run)
        uow.flush()
        uow.commit()
        return run.id


def marked_up(run: ImportRun) -> bytes:
    problems = [xl.Problem(p["row"], p["column"], p["message"]) for p in run.problems]
    return xl.marked_up(sheet(), run.content, problems)


def queue_run(run_id: int, actor_id: int) -> None:
    """Commit a checked run on the worker (the page shows its progress)."""
    with unit_of_work() as uow:
        run = uow.get(ImportRun, run_id, with_for_update=True)
        if run is None or run.created_by != actor_id:
            raise ImportError_(_l("There is no such import."))
        if run.status != CHECKED:
            raise ImportError_(_l("This import cannot be committed (it is %(status)s).", status=run.status))
        run.status = QUEUED
        after_commit(lambda: job_queue().enqueue("tasks.archives.run_import", run_id, job_timeout=3600,
                                                 result_ttl=600, failure_ttl=86400))
        uow.commit()


def commit_run(run_id: int) -> None:
    """Apply a queued run in one transaction: nothing is stored when anything fails (the file is checked
    again: the directory may have changed since the dry run)."""
    with unit_of_work() as uow:
        run = uow.get(ImportRun, run_id)
        if run is None or run.status not in (QUEUED, RUNNING):
            uow.commit()
            return
        content, actor_id = run.content, run.created_by
        run.status = RUNNING
        uow.commit()
    key = f"archive-import:{run_id}"
    try:
        result = check(content)
        if result.problems:
            _finish(run_id, REFUSED, {"rows": len(result.rows)}, [p.as_dict() for p in result.problems])
            return
        summary = apply(result, actor_id, lambda done, total: progress.report(key, done, total))
    except Exception:
        _finish(run_id, FAILED, {}, [{"row": 0, "column": "", "message": _("The import failed; nothing was "
                                                                            "stored. Try again later.")}])
        raise
    _finish(run_id, DONE, summary, [])


def _finish(run_id: int, status: str, summary: dict, problems: list) -> None:
    with unit_of_work() as uow:
        run = uow.get(ImportRun, run_id)
        run.status, run.summary, run.problems, run.finished_at = status, summary, problems, utcnow()
        uow.commit()


def apply(result: Check, actor_id: int | None, report=lambda done, total: None) -> dict:
    """Create the new students (accounts, classes, counselor scopes), update the changed ones, open the new
    students' archives: one transaction, archives started in batches of BATCH."""
    changes = result.changes
    total = len(changes.create) + len(changes.update)
    with unit_of_work() as uow:
        directory = _directory(uow)
        for row in changes.create + [r for r, _diff in changes.update]:
            _class_of(uow, directory, row.values)
        new_ids = _create(uow, changes.create)
        report(len(changes.create), total)
        for row, diff in changes.update:
            _update(uow, row.values, diff)
        for row in changes.create + [r for r, _diff in changes.update]:
            _scope(uow, directory, row.values)
        done = len(changes.create) + len(changes.update)
        report(done, total + len(new_ids))
        for i in range(0, len(new_ids), BATCH):
            services.open_archives(new_ids[i:i + BATCH], started_by=actor_id)
            report(done + min(i + BATCH, len(new_ids)), total + len(new_ids))
        uow.commit()
    return {**changes.summary(), "archives": len(new_ids)}


def _class_of(uow, directory: Directory, v: dict) -> None:
    name = v.get("class_name")
    if not name:
        v["class_id"] = None
        return
    found = directory.classes.get(name)
    counselor_id = directory.counselors.get(v["counselor"]) if v.get("counselor") else None
    if found is None:
        found = StudentClass(code=name, name=name, college_id=v["college_id"], major_id=v["major_id"],
                             enrolment_year=v["enrolment_year"], counselor_id=counselor_id)
        uow.add(found)
        uow.flush()
        directory.classes[name] = found
    elif counselor_id and found.counselor_id != counselor_id:
        found.counselor_id = counselor_id
    v["class_id"] = found.id


def _scope(uow, directory: Directory, v: dict) -> None:
    counselor_id = directory.counselors.get(v["counselor"]) if v.get("counselor") else None
    if counselor_id is None:
        return
    key = (counselor_id, v["college_id"])
    seen = directory.__dict__.setdefault("scopes", set())
    if key in seen:
        return
    seen.add(key)
    if uow.execute(select(CounselorScope.id).where(CounselorScope.user_id == counselor_id,
                                                   CounselorScope.college_id == v["college_id"])).scalar() is None:
        uow.add(CounselorScope(user_id=counselor_id, college_id=v["college_id"]))
        uow.flush()


def _create(uow, rows: list[xl.Row]) -> list[int]:
    ids: list[int] = []
    for i in range(0, len(rows), 2000):
        chunk = [r.values for r in rows[i:i + 2000]]
        users = uow.execute(insert(User).returning(User.id, User.username, sort_by_parameter_order=True), [
            {"username": v["student_no"], "display_name": v["name"], "phone": v["phone"], "email": v["email"],
             "active": True, "created_at": utcnow()} for v in chunk]).all()
        by_name = {u.username: u.id for u in users}
        uow.execute(insert(UserRole), [{"user_id": by_name[v["student_no"]], "role": "student"} for v in chunk])
        uow.execute(insert(Student), [{
            "user_id": by_name[v["student_no"]], "student_no": v["student_no"], "gender": v["gender"],
            "id_number": v["id_number"], "college_id": v["college_id"], "major_id": v["major_id"],
            "class_name": v["class_name"], "class_id": v["class_id"], "degree": v["degree"],
            "graduation_year": v["graduation_year"], "enrolment_year": v["enrolment_year"],
            "source_region": v["source_region"],
            "expected_graduation": domain.graduation_day(v["graduation_year"])} for v in chunk])
        ids.extend(by_name[v["student_no"]] for v in chunk)
    return ids


USER_FIELDS = {"name": "display_name", "phone": "phone", "email": "email"}


def _update(uow, v: dict, diff: dict) -> None:
    user_id = uow.execute(select(Student.user_id).where(Student.student_no == v["student_no"])).scalar_one()
    user_values = {USER_FIELDS[k]: new for k, (_old, new) in diff.items() if k in USER_FIELDS}
    student_values = {k: new for k, (_old, new) in diff.items() if k not in USER_FIELDS}
    if "class_name" in student_values:
        student_values["class_id"] = v["class_id"]
    if "graduation_year" in student_values:
        student_values["expected_graduation"] = domain.graduation_day(student_values["graduation_year"])
    if user_values:
        uow.execute(update(User).where(User.id == user_id).values(**user_values))
    if student_values:
        uow.execute(update(Student).where(Student.user_id == user_id).values(**student_values))


def save_student(texts: dict[str, str], actor_id: int, student_no: str | None = None) -> tuple[int | None, dict]:
    """Manual create (student_no None) or edit of one student, by the import's rules; returns (student id,
    {} ) or (None, {column key: problem}). A new student gets the archive like an imported one."""
    columns = sheet()
    if student_no is not None:
        texts = {**texts, "student_no": student_no}
    row, problems = xl.parse_values(columns, texts)
    if row is not None:
        found: list[xl.Problem] = []
        with unit_of_work() as uow:
            rows = _resolve([row], _directory(uow), found, columns)
            existing = _existing(uow, [row.values["student_no"]])
            if student_no is None and row.values["student_no"] in existing:
                found.append(xl.Problem(0, "学号", _("A student with this number exists.")))
            elif student_no is None and _username_taken(uow, [row.values["student_no"]], existing):
                found.append(xl.Problem(0, "学号", _("This number is another account's name.")))
        by_header = {c.header: c.key for c in columns.columns}
        problems = [xl.Problem(0, by_header.get(p.column, p.column), p.message) for p in found]
        if not problems:
            apply(Check(rows, [], xl.changes(existing, rows, "student_no", COMPARED)), actor_id)
            with unit_of_work() as uow:
                student_id = uow.execute(select(Student.user_id).where(
                    Student.student_no == row.values["student_no"])).scalar_one()
                uow.commit()
            return student_id, {}
    return None, {p.column: p.message for p in problems}


def student_texts(student_id: int) -> dict[str, str]:
    """A student as the edit form shows it (the import's columns as text)."""
    with unit_of_work() as uow:
        s, user, college, major = uow.execute(
            select(Student, User, College.name, Major.name).join(User, User.id == Student.user_id)
            .join(College, College.id == Student.college_id).join(Major, Major.id == Student.major_id)
            .where(Student.user_id == student_id)).one()
        klass = uow.get(StudentClass, s.class_id) if s.class_id else None
        counselor = uow.get(User, klass.counselor_id).username if klass and klass.counselor_id else ""
        uow.commit()
    values = {"student_no": s.student_no, "name": user.display_name, "gender": s.gender, "id_number": s.id_number,
              "college": college, "major": major, "degree": s.degree, "class_name": s.class_name,
              "enrolment_year": s.enrolment_year, "graduation_year": s.graduation_year, "phone": user.phone,
              "email": user.email, "source_region": s.source_region, "counselor": counselor}
    return {k: "" if v is None else str(v) for k, v in values.items()}


def export_workbook(principal: Principal) -> bytes:
    """The students the principal may see, in the import's columns (so an edited export imports back); ID
    numbers and phones masked unless the principal may see them."""
    columns = sheet()
    unmasked = principal.can("archive.personal_data")
    book = Workbook(write_only=True)
    ws = book.create_sheet(columns.title)
    ws.append([c.header for c in columns.columns])
    query = (select(Student, User, College.name, Major.name, StudentClass.counselor_id)
             .join(User, User.id == Student.user_id).join(College, College.id == Student.college_id)
             .join(Major, Major.id == Student.major_id).outerjoin(StudentClass, StudentClass.id == Student.class_id)
             .where(archive_clause(principal)).order_by(Student.student_no))
    with read_only() as session:
        counselors = dict(session.execute(select(User.id, User.username).join(
            UserRole, UserRole.user_id == User.id).where(UserRole.role == "counselor")).all())
        for s, user, college, major, counselor_id in session.execute(query).yield_per(2000):
            ws.append([s.student_no, user.display_name, s.gender,
                       s.id_number if unmasked else domain.mask_id_number(s.id_number), college, major, s.degree,
                       s.class_name, s.enrolment_year, s.graduation_year,
                       user.phone if unmasked else domain.mask_phone(user.phone), user.email, s.source_region,
                       counselors.get(counselor_id, "")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_texts(rows: list[dict[str, str]], actor_id: int | None) -> dict:
    """Rows given as the columns' text (not a file: the demo, a bench, an outside system's feed), checked and
    applied like an uploaded workbook; raises ValueError listing the problems when any row is bad."""
    columns = sheet()
    parsed, problems = [], []
    for number, texts in enumerate(rows, start=2):
        row, found = xl.parse_values(columns, texts)
        problems += [xl.Problem(number, p.column, p.message) for p in found]
        if row is not None:
            parsed.append(xl.Row(number, row.values))
    with unit_of_work() as uow:
        good = _resolve(parsed, _directory(uow), problems, columns)
        existing = _existing(uow, [r.values["student_no"] for r in good])
        uow.commit()
    if problems:
        raise ValueError("; ".join(f"{p.row}/{p.column}: {p.message}" for p in problems[:10]))
    return apply(Check(good, [], xl.changes(existing, good, "student_no", COMPARED)), actor_id)
