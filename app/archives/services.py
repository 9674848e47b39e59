"""Verbs of the student archive: open archives (start their processes), write timeline records, register,
verify and confirm destinations, remind, seal. Each is one unit of work; the process's service tasks
(tasks/archives.py) call them, and each is safe to run twice (`source` names the step that wrote a row)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update

from app import engine
from app.agreements import queries as agreement_queries
from app.archives import domain, notices
from app.archives.models import Archive, ArchiveRecord, Destination
from app.identity.models import Student, User
from app.notifications import notify
from app.platform.db_types import utcnow
from app.platform.extensions import db
from app.platform.uow import unit_of_work

PROCESS_KEY = "student_archive"
UPDATE_PROCESS_KEY = "archive_update_request"


class ArchiveError(Exception):
    """A refused archive action; `field` names the form field at fault, when there is one."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field


def archive_key(student_no: str) -> str:
    return f"ARC-{student_no}"


# every field the archive's forms fill in, so that the process's expressions find them before the first answer
FORM_FIELDS = ("skills", "certificates", "internships", "awards", "intention", "preferred_regions",
               "preferred_industries", "expected_salary", "employer_kind_wanted", "category", "employer_name",
               "employer_kind", "industry", "region_province", "region_city", "position", "school",
               "evidence_kind", "agreement_id", "evidence_file", "return_note", "verify_decision", "verify_comment",
               "confirm_decision", "confirm_comment", "want_change", "fu_employer", "fu_position", "fu_salary_band",
               "fu_satisfaction", "fu_changed_job", "fu_note")


def process_data(student: Student, name: str, archive_id: int, today: date) -> dict:
    enrolment = student.enrolment_year or student.graduation_year - 4
    return {**dict.fromkeys(FORM_FIELDS), **domain.schedule(enrolment, student.graduation_year, today),
            "archive_id": archive_id, "student_id": student.user_id, "student_no": student.student_no,
            "student_name": name, "profile_year": enrolment, "lane_owners": {"student": [student.user_id]}}


def open_archives(student_ids: Iterable[int], started_by: int | None = None) -> list[int]:
    """Open the archive of each student who has none and start its process, all in one transaction (the
    starts are written as one batch: one durable commit, the rows in bulk). Returns the new archives' ids."""
    definition = engine.latest_definition(PROCESS_KEY)
    if definition is None:
        raise ArchiveError(_l("The archive process is not deployed."))
    ids = list(student_ids)
    if not ids:
        return []
    today = utcnow().astimezone(domain.LOCAL_TZ).date()
    with unit_of_work() as uow:
        have = set(uow.execute(select(Archive.student_id).where(Archive.student_id.in_(ids))).scalars())
        rows = [(s, name) for s, name in uow.execute(
            select(Student, User.display_name).join(User, User.id == Student.user_id)
            .where(Student.user_id.in_(ids)).order_by(Student.student_no)).all() if s.user_id not in have]
        if not rows:
            uow.commit()
            return []
        now = utcnow()
        archive_ids = dict(uow.execute(insert(Archive).returning(Archive.student_id, Archive.id,
                                                                 sort_by_parameter_order=True),
                                       [{"student_id": s.user_id, "created_at": now} for s, _n in rows]).all())
        instance_ids = engine.start_instances(definition, [engine.NewInstance(
            process_data(student, name, archive_ids[student.user_id], today), archive_key(student.student_no),
            started_by, {"college": student.college_id}) for student, name in rows])
        started = [{"archive": archive_ids[student.user_id], "instance": instance_id}
                   for (student, _name), instance_id in zip(rows, instance_ids)]
        table = Archive.__table__
        uow.execute(update(table).where(table.c.id == bindparam("archive")).values(instance_id=bindparam("instance")),
                    started)
        uow.commit()
    return [s["archive"] for s in started]


def _archive(uow, student_id: int) -> Archive:
    archive = uow.execute(select(Archive).where(Archive.student_id == student_id)).scalar_one_or_none()
    if archive is None:
        raise ArchiveError(_l("This student has no archive."))
    return archive


def add_record(student_id: int, kind: str, data: dict, author_id: int | None, source: str | None = None) -> int:
    """A timeline entry (profile, assessment, note, survey, follow-up ...); with `source` written once."""
    if kind not in domain.RECORD_KINDS:
        raise ArchiveError(_l("Unknown kind of record."))
    with unit_of_work() as uow:
        if source is not None:
            found = uow.execute(select(ArchiveRecord.id).where(ArchiveRecord.source == source)).scalar()
            if found is not None:
                uow.commit()
                return found
        archive = _archive(uow, student_id)
        if archive.sealed_at is not None and kind not in (domain.UPDATE,):
            raise ArchiveError(_l("The archive is sealed."))
        record = ArchiveRecord(archive_id=archive.id, kind=kind, data=data, author_id=author_id, source=source)
        uow.add(record)
        uow.flush()
        uow.commit()
        return record.id


def add_note(student_id: int, text: str, author_id: int, kind: str = domain.NOTE, title: str = "") -> int:
    """A counselor note or a career assessment result (职业测评) written from the archive page."""
    text = (text or "").strip()
    if not 2 <= len(text) <= 2000:
        raise ArchiveError(_l("Write 2 to 2,000 characters."), "text")
    if kind not in (domain.NOTE, domain.ASSESSMENT):
        raise ArchiveError(_l("Unknown kind of record."))
    data = {"text": text} | ({"title": title.strip()[:80]} if title.strip() else {})
    if kind == domain.ASSESSMENT and not data.get("title"):
        raise ArchiveError(_l("Name the assessment."), "title")
    return add_record(student_id, kind, data, author_id)


# -- destinations ---------------------------------------------------------------------------------------------

DESTINATION_FIELDS = ("category", "employer_name", "employer_kind", "industry", "region_province", "region_city",
                      "position", "school", "evidence_kind", "agreement_id", "evidence_file")
PROBLEM_TEXT = {"required": _l("Required for this destination."),
                "evidence": _l("This evidence does not fit the destination.")}


def register_destination(student_id: int, values: dict, actor_id: int | None, source: str | None = None,
                         now: datetime | None = None) -> int:
    """The graduate's destination registration (毕业去向登记), waiting for the counselor's verification.
    An agreement as evidence must be the student's own agreement in force; its employer is taken from it."""
    now = now or utcnow()
    values = {k: values.get(k) or None for k in DESTINATION_FIELDS}
    problems = domain.destination_problems(values)
    if problems:
        field, code = next(iter(problems.items()))
        raise ArchiveError(PROBLEM_TEXT[code], field)
    with unit_of_work() as uow:
        if source is not None:
            found = uow.execute(select(Destination.id).where(Destination.source == source)).scalar()
            if found is not None:
                uow.commit()
                return found
        student = uow.get(Student, student_id)
        if student is None:
            raise ArchiveError(_l("There is no such student."))
        if not domain.may_change(student.graduation_year, now) and _confirmed(uow, student_id) is not None:
            raise ArchiveError(_l("Destinations can no longer be changed after 31 August."))
        if values["evidence_kind"] == domain.AGREEMENT_EVIDENCE:
            agreements = {a[0]: a for a in agreement_queries.in_force_of(student_id)}
            chosen = agreements.get(int(values["agreement_id"]))
            if chosen is None:
                raise ArchiveError(_l("Choose one of your agreements in force."), "agreement_id")
            values["agreement_id"], values["employer_id"], values["employer_name"] = chosen[0], chosen[2], chosen[3]
        uow.execute(update(Destination).where(
            Destination.student_id == student_id,
            Destination.status.in_((domain.REGISTERED, domain.VERIFIED, domain.RETURNED)))
            .values(status=domain.SUPERSEDED))
        destination = Destination(student_id=student_id, graduation_year=student.graduation_year,
                                  status=domain.REGISTERED, registered_by=actor_id, registered_at=now,
                                  source=source, **values)
        uow.add(destination)
        uow.flush()
        uow.commit()
        return destination.id


def _confirmed(uow, student_id: int) -> Destination | None:
    return uow.execute(select(Destination).where(Destination.student_id == student_id,
                                                 Destination.status == domain.CONFIRMED)).scalar_one_or_none()


def _pending(uow, student_id: int, status: str) -> Destination:
    found = uow.execute(select(Destination).where(Destination.student_id == student_id, Destination.status == status)
                        .order_by(Destination.id.desc()).limit(1).with_for_update()).scalar_one_or_none()
    if found is None:
        raise ArchiveError(_l("There is no destination registration waiting for this step."))
    return found


def check_destination(student_id: int, stage: str, decision: str, comment: str | None, actor_id: int | None,
                      now: datetime | None = None) -> str:
    """The counselor's verification (stage "verify") or the career office's confirmation ("confirm"):
    approve moves the registration on, return sends it back to the student. A confirmation puts it in force
    and ends the one in force before (a change). Returns the new status; repeating a done step is a no-op."""
    now = now or utcnow()
    waiting = domain.REGISTERED if stage == "verify" else domain.VERIFIED
    with unit_of_work() as uow:
        try:
            destination = _pending(uow, student_id, waiting)
        except ArchiveError:
            latest = uow.execute(select(Destination.status).where(Destination.student_id == student_id)
                                 .order_by(Destination.id.desc()).limit(1)).scalar()
            if latest in ((domain.VERIFIED, domain.RETURNED) if stage == "verify" else
                          (domain.CONFIRMED, domain.RETURNED)):
                uow.commit()
                return latest  # the job ran before
            raise
        if decision != "approve":
            destination.status = domain.RETURNED
            destination.note = comment
            uow.commit()
            return destination.status
        if stage == "verify":
            destination.status, destination.verified_by, destination.verified_at = domain.VERIFIED, actor_id, now
        else:
            previous = _confirmed(uow, student_id)
            if previous is not None:
                previous.status, previous.superseded_at = domain.SUPERSEDED, now
                uow.flush()
            destination.status, destination.confirmed_by, destination.effective_at = domain.CONFIRMED, actor_id, now
            notify([student_id], notices.DESTINATION_CONFIRMED.name,
                   params={"category": domain.category(destination.category).label}, link="/archives/me",
                   key=f"destination-confirmed:{destination.id}")
        destination.note = comment
        uow.commit()
        return destination.status


# -- follow-ups, reminders, sealing ---------------------------------------------------------------------------

def remind(student_id: int, what: str, key: str) -> int:
    """Remind the student (alumnus) of an unanswered follow-up or profile update, once per `key`."""
    with unit_of_work() as uow:
        sent = notify([student_id], notices.REMINDER.name, params={"what": what}, link="/tasks", key=key)
        uow.commit()
    return sent


def seal(student_id: int, now: datetime | None = None) -> None:
    """The archive becomes read-only (still reported on); the alumnus may still ask for an update."""
    with unit_of_work() as uow:
        archive = _archive(uow, student_id)
        if archive.sealed_at is None:
            archive.sealed_at = now or utcnow()
        uow.commit()


def request_update(student_id: int, values: dict) -> int:
    """The alumnus asks to update the career record of a sealed archive: a small approval process."""
    definition = engine.latest_definition(UPDATE_PROCESS_KEY)
    with unit_of_work() as uow:
        archive = _archive(uow, student_id)
        if archive.sealed_at is None:
            raise ArchiveError(_l("The archive is not sealed: update it in your tasks."))
        student = uow.get(Student, student_id)
        data = {"student_id": student_id, "lane_owners": {"student": [student_id]},
                "current_employer": values.get("current_employer") or "",
                "current_position": values.get("current_position") or "",
                "update_reason": values.get("update_reason") or "", "update_decision": None, "update_comment": None}
        if not 2 <= len(data["current_employer"]) <= 200 or not 2 <= len(data["update_reason"]) <= 500:
            raise ArchiveError(_l("Give the employer and the reason (2 characters at least)."), "current_employer")
        instance_id = engine.start_instance(definition, data, business_key=f"ARU-{student.student_no}",
                                            started_by=student_id, scope={"college": student.college_id})
        uow.commit()
        return instance_id


def apply_update(student_id: int, decision: str, data: dict, actor_id: int | None, source: str | None = None) -> bool:
    """The office's answer to an alumnus's update request: approved, the new career record joins the
    timeline (the sealed records stay as they were); either way the alumnus is told."""
    with unit_of_work() as uow:
        if decision == "approve":
            add_record(student_id, domain.UPDATE, {k: v for k, v in data.items() if v}, actor_id, source=source)
        notify([student_id], notices.UPDATE_DECIDED.name,
               params={"decision": "同意更新" if decision == "approve" else "未同意"}, link="/archives/me",
               key=f"update-decided:{source}")
        uow.commit()
    return decision == "approve"
