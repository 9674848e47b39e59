"""Destination figures against hand-counted values on a seeded cohort: 毕业去向落实率 by college, major, gender
and degree at 1 September and in December, a change between the snapshots, further study domestic/abroad."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app.archives import domain, queries
from app.archives.models import Destination
from app.identity.models import Student, User
from app.platform.extensions import db

SEPT = datetime(2026, 8, 20, tzinfo=timezone.utc)
NOV = datetime(2026, 11, 10, tzinfo=timezone.utc)

# (major index, gender, degree, [(category, effective, superseded)])
COHORT = [
    (0, "男", "本科", [("agreement", SEPT, None)]),
    (0, "女", "本科", [("further_study", SEPT, None)]),
    (0, "男", "本科", [("seeking", SEPT, NOV), ("contract", NOV, None)]),   # placed only by December
    (0, "女", "本科", []),                                                   # never registered: 待就业
    (1, "男", "硕士", [("abroad", SEPT, None)]),
    (1, "女", "硕士", [("contract", SEPT, NOV), ("preparing_study", NOV, None)]),  # placed, then not
    (1, "男", "本科", [("freelance", datetime(2026, 9, 2, tzinfo=timezone.utc), None)]),  # after 1 September
    (1, "女", "本科", [("other_not_employed", SEPT, None)]),
]


@pytest.fixture
def cohort(school):
    for n, (major, gender, degree, history) in enumerate(COHORT):
        user = User(username=f"g{school['unique']}{n}", display_name=f"毕业生{n}")
        db.session.add(user)
        db.session.flush()
        db.session.add(Student(user_id=user.id, student_no=f"{school['unique']}{n:02d}", gender=gender,
                               college_id=school["college_id"], major_id=school["major_ids"][major], degree=degree,
                               graduation_year=2026, enrolment_year=2022))
        for category, effective, superseded in history:
            db.session.add(Destination(
                student_id=user.id, graduation_year=2026, category=category, effective_at=effective,
                superseded_at=superseded, status=domain.SUPERSEDED if superseded else domain.CONFIRMED,
                employer_kind="民营企业" if category in ("agreement", "contract") else None,
                region_province="浙江" if category in ("agreement", "contract") else None))
    db.session.commit()
    return school


def _by(rows, key):
    return {r[key]: (r["graduates"], r["placed"]) for r in rows}


def test_rates_at_1_september_and_in_december_match_the_hand_count(cohort):
    college = cohort["college_id"]
    sept = queries.destination_counts(date(2026, 9, 1), ("college",), graduation_year=2026, college_id=college)
    dec = queries.destination_counts(date(2026, 12, 1), ("college",), graduation_year=2026, college_id=college)
    # 1 September: agreement, further study, abroad, contract (later changed) = 4 of 8
    assert (sept[0]["graduates"], sept[0]["placed"], sept[0]["rate"]) == (8, 4, 0.5)
    # December: + contract (student 2), + freelance (student 6), - preparing study (student 5) = 5 of 8
    assert (dec[0]["graduates"], dec[0]["placed"]) == (8, 5)
    assert (dec[0]["study_domestic"], dec[0]["study_abroad"]) == (1, 1)

    by_major = _by(queries.destination_counts(date(2026, 12, 1), ("major",), 2026, college), "major")
    assert by_major == {"软件工程": (4, 3), "网络工程": (4, 2)}
    by_gender = _by(queries.destination_counts(date(2026, 9, 1), ("gender",), 2026, college), "gender")
    assert by_gender == {"男": (4, 2), "女": (4, 2)}
    by_degree = _by(queries.destination_counts(date(2026, 12, 1), ("degree",), 2026, college), "degree")
    assert by_degree == {"本科": (6, 4), "硕士": (2, 1)}
    categories = _by(queries.destination_counts(date(2026, 12, 1), ("category",), 2026, college), "category")
    assert categories["seeking"] == (1, 0) and categories["contract"] == (1, 1)
    assert sum(g for g, _ in categories.values()) == 8


def test_destinations_at_lists_every_graduate_with_the_destination_then_in_force(cohort):
    rows = queries.destinations_at(date(2026, 9, 1), graduation_year=2026, college_id=cohort["college_id"])
    assert len(rows) == 8
    assert [r.category for r in rows] == ["agreement", "further_study", "seeking", "seeking", "abroad", "contract",
                                          "seeking", "other_not_employed"]
    assert sum(r.placed for r in rows) == 4
    assert rows[4].study == "abroad" and rows[0].group == "协议和合同就业"
    december = queries.destinations_at(date(2026, 12, 1), graduation_year=2026, college_id=cohort["college_id"])
    assert [r.category for r in december][2] == "contract" and december[5].category == "preparing_study"


def test_unknown_dimension_is_refused(cohort):
    with pytest.raises(ValueError):
        queries.destination_counts(date(2026, 9, 1), ("salary",))
