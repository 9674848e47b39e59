"""The employer area's rules: pure functions, no database, no app."""
from __future__ import annotations

from app.employers import domain

GOOD = dict(name="华辰科技有限公司", credit_code="91310000MA1FL8XQ37", contact_name="刘女士",
            contact_phone="021-12345678", username="hr_new", password="long enough")


def test_a_good_registration_has_no_problems():
    assert domain.registration_problems(**GOOD) == []
    assert domain.is_credit_code(" 91310000ma1fl8xq37 ")  # spaces and case do not matter


def test_each_problem_names_its_field():
    bad = dict(GOOD, credit_code="91310000MA1FL8XQ38", contact_phone="1234567", username="x", password="short")
    assert [field for field, _message in domain.registration_problems(**bad)] == [
        "credit_code", "contact_phone", "username", "password"]


def test_the_review_decides_the_status():
    assert domain.decision_status("approve") == domain.APPROVED and domain.may_issue_offers(domain.APPROVED)
    assert domain.decision_status("reject") == domain.REJECTED and not domain.may_issue_offers(domain.PENDING)
    assert domain.employer_key(9) == "EMP-9"
