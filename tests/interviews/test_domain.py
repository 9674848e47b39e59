"""Recruiting's pure rules: positions, fairs, invitations, who may see and act, the wording check and the
search tokens. No database, no app."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from app.identity.policy import Policy
from app.identity.principal import Principal
from app.interviews import domain, text_search, wording

NOW = datetime(2026, 5, 20, 9, 0, tzinfo=timezone.utc)
TODAY = date(2026, 5, 20)
POLICY = Policy.load(fragments=[__import__("pathlib").Path(__file__).resolve().parents[2] / "app/interviews/permissions.toml"])


def who(roles, user_id=1, employer_id=None) -> Principal:
    return Principal(user_id, frozenset(roles), {"employer": frozenset() if employer_id is None else {employer_id}},
                     policy=POLICY)


def position(**overrides) -> domain.PositionInput:
    values = dict(title="后端开发工程师", description="负责后端服务开发", majors=(), degree="本科", city="上海",
                  work_location="上海市浦东新区", pay_min=10000, pay_max=15000, headcount=2, deadline=TODAY,
                  probation_months=3, contract_years=3, breach_terms="违约金 5000 元", other_clauses="",
                  archive_address="上海市人才服务中心", hukou_transfer=True)
    values.update(overrides)
    return domain.PositionInput(**values)


def test_a_position_must_hold_what_students_and_an_offer_need():
    assert domain.position_problems(position(), TODAY) == {}
    problems = domain.position_problems(position(title="", pay_min=0, pay_max=5, headcount=0, degree="高中",
                                                 deadline=TODAY - timedelta(days=1), probation_months=7,
                                                 contract_years=0, description="x" * 4001), TODAY)
    assert problems == {"title": "required", "pay_min": "pay", "headcount": "headcount", "degree": "choice",
                        "deadline": "past", "probation_months": "probation", "contract_years": "contract",
                        "description": "too_long"}
    assert domain.position_problems(position(pay_min=9000, pay_max=8000), TODAY) == {"pay_max": "pay_range"}


def test_position_lifecycle_and_who_edits():
    assert domain.can_move_position(domain.DRAFT, domain.IN_REVIEW)
    assert domain.can_move_position(domain.IN_REVIEW, domain.RETURNED)
    assert domain.can_move_position(domain.RETURNED, domain.IN_REVIEW)
    assert not domain.can_move_position(domain.PUBLISHED, domain.IN_REVIEW)
    assert not domain.can_move_position(domain.REJECTED, domain.PUBLISHED)
    mine, other = who({"employer"}, employer_id=5), who({"employer"}, employer_id=6)
    assert domain.can_edit_position(mine, domain.RETURNED, 5)
    assert not domain.can_edit_position(mine, domain.PUBLISHED, 5)
    assert not domain.can_edit_position(other, domain.DRAFT, 5)
    student = who({"student"})
    assert domain.can_see_position(student, domain.PUBLISHED, 5)
    assert not domain.can_see_position(student, domain.IN_REVIEW, 5)
    assert domain.can_see_position(mine, domain.DRAFT, 5) and not domain.can_see_position(other, domain.DRAFT, 5)
    assert domain.can_see_position(who({"staff"}), domain.IN_REVIEW, 5)


def test_degrees_and_applications():
    assert domain.accepts_degree("本科", "硕士") and not domain.accepts_degree("硕士", "本科")
    assert domain.accepts_degree(domain.ANY_DEGREE, "专科")
    assert domain.degrees_accepted_by("本科") == (domain.ANY_DEGREE, "专科", "本科")
    assert domain.is_open_for_applications(domain.PUBLISHED, TODAY, TODAY)
    assert not domain.is_open_for_applications(domain.PUBLISHED, TODAY - timedelta(days=1), TODAY)
    assert not domain.is_open_for_applications(domain.CLOSED, None, TODAY)
    assert domain.can_move_application(domain.SUBMITTED, domain.SHORTLISTED)
    assert not domain.can_move_application(domain.NOT_SELECTED, domain.SHORTLISTED)


def test_offer_terms_come_from_the_position():
    terms = domain.offer_terms(position(), 12000)
    assert terms == {"position": "后端开发工程师", "work_location": "上海市浦东新区", "monthly_pay": 12000,
                     "probation_months": 3, "contract_years": 3, "breach_terms": "违约金 5000 元", "other_clauses": "无",
                     "archive_address": "上海市人才服务中心", "hukou_transfer": True}
    assert domain.offer_terms(position())["monthly_pay"] == 10000


def test_fairs_halls_and_booths():
    fair = domain.FairInput("春季双选会", TODAY, NOW, NOW + timedelta(hours=8), "体育馆", 3000, TODAY, 3, 5,
                            (("A", "一号馆", 2, 3), ("B", "二号馆", 1, 2)))
    assert domain.fair_problems(fair, TODAY) == {}
    bad = domain.FairInput("春", TODAY - timedelta(days=1), NOW, NOW, "体", 0, TODAY + timedelta(days=1), 0, 500,
                           (("a", "", 1, 1), ("a", "", 1, 1)))
    assert set(domain.fair_problems(bad, TODAY)) == {"title", "venue", "day", "ends_at", "capacity", "booth_deadline",
                                                     "no_show_minutes", "pause_minutes", "halls"}
    assert domain.hall_booths("A", 2, 3) == [("A01", 0, 0), ("A02", 0, 1), ("A03", 0, 2), ("A04", 1, 0),
                                             ("A05", 1, 1), ("A06", 1, 2)]
    assert domain.check_in_open(domain.FAIR_OPEN, NOW, NOW + timedelta(hours=8), NOW - timedelta(minutes=30))
    assert not domain.check_in_open(domain.FAIR_OPEN, NOW, NOW + timedelta(hours=8), NOW - timedelta(minutes=31))
    assert not domain.check_in_open(domain.FAIR_DRAFT, NOW, NOW + timedelta(hours=8), NOW)
    assert not domain.check_in_open(domain.FAIR_OPEN, NOW, NOW + timedelta(hours=8), NOW + timedelta(hours=9))


def test_invitations_lifecycle_slots_and_places():
    assert domain.can_move_invitation(domain.INVITED, domain.PROPOSED)
    assert domain.can_move_invitation(domain.PROPOSED, domain.INVITED)     # the employer offers another slot
    assert domain.can_move_invitation(domain.ACCEPTED, domain.INVITED)     # next round
    assert not domain.can_move_invitation(domain.DECLINED, domain.ACCEPTED)
    assert not domain.can_move_invitation(domain.OFFERED, domain.CANCELLED)
    assert domain.outcome_status(domain.OUTCOME_NEXT_ROUND) == domain.INVITED
    slot = domain.Slot(NOW + timedelta(days=1), NOW + timedelta(days=1, minutes=30))
    assert domain.slot_problems(slot, NOW + timedelta(hours=12), NOW) == {}
    assert domain.slot_problems(slot, NOW + timedelta(days=2), NOW) == {"expires_at": "after_start"}
    assert domain.slot_problems(domain.Slot(NOW, NOW), NOW, NOW) == {"slot_start": "past", "slot_end": "slot",
                                                                     "expires_at": "past"}
    assert domain.place_problems("online", None, "", "https://meet.example.com/x") == {}
    assert domain.place_problems("online", None, "", "javascript:alert(1)") == {"online_url": "url"}
    assert domain.place_problems("online", None, "", "https://user:pw@example.com") == {"online_url": "url"}
    assert domain.place_problems("booth", None, "", "") == {"booth_id": "required"}
    assert domain.place_problems("room", None, "A", "") == {"room": "required"}
    assert domain.reminder_at(NOW + timedelta(hours=5), NOW) == NOW + timedelta(hours=3)
    assert domain.reminder_at(NOW + timedelta(hours=1), NOW) == NOW
    assert domain.should_remind(NOW + timedelta(hours=1), NOW, domain.ACCEPTED)
    assert not domain.should_remind(NOW - timedelta(hours=1), NOW, domain.ACCEPTED)
    assert not domain.should_remind(NOW + timedelta(hours=1), NOW, domain.CANCELLED)


def test_who_sees_invitations_and_runs_booths():
    student, employer = who({"student"}, user_id=7), who({"employer"}, user_id=8, employer_id=3)
    staff, counselor = who({"staff"}, user_id=9), who({"counselor"}, user_id=10)
    assert domain.can_see_invitation(student, 7, 3) and not domain.can_see_invitation(who({"student"}, 11), 7, 3)
    assert domain.can_see_invitation(employer, 7, 3) and not domain.can_see_invitation(employer, 7, 4)
    assert domain.can_see_invitation(staff, 7, 3) and not domain.can_see_invitation(counselor, 7, 3)
    assert domain.invitation_party(student, 7, 3) == "student"
    assert domain.invitation_party(employer, 7, 3) == "employer"
    assert domain.invitation_party(staff, 7, 3) is None
    assert domain.can_run_booth(employer, 3) and not domain.can_run_booth(employer, 4)
    assert domain.can_run_booth(staff, 4) and not domain.can_run_booth(student, 3)
    assert domain.can_see_application(employer, 7, 3) and not domain.can_see_application(counselor, 7, 3)


def test_discriminatory_wording_is_flagged_neutral_wording_is_not():
    found = wording.flags("要求：限男性，35岁以下，985/211院校优先，已婚已育，本地户口，乙肝携带者勿扰，汉族")
    categories = {f.category for f in found}
    assert categories == {wording.GENDER, wording.AGE, wording.SCHOOL_TIER, wording.MARITAL, wording.REGION,
                          wording.HEALTH, wording.ETHNICITY}
    assert wording.flags("男女不限，性别不限，年龄不限，户籍不限。熟悉 Python。") == []
    assert wording.flags("负责华东区客户开发，能适应出差") == []
    assert [f.category for f in wording.flags("女生优先")] == [wording.GENDER]
    assert [f.category for f in wording.flags("ＱＳ前１００院校")] == [wording.SCHOOL_TIER]  # full-width is no hiding place
    assert wording.summary(wording.flags("限男")) == "性别：限男"


def test_search_tokens_are_bigrams_of_normalised_words():
    assert text_search.normalise("  Java／Python 开发，上海！ ") == "java python 开发 上海"
    assert text_search.tokens("软件工程师") == {"软件", "件工", "工程", "程师"}
    assert text_search.tokens("Go 语") == {"go", "语"}
    assert text_search.terms("上海  Java 上海 a b c d e f") == ["上海", "java", "a", "b", "c"]
    assert text_search.term_tokens("会计") == {"会计"} and text_search.term_tokens("会") == set()
    # bigrams alone would match "工程" inside "软件工程师" and "程师工" apart; the final check does not
    assert text_search.matches("软件工程师 上海", ["工程", "上海"])
    assert not text_search.matches("工 程师", ["工程"])
    assert text_search.like_pattern("50%_a\\") == "%50\\%\\_a\\\\%"
