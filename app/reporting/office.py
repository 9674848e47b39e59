"""The office's reports (就业质量, ../shared/domain/reports.md): 毕业去向落实率 at a chosen date by college,
major, degree level or gender, compared with the same date a year before; destination categories; agreements
(offers, accepted, signed, rescinded, outstanding, median days to sign) per college; the recruiting funnel.
Read through the areas' queries; counselors get only the colleges in their scope (`colleges=None`: all)."""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from app.agreements import queries as agreement_queries
from app.archives import queries as archive_queries
from app.bookings import queries as booking_queries
from app.bookings import reports as booking_reports
from app.identity import queries as identity_queries
from app.identity.principal import Principal
from app.interviews import queries as interview_queries
from app.interviews import reports as interview_reports
from app.platform.clock import LOCAL_TZ

DIMENSIONS = ("college", "major", "degree", "gender")
ACCEPTED_ONCE = ("accepted", "in_review", "signing", "in_force", "rescinded")
OUTSTANDING = ("offered", "accepted", "in_review", "signing")


def report_colleges(principal: Principal) -> frozenset[int] | None:
    """The colleges a principal's reports may hold: None (all) for a role seeing everything, else the colleges
    in the counselor's scope."""
    if "all" in principal.scopes:
        return None
    return frozenset(principal.college_ids)


def cohort_of(at: date) -> int:
    """The graduation year a snapshot date speaks about by default: that summer's cohort from June on."""
    return at.year if at.month >= 6 else at.year - 1


# -- 毕业去向落实率 ---------------------------------------------------------------------------------------------

@dataclass
class RateRow:
    group: str
    graduates: int
    placed: int
    study_domestic: int = 0
    study_abroad: int = 0

    @property
    def rate(self) -> float | None:
        return self.placed / self.graduates if self.graduates else None


@dataclass
class DestinationReport:
    at: date
    year: int
    by: str
    rows: list[RateRow]
    total: RateRow
    last_year: RateRow           # the previous cohort, at the same date a year before
    categories: list[tuple[str, str, str, int]] = field(default_factory=list)  # code, group, label, graduates


def _counts(at: date, group_by: tuple[str, ...], year: int, colleges: frozenset[int] | None) -> list[dict]:
    if colleges is None:
        return archive_queries.destination_counts(at, group_by, graduation_year=year)
    rows: list[dict] = []
    for college_id in sorted(colleges):
        rows.extend(archive_queries.destination_counts(at, group_by, graduation_year=year, college_id=college_id))
    return rows


def _merge(rows: list[dict], key: str | None) -> dict[str, RateRow]:
    merged: dict[str, RateRow] = {}
    for r in rows:
        name = str(r.get(key) or "—") if key else ""
        row = merged.setdefault(name, RateRow(name, 0, 0))
        row.graduates += r["graduates"]
        row.placed += r["placed"]
        row.study_domestic += r["study_domestic"]
        row.study_abroad += r["study_abroad"]
    return merged


def _total(rows: dict[str, RateRow]) -> RateRow:
    return RateRow("", sum(r.graduates for r in rows.values()), sum(r.placed for r in rows.values()),
                   sum(r.study_domestic for r in rows.values()), sum(r.study_abroad for r in rows.values()))


def _year_before(at: date) -> date:
    try:
        return at.replace(year=at.year - 1)
    except ValueError:  # 29 February
        return at.replace(year=at.year - 1, day=28)


def destination_report(at: date, year: int, by: str, colleges: frozenset[int] | None) -> DestinationReport:
    """As registered and confirmed at the end of `at`: a later registration does not change the figures."""
    both = _counts(at, (by, "category"), year, colleges)  # one pass gives the groups and the categories
    rows = _merge(both, by)
    by_category = _merge(both, "category")
    categories = [(code, group, label, by_category[code].graduates if code in by_category else 0)
                  for code, group, label, _placed in archive_queries.categories()]
    last = _total(_merge(_counts(_year_before(at), (), year - 1, colleges), None))
    return DestinationReport(at, year, by, sorted(rows.values(), key=lambda r: r.group), _total(rows), last,
                             categories)


# -- agreements ------------------------------------------------------------------------------------------------

@dataclass
class AgreementRow:
    college: str
    offers: int = 0
    accepted: int = 0
    signed: int = 0
    rescinded: int = 0
    outstanding: int = 0
    days_to_sign: list[float] = field(default_factory=list, repr=False)

    @property
    def median_days_to_sign(self) -> float | None:
        return round(statistics.median(self.days_to_sign), 1) if self.days_to_sign else None


def agreement_figures(rows) -> tuple[list[AgreementRow], AgreementRow]:
    """Per college and in total, from (college_id, college, status, offered_at, in_force_at) rows: offers made,
    accepted (the student said yes at some point), signed (in force at some point, rescinded ones included),
    rescinded, still outstanding, and the median days from offer to in force."""
    per: dict[str, AgreementRow] = {}
    total = AgreementRow("")
    for r in rows:
        for row in (per.setdefault(r.college, AgreementRow(r.college)), total):
            row.offers += 1
            row.accepted += r.status in ACCEPTED_ONCE
            row.rescinded += r.status == "rescinded"
            row.outstanding += r.status in OUTSTANDING
            if r.in_force_at is not None:
                row.signed += 1
                row.days_to_sign.append((r.in_force_at - r.offered_at).total_seconds() / 86400)
    return sorted(per.values(), key=lambda r: r.college), total


def _local_start(day: date | None) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ) if day else None


def agreement_report(start: date | None, end: date | None, colleges: frozenset[int] | None
                     ) -> tuple[list[AgreementRow], AgreementRow]:
    """Agreements offered between `start` and `end` (local days, both included)."""
    rows = agreement_queries.report_rows(_local_start(start), _local_start(end + timedelta(days=1)) if end else None,
                                         colleges)
    return agreement_figures(rows)


# -- the recruiting funnel -------------------------------------------------------------------------------------

@dataclass
class FunnelLine:
    fair: str | None
    employer: str
    counts: dict[str, int]


def funnel_report(fair_id: int | None, colleges: frozenset[int] | None) -> tuple[list[FunnelLine], dict[str, int]]:
    """Distinct students per step and employer (at one fair, or overall); counselors count their colleges'
    students only."""
    keep = identity_queries.students_of_colleges(colleges) if colleges is not None else None
    lines, total = [], {step: set() for step in interview_reports.STEPS}
    for row in interview_reports.funnel(fair_id):
        students = {step: (ids if keep is None else ids & keep) for step, ids in row.students.items()}
        if not any(students.values()):
            continue
        for step, ids in students.items():
            total[step] |= ids
        lines.append(FunnelLine(row.fair, row.employer, {step: len(ids) for step, ids in students.items()}))
    return lines, {step: len(ids) for step, ids in total.items()}


def fairs(principal: Principal) -> list:
    return interview_queries.fairs(principal)


def colleges() -> list[tuple[int, str]]:
    return identity_queries.colleges()


# -- device and room usage --------------------------------------------------------------------------------------

def device_usage(since: date, until: date, colleges: frozenset[int] | None):
    """Hours booked against hours used and no-shows, per resource and per department (the booker's college);
    a counselor gets his colleges' departments only (a resource's line mixes colleges, so none)."""
    usage = booking_reports.usage(since, until)
    if colleges is None:
        return usage.by_resource, usage.by_department, usage.total
    departments = [line for line in usage.by_department if line.key.isdigit() and int(line.key) in colleges]
    total = booking_reports.Line("all", "")
    for line in departments:
        total.bookings += line.bookings
        total.no_shows += line.no_shows
        total.booked_minutes += line.booked_minutes
        total.used_minutes += line.used_minutes
    return [], departments, total


def devices_in_use() -> int:
    return len(booking_queries.all_bookings("in_use", None, limit=1000))
