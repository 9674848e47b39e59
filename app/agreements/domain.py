"""The tripartite agreement's rules (三方协议), in plain Python: statuses and their transitions, business keys,
numbering, the ISO 8601 windows of an offer, and who may see or act on an agreement.

No Flask, no database: the services (services.py) load the facts and apply these rules; the pages
(queries.py) turn the visibility rule into a SQL filter. Lifecycle:

    offered -> accepted -> in_review -> signing -> in_force -> rescinded
       |          ^___________| (office returns for correction)
       +-> declined | expired | revoked (revoked possible until in_force)
"""
from __future__ import annotations

from dataclasses import dataclass

from app.identity.principal import Principal

# -- statuses: the one place their words are defined -------------------------------------------------------

OFFERED = "offered"
ACCEPTED = "accepted"
IN_REVIEW = "in_review"
SIGNING = "signing"
IN_FORCE = "in_force"
DECLINED = "declined"
EXPIRED = "expired"
REVOKED = "revoked"
RESCINDED = "rescinded"

STATUSES = (OFFERED, ACCEPTED, IN_REVIEW, SIGNING, IN_FORCE, DECLINED, EXPIRED, REVOKED, RESCINDED)
OPEN_STATUSES = (OFFERED, ACCEPTED, IN_REVIEW, SIGNING)
FINAL_STATUSES = (IN_FORCE, DECLINED, EXPIRED, REVOKED, RESCINDED)
# Statuses that keep a student from accepting another offer (one agreement in progress or in force at a time).
BUSY_STATUSES = (ACCEPTED, IN_REVIEW, SIGNING, IN_FORCE)
TRANSITIONS = {
    OFFERED: {ACCEPTED, DECLINED, EXPIRED, REVOKED},
    ACCEPTED: {IN_REVIEW, REVOKED},
    IN_REVIEW: {ACCEPTED, SIGNING, REVOKED},
    SIGNING: {IN_FORCE, REVOKED},
    IN_FORCE: {RESCINDED},
}
# The documents and the evidence messages are in Chinese whatever the reader's language.
STATUS_LABELS = {
    OFFERED: "待学生答复", ACCEPTED: "学生已接受，辅导员审核中", IN_REVIEW: "就业指导中心审核中",
    SIGNING: "签署中", IN_FORCE: "已生效", DECLINED: "学生已拒绝", EXPIRED: "邀请已过期",
    REVOKED: "单位已撤回", RESCINDED: "已解约",
}

PROCESS_KEY = "tripartite_agreement"
RESCISSION_KEY = "agreement_rescission"
REVOKE_MESSAGE = "agreement_revoked"
TERM_KEYS = ("position", "work_location", "monthly_pay", "probation_months", "contract_years", "breach_terms",
             "other_clauses", "archive_address", "hukou_transfer")
DEGREE_CODES = {"专科": "Z", "本科": "B", "硕士": "M", "博士": "D"}


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


def is_open(status: str) -> bool:
    return status in OPEN_STATUSES


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


# -- keys and numbers ------------------------------------------------------------------------------------------

def agreement_key(agreement_id: int) -> str:
    """The business key of an agreement's processes (signing and rescission)."""
    return f"AGR-{agreement_id}"


def degree_code(degree: str) -> str:
    return DEGREE_CODES.get((degree or "").strip(), "B")


def number_sequence(year: int, school_code: str, degree: str) -> str:
    """The counter an agreement number is drawn from: one per graduation year, school and degree level."""
    return f"agreement:{year}:{school_code}:{degree_code(degree)}"


def format_number(year: int, school_code: str, degree: str, seq: int) -> str:
    """Graduation year + school code + degree level + sequence, e.g. 2026-10001-B-000042."""
    return f"{year}-{school_code}-{degree_code(degree)}-{seq:06d}"


# -- who may see and act ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AgreementFacts:
    student_id: int
    employer_id: int
    college_id: int | None
    status: str


def can_see_agreement(principal: Principal, facts: AgreementFacts) -> bool:
    """A student sees his own agreements; an employer user his organisation's; a counselor those of students
    of his colleges; career-office staff and admins (`agreement.view_all`) all."""
    if not principal.can("agreement.view"):
        return False
    if principal.can("agreement.view_all"):
        return True
    if facts.student_id == principal.id:
        return True
    if "employer" in principal.scopes and principal.employer_id is not None \
            and facts.employer_id == principal.employer_id:
        return True
    return "college" in principal.scopes and facts.college_id is not None and facts.college_id in principal.college_ids


def is_student_party(principal: Principal, facts: AgreementFacts) -> bool:
    return facts.student_id == principal.id


def is_employer_party(principal: Principal, facts: AgreementFacts) -> bool:
    return (principal.employer_id is not None and facts.employer_id == principal.employer_id
            and "employer" in principal.scopes)


def may_sign_for(party: str, signer: Principal | None, facts: AgreementFacts) -> bool:
    """Whether the account that confirmed a signing task is the party whose certificate will sign: the student
    himself, a user of the employer organisation, the career office (`agreement.seal`) for the university."""
    if signer is None:
        return False
    if party == "student":
        return is_student_party(signer, facts)
    if party == "employer":
        return is_employer_party(signer, facts)
    return party == "university" and signer.can("agreement.seal")


def can_download(principal: Principal, facts: AgreementFacts) -> bool:
    """The signed PDF: the three parties (student, employer, the university's career office)."""
    return (principal.can("agreement.download") and can_see_agreement(principal, facts)
            and (is_student_party(principal, facts) or is_employer_party(principal, facts)
                 or principal.can("agreement.view_all")))


def can_request_rescission(principal: Principal, facts: AgreementFacts) -> bool:
    return (principal.can("agreement.rescind") and facts.status == IN_FORCE
            and (is_student_party(principal, facts) or is_employer_party(principal, facts)))


def can_revoke(principal: Principal, facts: AgreementFacts) -> bool:
    """The employer may withdraw its offer until the agreement is complete (in force)."""
    return principal.can("agreement.issue") and is_open(facts.status) and is_employer_party(principal, facts)


def should_record_view(principal: Principal, facts: AgreementFacts, evidence: list) -> bool:
    """The student's first look at the agreement in each status goes into the evidence chain ("viewed")."""
    return is_student_party(principal, facts) and not any(
        e.act == "viewed" and e.actor_id == principal.id and (e.details or {}).get("status") == facts.status
        for e in evidence)


def reveals_personal_data(principal: Principal, facts: AgreementFacts | None = None) -> bool:
    """Full ID and phone numbers: roles that need them (staff, admin), and the student's own."""
    return principal.can("agreement.personal_data") or (facts is not None and facts.student_id == principal.id)


def sees_client_addresses(principal: Principal) -> bool:
    """The network addresses in the evidence chain: the career office and admins only (the other party's
    address is personal data; a party learns that an address was recorded, not which)."""
    return principal.can("agreement.personal_data")


def rescission_requester(user_id: int, user_employer_id: int | None, user_roles: frozenset[str],
                         facts: AgreementFacts) -> str | None:
    """"student" or "employer" when this user is that party of the agreement, else None."""
    if user_id == facts.student_id:
        return "student"
    if user_employer_id == facts.employer_id and "employer" in user_roles:
        return "employer"
    return None


def graduate_contact(terms: dict | None, account_phone: str | None, account_email: str | None) -> tuple[str, str]:
    """The graduate's phone and e-mail for this agreement: what the student gave when accepting (or corrected
    after a return; terms["graduate"], also printed in the PDF), else the account's."""
    given = (terms or {}).get("graduate") or {}
    return (str(given.get("phone") or account_phone or ""), str(given.get("email") or account_email or ""))
