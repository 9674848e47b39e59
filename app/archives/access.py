"""Who may see an archive and whose personal data shows unmasked. Pure checks over the Principal and the
facts of one student, with the same rule as an SQL clause for lists (queries.archive_clause)."""
from __future__ import annotations

from dataclasses import dataclass

from app.identity.principal import Principal


@dataclass(frozen=True)
class StudentFacts:
    student_id: int
    college_id: int
    class_counselor_id: int | None


def sees_all(principal: Principal) -> bool:
    return principal.can("archive.view") and "all" in principal.scopes


def can_see_archive(principal: Principal, facts: StudentFacts) -> bool:
    """The student himself, the counselor of his class or of his college, staff."""
    if not principal.can("archive.view"):
        return False
    return (principal.id == facts.student_id or sees_all(principal)
            or ("counselor" in principal.roles and (facts.class_counselor_id == principal.id
                                                    or facts.college_id in principal.college_ids)))


def shows_personal_data(principal: Principal, facts: StudentFacts) -> bool:
    """ID number and phone unmasked: for the student himself and roles that need them (archive.personal_data)."""
    return principal.id == facts.student_id or principal.can("archive.personal_data")


def can_write_note(principal: Principal, facts: StudentFacts) -> bool:
    return principal.can("archive.note") and principal.id != facts.student_id and can_see_archive(principal, facts)
