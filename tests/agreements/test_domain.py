"""The agreement's domain rules: pure functions over plain values and a Principal. No database, no Flask app."""
from __future__ import annotations

from pathlib import Path


from app.agreements import domain
from app.agreements.domain import (
    AgreementFacts,
    can_download,
    can_request_rescission,
    can_revoke,
    can_see_agreement,
    can_transition,
    degree_code,
    format_number,
    reveals_personal_data,
    should_record_view,
)
from app.identity.policy import Policy
from app.identity.principal import Principal

POLICY = Policy.load(fragments=[Path(__file__).resolve().parents[2] / "app" / "agreements" / "permissions.toml"])
STUDENT, OTHER_STUDENT, HR, OTHER_HR, COUNSELOR, STAFF, OWNER = 1, 2, 3, 4, 5, 6, 7
EMPLOYER, OTHER_EMPLOYER, COLLEGE, OTHER_COLLEGE = 70, 71, 30, 31


def who(user_id: int, role: str, colleges=(), employer_id=None) -> Principal:
    scope = {"college": frozenset(colleges), "employer": frozenset() if employer_id is None else {employer_id}}
    return Principal(user_id, frozenset({role}), scope, policy=POLICY)


def facts(status: str = domain.IN_FORCE) -> AgreementFacts:
    return AgreementFacts(student_id=STUDENT, employer_id=EMPLOYER, college_id=COLLEGE, status=status)


def test_domain_rules():
    assert format_number(2026, "10001", "本科", 42) == "2026-10001-B-000042"
    assert degree_code("博士") == "D" and degree_code("专科") == "Z"
    assert can_transition("offered", "accepted") and can_transition("in_review", "accepted")
    assert not can_transition("offered", "in_force") and not can_transition("revoked", "offered")
    assert not can_transition("in_force", "revoked") and can_transition("in_force", "rescinded")


def test_every_status_word_is_defined_once_and_grouped():
    assert len(set(domain.STATUSES)) == len(domain.STATUSES) == 9
    assert set(domain.OPEN_STATUSES) | set(domain.FINAL_STATUSES) == set(domain.STATUSES)
    assert not set(domain.OPEN_STATUSES) & set(domain.FINAL_STATUSES)
    assert set(domain.STATUS_LABELS) == set(domain.STATUSES)
    assert set(domain.TRANSITIONS) <= set(domain.STATUSES)
    assert all(target in domain.STATUSES for targets in domain.TRANSITIONS.values() for target in targets)


def test_who_sees_an_agreement():
    agreement = facts()
    assert can_see_agreement(who(STUDENT, "student"), agreement)
    assert not can_see_agreement(who(OTHER_STUDENT, "student"), agreement)
    assert can_see_agreement(who(HR, "employer", employer_id=EMPLOYER), agreement)
    assert not can_see_agreement(who(OTHER_HR, "employer", employer_id=OTHER_EMPLOYER), agreement)
    assert can_see_agreement(who(COUNSELOR, "counselor", colleges=[COLLEGE]), agreement)
    assert not can_see_agreement(who(COUNSELOR, "counselor", colleges=[OTHER_COLLEGE]), agreement)
    assert can_see_agreement(who(STAFF, "staff"), agreement)
    assert not can_see_agreement(who(OWNER, "process_owner"), agreement)  # no agreement permission at all


def test_who_may_act_on_an_agreement():
    student, hr, staff = who(STUDENT, "student"), who(HR, "employer", employer_id=EMPLOYER), who(STAFF, "staff")
    counselor = who(COUNSELOR, "counselor", colleges=[COLLEGE])
    in_force, offered = facts(domain.IN_FORCE), facts(domain.OFFERED)
    assert can_download(student, in_force) and can_download(hr, in_force) and can_download(staff, in_force)
    assert not can_download(counselor, in_force)
    assert can_request_rescission(student, in_force) and can_request_rescission(hr, in_force)
    assert not can_request_rescission(student, offered) and not can_request_rescission(staff, in_force)
    assert can_revoke(hr, offered) and not can_revoke(hr, in_force) and not can_revoke(student, offered)
    assert reveals_personal_data(staff, in_force) and reveals_personal_data(student, in_force)
    assert not reveals_personal_data(hr, in_force) and not reveals_personal_data(counselor, in_force)


def test_the_student_first_view_per_status_is_recorded():
    class Entry:
        def __init__(self, act, actor_id, details):
            self.act, self.actor_id, self.details = act, actor_id, details

    student = who(STUDENT, "student")
    assert should_record_view(student, facts(domain.OFFERED), [])
    seen = [Entry("viewed", STUDENT, {"status": domain.OFFERED})]
    assert not should_record_view(student, facts(domain.OFFERED), seen)
    assert should_record_view(student, facts(domain.SIGNING), seen)
    assert not should_record_view(who(HR, "employer", employer_id=EMPLOYER), facts(domain.OFFERED), [])


def test_a_rescission_is_asked_for_by_a_party_only():
    agreement = facts()
    assert domain.rescission_requester(STUDENT, None, frozenset({"student"}), agreement) == "student"
    assert domain.rescission_requester(HR, EMPLOYER, frozenset({"employer"}), agreement) == "employer"
    assert domain.rescission_requester(OTHER_HR, OTHER_EMPLOYER, frozenset({"employer"}), agreement) is None
    assert domain.rescission_requester(STAFF, EMPLOYER, frozenset({"staff"}), agreement) is None


def test_keys_and_number_sequences():
    assert domain.agreement_key(42) == "AGR-42"
    assert domain.number_sequence(2026, "10001", "硕士") == "agreement:2026:10001:M"
