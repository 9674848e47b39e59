"""The annual report's alumni chapter against hand-computed follow-up figures, and its charts: drawn with
titles and axis text (a chart with text has far more ink than the bare bars)."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import delete

from app.archives import domain, followups
from app.archives.models import Archive, ArchiveRecord
from app.identity.models import College, Major, Student, User
from app.platform.extensions import db
from app.reporting import annual
from documents.png_chart import BarChart, render_bar_chart

YEAR = 2092                      # the report's cohort: the 6-month follow-up is of 2091, the 3-year one of 2089
AT = date(2092, 12, 31)
IN_TIME = datetime(2092, 3, 1, tzinfo=timezone.utc)
TOO_LATE = datetime(2093, 2, 1, tzinfo=timezone.utc)


def _answer(stage: str, satisfaction: str, salary: str, changed: bool) -> dict:
    return {"stage": stage, "employer": "某公司", "position": "工程师", "salary_band": salary,
            "satisfaction": satisfaction, "changed_job": changed, "note": ""}


# graduation year, [(record kind, data, written at)]
ALUMNI = [
    (2091, [(domain.FOLLOWUP, _answer("6m", "5", "8000-12000", False), IN_TIME),
            (domain.FOLLOWUP, _answer("3y", "1", ">20000", True), IN_TIME)]),     # another stage: not in 6m
    (2091, [(domain.FOLLOWUP, _answer("6m", "4", "5000-8000", True), IN_TIME)]),
    (2091, [(domain.FOLLOWUP, _answer("6m", "2", "<5000", False), IN_TIME)]),
    (2091, [(domain.FOLLOWUP_MISSED, {"stage": "6m"}, IN_TIME)]),
    (2091, [(domain.FOLLOWUP, _answer("6m", "5", ">20000", False), TOO_LATE)]),   # after the report's date
    (2091, []),                                                                   # still open: not asked yet
    (2089, [(domain.FOLLOWUP, _answer("3y", "3", "12000-20000", True), IN_TIME)]),
    (2089, [(domain.FOLLOWUP_MISSED, {"stage": "3y"}, IN_TIME)]),
]


@pytest.fixture
def alumni(ctx, unique):
    college = College(code=f"AL{unique}", name=f"校友学院{unique}")
    db.session.add(college)
    db.session.flush()
    major = Major(code=f"ALM{unique}", name="校友专业", college_id=college.id)
    db.session.add(major)
    db.session.flush()
    made: list = []
    for n, (year, records) in enumerate(ALUMNI):
        user = User(username=f"al{unique}{n}", display_name=f"校友{n}")
        db.session.add(user)
        db.session.flush()
        db.session.add(Student(user_id=user.id, student_no=f"AL{unique}{n:02d}", gender="女", college_id=college.id,
                               major_id=major.id, degree="本科", graduation_year=year, enrolment_year=year - 4))
        archive = Archive(student_id=user.id)
        db.session.add(archive)
        db.session.flush()
        made.append((user.id, archive.id))
        for kind, data, at in records:
            db.session.add(ArchiveRecord(archive_id=archive.id, kind=kind, data=data, created_at=at))
    db.session.commit()
    yield frozenset({college.id})
    # the cohorts' years are this module's own: leave none of them behind for the next test
    db.session.rollback()
    users, archives = [u for u, _a in made], [a for _u, a in made]
    db.session.execute(delete(ArchiveRecord).where(ArchiveRecord.archive_id.in_(archives)))
    db.session.execute(delete(Archive).where(Archive.id.in_(archives)))
    db.session.execute(delete(Student).where(Student.user_id.in_(users)))
    db.session.execute(delete(User).where(User.id.in_(users)))
    db.session.execute(delete(Major).where(Major.id == major.id))
    db.session.execute(delete(College).where(College.id == college.id))
    db.session.commit()


def test_followup_figures_by_hand(alumni):
    half = followups.summary("6m", 2091, AT, alumni)
    # asked: 3 answered + 1 closed unanswered (the late answer and the open one are not counted)
    assert (half.asked, half.answered) == (4, 3)
    assert half.response_rate == 0.75
    assert half.satisfaction == {"5": 1, "4": 1, "3": 0, "2": 1, "1": 0}
    assert half.satisfied_rate == pytest.approx(2 / 3) and half.average_score == pytest.approx(11 / 3)
    assert half.salary == {"<5000": 1, "5000-8000": 1, "8000-12000": 1, "12000-20000": 0, ">20000": 0}
    assert half.changed_job_rate == pytest.approx(1 / 3)
    later = followups.summary("6m", 2091, date(2093, 3, 1), alumni)
    assert (later.asked, later.answered, later.satisfaction["5"]) == (5, 4, 2)
    three = followups.summary("3y", 2089, AT, alumni)
    assert (three.asked, three.answered, three.response_rate, three.satisfied_rate) == (2, 1, 0.5, 0.0)
    assert three.average_score == 3.0 and three.changed_job_rate == 1.0 and three.salary["12000-20000"] == 1
    with pytest.raises(ValueError):
        followups.summary("1y", 2091, AT)


def test_the_alumni_chapter_in_the_document(alumni, app):
    req = annual.Request(YEAR, AT, frozenset({"alumni"}), "")
    with app.test_request_context():
        ctx, charts = annual.context(req)
        # only this test's alumni graduated in 2091 and 2089 (years no other test uses)
        half, three = ctx["alumni"]["stages"]
        assert half == {"group": "毕业半年（2091届）", "asked": 4, "answered": 3, "response_rate": "75.0%",
                        "satisfied_rate": "66.7%", "average": "3.67", "changed_job_rate": "33.3%"}
        assert three["group"] == "毕业三年（2089届）" and (three["response_rate"], three["average"]) == ("50.0%", "3.00")
        satisfied = ctx["alumni"]["satisfaction"][0]
        assert (satisfied["label"], satisfied["n_6m"], satisfied["share_6m"], satisfied["n_3y"]) == ("很满意", 1, "33.3%", 0)
        assert charts["chart_satisfaction"].values == [1.0, 1.0, 0.0, 1.0, 0.0]
        word = annual.render(annual.template(), ctx, charts)
    archive = zipfile.ZipFile(io.BytesIO(word))
    xml = archive.read("word/document.xml").decode()
    assert "第四章 就业质量（校友跟踪调查）" in xml and "75.0%" in xml and "毕业半年（2091届）" in xml
    assert "第一章" not in xml and "第五章" not in xml
    assert len([n for n in archive.namelist() if n.startswith("word/media/")]) >= 2


def _ink(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    return sum(image.histogram()[:128])


def test_charts_have_titles_and_axis_text():
    # no bars (zeros): what ink there is comes from the axes and the text
    bars = BarChart("", ["", ""], [0.0, 0.0], "", "")
    labelled = BarChart("各学院毕业去向落实率", ["计算机学院", "外国语学院"], [0.0, 0.0], "学院", "落实率", unit="%")
    plain, text = render_bar_chart(bars), render_bar_chart(labelled)
    assert plain[:8] == text[:8] == b"\x89PNG\r\n\x1a\n"
    assert _ink(text) > _ink(plain) + 500  # the title, the axis labels and the category names are drawn
