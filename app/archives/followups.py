"""What the alumni follow-ups (6 months and 3 years after graduation, forms/archives/archive_followup.json)
tell about a cohort, as recorded by a date: how many were asked and answered, and the answers' satisfaction,
income bands and job changes. A follow-up counts as asked once it was answered or closed unanswered (a
`followup_missed` record); one still open counts in neither."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from app.archives import domain
from app.archives.models import Archive, ArchiveRecord
from app.archives.queries import end_of
from app.identity.models import Student
from app.platform.extensions import db

STAGES = ("6m", "3y")
# the follow-up form's choices (value, label), in the form's order
SATISFACTION = (("5", "很满意"), ("4", "满意"), ("3", "一般"), ("2", "不满意"), ("1", "很不满意"))
SATISFIED = ("5", "4")
SALARY_BANDS = (("<5000", "5000 元以下"), ("5000-8000", "5000–8000 元"), ("8000-12000", "8000–12000 元"),
                ("12000-20000", "12000–20000 元"), (">20000", "20000 元以上"))


@dataclass
class FollowupSummary:
    stage: str
    graduation_year: int
    asked: int = 0
    answered: int = 0
    satisfaction: dict[str, int] = field(default_factory=lambda: {v: 0 for v, _ in SATISFACTION})
    salary: dict[str, int] = field(default_factory=lambda: {v: 0 for v, _ in SALARY_BANDS})
    changed_job: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    @property
    def rated(self) -> int:
        return sum(self.satisfaction.values())

    @property
    def satisfied_rate(self) -> float | None:
        """就业满意度: 很满意 or 满意 among the answers that rated their work."""
        return sum(self.satisfaction[v] for v in SATISFIED) / self.rated if self.rated else None

    @property
    def average_score(self) -> float | None:
        return sum(int(v) * n for v, n in self.satisfaction.items()) / self.rated if self.rated else None

    @property
    def changed_job_rate(self) -> float | None:
        return self.changed_job / self.answered if self.answered else None


def summary(stage: str, graduation_year: int, at: date, college_ids: frozenset[int] | None = None
            ) -> FollowupSummary:
    """The follow-up of `stage` (6m | 3y) of one cohort, from the records written by the end of `at`."""
    if stage not in STAGES:
        raise ValueError(f"unknown follow-up stage {stage!r}")
    query = (select(ArchiveRecord.kind, ArchiveRecord.data)
             .join(Archive, Archive.id == ArchiveRecord.archive_id)
             .join(Student, Student.user_id == Archive.student_id)
             .where(Student.graduation_year == graduation_year,
                    ArchiveRecord.kind.in_((domain.FOLLOWUP, domain.FOLLOWUP_MISSED)),
                    ArchiveRecord.created_at <= end_of(at)))
    if college_ids is not None:
        query = query.where(Student.college_id.in_(college_ids))
    out = FollowupSummary(stage, graduation_year)
    for kind, data in db.session.execute(query):
        data = data or {}
        if data.get("stage") != stage:
            continue
        out.asked += 1
        if kind != domain.FOLLOWUP:
            continue
        out.answered += 1
        if str(data.get("satisfaction")) in out.satisfaction:
            out.satisfaction[str(data["satisfaction"])] += 1
        if data.get("salary_band") in out.salary:
            out.salary[data["salary_band"]] += 1
        if data.get("changed_job") is True:
            out.changed_job += 1
    return out
