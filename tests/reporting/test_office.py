"""The office's reports against hand-counted values: 毕业去向落实率 at 1 September and 1 December (a later
registration does not change the earlier snapshot), by college, against the same date a year before, the
categories, a counselor's colleges only; agreement figures (median days to sign) from hand-made rows."""
from __future__ import annotations

from collections import namedtuple
from datetime import date, datetime, timezone

import pytest

from app.archives import domain
from app.archives.models import Destination
from app.identity.models import College, Major, Student, User
from app.platform.extensions import db
from app.reporting import office

AUG = datetime(2031, 8, 20, tzinfo=timezone.utc)
NOV = datetime(2031, 11, 10, tzinfo=timezone.utc)
LAST_AUG = datetime(2030, 8, 1, tzinfo=timezone.utc)

# college index, graduation year, [(category, effective, superseded)]
GRADUATES = [
    (0, 2031, [("agreement", AUG, None)]),
    (0, 2031, [("further_study", AUG, None)]),
    (0, 2031, [("seeking", AUG, NOV), ("contract", NOV, None)]),    # placed only by December
    (0, 2031, []),                                                   # never registered: 待就业
    (1, 2031, [("abroad", AUG, None)]),
    (1, 2031, [("other_not_employed", AUG, None)]),
    (0, 2030, [("agreement", LAST_AUG, None)]),                      # last year's cohort, same college
    (0, 2030, []),
]


@pytest.fixture
def cohort(ctx, unique):
    colleges = [College(code=f"R{unique}{i}", name=f"学院{unique}{i}") for i in range(2)]
    db.session.add_all(colleges)
    db.session.flush()
    majors = [Major(code=f"RM{unique}{i}", name=f"专业{i}", college_id=c.id) for i, c in enumerate(colleges)]
    db.session.add_all(majors)
    db.session.flush()
    for n, (college, year, history) in enumerate(GRADUATES):
        user = User(username=f"r{unique}{n}", display_name=f"毕业生{n}")
        db.session.add(user)
        db.session.flush()
        db.session.add(Student(user_id=user.id, student_no=f"R{unique}{n:02d}", gender="男" if n % 2 else "女",
                               college_id=colleges[college].id, major_id=majors[college].id, degree="本科",
                               graduation_year=year, enrolment_year=year - 4))
        for category, effective, superseded in history:
            db.session.add(Destination(student_id=user.id, graduation_year=year, category=category,
                                       effective_at=effective, superseded_at=superseded,
                                       status=domain.SUPERSEDED if superseded else domain.CONFIRMED))
    db.session.commit()
    return [c.id for c in colleges], [c.name for c in colleges]


def _rates(report) -> dict[str, tuple[int, int]]:
    return {r.group: (r.graduates, r.placed) for r in report.rows}


def test_destination_rate_at_two_dates_and_a_year_before(cohort):
    ids, names = cohort
    mine = frozenset(ids)
    september = office.destination_report(date(2031, 9, 1), 2031, "college", mine)
    assert _rates(september) == {names[0]: (4, 2), names[1]: (2, 1)}
    assert (september.total.graduates, september.total.placed) == (6, 3) and september.total.rate == 0.5
    assert (september.last_year.graduates, september.last_year.placed) == (2, 1)
    assert (september.total.study_domestic, september.total.study_abroad) == (1, 1)
    categories = {code: n for code, _group, _label, n in september.categories}
    assert categories["agreement"] == 1 and categories["seeking"] == 2 and categories["abroad"] == 1
    assert categories["contract"] == 0 and sum(categories.values()) == 6
    december = office.destination_report(date(2031, 12, 1), 2031, "college", mine)
    assert _rates(december) == {names[0]: (4, 3), names[1]: (2, 1)}
    again = office.destination_report(date(2031, 9, 1), 2031, "college", mine)
    assert _rates(again) == _rates(september)  # the later registration left 1 September as it was


def test_a_counselor_sees_his_colleges_only(cohort):
    ids, names = cohort
    report = office.destination_report(date(2031, 9, 1), 2031, "college", frozenset({ids[0]}))
    assert _rates(report) == {names[0]: (4, 2)}
    assert (report.last_year.graduates, report.last_year.placed) == (2, 1)
    by_gender = office.destination_report(date(2031, 12, 1), 2031, "gender", frozenset({ids[0]}))
    assert sum(r.graduates for r in by_gender.rows) == 4 and sum(r.placed for r in by_gender.rows) == 3


Row = namedtuple("Row", "college_id college status offered_at in_force_at")


def _day(d: int, hour: int = 0) -> datetime:
    return datetime(2031, 3, d, hour, tzinfo=timezone.utc)


def test_agreement_figures_from_hand_made_rows():
    rows = [Row(1, "法学院", "in_force", _day(1), _day(4)),        # 3 days
            Row(1, "法学院", "rescinded", _day(1), _day(11)),      # 10 days, signed then rescinded
            Row(1, "法学院", "offered", _day(2), None),
            Row(1, "法学院", "declined", _day(2), None),
            Row(2, "理学院", "in_force", _day(1), _day(2, 12)),    # 1.5 days
            Row(2, "理学院", "signing", _day(3), None)]
    per, total = office.agreement_figures(rows)
    law, science = per
    assert (law.college, law.offers, law.accepted, law.signed, law.rescinded, law.outstanding) == (
        "法学院", 4, 2, 2, 1, 1)
    assert law.median_days_to_sign == 6.5
    assert (science.offers, science.accepted, science.signed, science.outstanding) == (2, 2, 1, 1)
    assert science.median_days_to_sign == 1.5
    assert (total.offers, total.signed, total.rescinded, total.outstanding) == (6, 3, 1, 2)
    assert total.median_days_to_sign == 3.0


def test_cohort_of_a_date():
    assert office.cohort_of(date(2026, 9, 1)) == 2026 and office.cohort_of(date(2027, 3, 1)) == 2026


def test_device_usage_of_a_counselors_colleges(monkeypatch):
    from app.bookings import reports as booking_reports

    def line(key, label, bookings, no_shows, booked, used):
        return booking_reports.Line(key, label, bookings, no_shows, booked, used)

    usage = booking_reports.Usage(by_resource=[line("R1", "面试室 1", 5, 1, 300, 200)],
                                  by_department=[line("3", "法学院", 3, 1, 180, 100), line("4", "理学院", 2, 0, 120, 100),
                                                 line("0", "—", 1, 0, 60, 60)],
                                  total=line("all", "", 6, 1, 360, 260))
    monkeypatch.setattr(booking_reports, "usage", lambda since, until: usage)
    resources, departments, total = office.device_usage(date(2026, 1, 1), date(2026, 1, 31), None)
    assert resources == usage.by_resource and total.bookings == 6
    resources, departments, total = office.device_usage(date(2026, 1, 1), date(2026, 1, 31), frozenset({3}))
    assert resources == [] and [d.label for d in departments] == ["法学院"]
    assert (total.bookings, total.no_shows, total.booked_hours, total.used_hours) == (3, 1, 3.0, 1.7)
