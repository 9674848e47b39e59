"""The archive's pure rules: categories, evidence, dates, masking, ID numbers (no database, no app)."""
from __future__ import annotations

from datetime import date, datetime

from app.archives import domain


def test_placed_categories_exclude_seeking_and_not_employed():
    assert domain.is_placed("agreement") and domain.is_placed("abroad") and domain.is_placed("freelance")
    assert not domain.is_placed("seeking") and not domain.is_placed("preparing_study")
    assert not domain.is_placed(None)
    assert {c.group for c in domain.CATEGORIES} == {"协议和合同就业", "灵活就业", "自主创业", "升学", "未就业"}


def test_evidence_must_fit_the_category():
    assert domain.destination_problems({"category": "agreement", "evidence_kind": "contract", "employer_name": "某公司",
                                        "region_province": "浙江", "evidence_file": {"f": 1}}) == {
        "evidence_kind": "evidence"}
    assert domain.destination_problems({"category": "agreement", "evidence_kind": "agreement"}) == {
        "agreement_id": "required", "employer_name": "required", "region_province": "required"}
    assert domain.destination_problems({"category": "further_study", "evidence_kind": "admission",
                                        "evidence_file": {"f": 1}}) == {"school": "required"}
    assert domain.destination_problems({"category": "seeking"}) == {}
    assert domain.destination_problems({"category": "nonsense"}) == {"category": "required"}
    assert domain.destination_problems({"category": "contract", "evidence_kind": "contract", "evidence_file": {"f": 1},
                                        "employer_name": "某公司", "region_province": "浙江"}) == {}


def test_schedule_of_a_four_year_bachelor():
    s = domain.schedule(2022, 2026)
    assert [d[:10] for d in s["profile_dates"]] == ["2022-10-01", "2023-10-01", "2024-10-01"]
    assert s["survey_at"][:10] == "2025-10-01"
    assert s["change_deadline"].startswith("2026-08-31T23:59:59")
    assert s["followup_6m_at"][:10] == "2026-12-30" and s["followup_3y_at"][:10] == "2029-06-30"
    assert s["followup_6m_remind_1"][:10] == "2027-01-13" and s["followup_6m_close"][:10] == "2027-02-28"


def test_change_deadline_is_the_end_of_31_august_in_beijing_time():
    assert domain.may_change(2026, datetime(2026, 8, 31, 23, 0, tzinfo=domain.LOCAL_TZ))
    assert not domain.may_change(2026, datetime(2026, 9, 1, 0, 0, 1, tzinfo=domain.LOCAL_TZ))


def test_status_and_academic_year():
    assert domain.archive_status_at(2022, 2026, date(2023, 3, 1), False) == domain.STUDYING
    assert domain.archive_status_at(2022, 2026, date(2025, 9, 1), False) == domain.GRADUATING
    assert domain.archive_status_at(2022, 2026, date(2026, 7, 1), False) == domain.ALUMNUS
    assert domain.archive_status_at(2022, 2026, date(2026, 7, 1), True) == domain.SEALED
    assert domain.academic_year(date(2026, 3, 1)) == "2025-2026"


def test_masking_and_id_numbers():
    assert domain.mask_id_number("11010519491231002X") == "110105********002X"
    assert domain.mask_phone("13800001111") == "138****1111"
    assert domain.mask_phone(None) == "" and domain.mask_id_number("") == ""
    assert domain.id_number_problem("11010519491231002X") is None
    assert domain.id_number_problem("110105194912310021") == "check"
    assert domain.id_number_problem("12345") == "format"
    assert domain.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


def test_an_archive_opened_mid_study_asks_only_from_the_current_year():
    s = domain.schedule(2022, 2026, today=date(2024, 3, 1))   # academic year 2023-2024
    assert s["profile_years"] == [2023, 2024] and s["profile_dates"][0][:10] == "2023-10-01"
    assert domain.schedule(2022, 2026, today=date(2025, 11, 1))["profile_years"] == []
    assert domain.schedule(2022, 2026, today=date(2022, 9, 1))["profile_years"] == [2022, 2023, 2024]
