"""The signing job signs only for the account that confirmed the signing task when that account is the party
(issue 8 point 1): the person in the evidence, the account that acted and the certificate always agree."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.agreements import pdf, services
from app.agreements.models import Agreement, AgreementDocument
from app.engine import PermanentFailure
from app.identity.models import User
from tests.web import ROLE_USERS


@pytest.fixture
def signing(web):
    """An agreement of the CS student with 华辰科技 in signing (no document yet)."""
    ids = {name: web.scalar(select(User.id).where(User.username == name))
           for name in (ROLE_USERS["student"], "2022010102", "hr_huachen", "hr_jiangnan", "staff1", "counselor_cs")}
    employer = web.scalar(select(User.employer_id).where(User.username == "hr_huachen"))
    agreement_id = web.add(Agreement(student_id=ids[ROLE_USERS["student"]], employer_id=employer, status="signing",
                                     terms={"position": "signer-check"}))
    yield agreement_id, ids
    # an agreement left in signing would stand in the way of other tests' offers to the same student
    from app.platform.extensions import db

    with web.app.app_context():
        db.session.execute(update(Agreement).where(Agreement.id == agreement_id).values(status="declined"))
        db.session.commit()
        db.session.remove()


@pytest.mark.parametrize(("party", "actor"), [
    ("student", "hr_huachen"), ("student", "2022010102"), ("student", "staff1"), ("student", None),
    ("employer", ROLE_USERS["student"]), ("employer", "hr_jiangnan"), ("employer", "staff1"),
    ("university", ROLE_USERS["student"]), ("university", "hr_huachen"), ("university", "counselor_cs"),
])
def test_a_mismatched_signer_is_refused_before_anything_is_signed(web, signing, party, actor):
    agreement_id, ids = signing
    with web.app.app_context():
        with pytest.raises(services.SignerMismatch) as refused:
            services.sign_document(agreement_id, party, ids[actor] if actor else None)
    assert isinstance(refused.value, PermanentFailure)  # an incident at once, no retries
    assert web.scalar(select(AgreementDocument.id).where(AgreementDocument.agreement_id == agreement_id)) is None


@pytest.mark.parametrize(("party", "actor"), [
    ("student", ROLE_USERS["student"]), ("employer", "hr_huachen"), ("university", "staff1"),
])
def test_the_party_itself_passes_the_check(web, signing, party, actor):
    agreement_id, ids = signing
    with web.app.app_context():
        with pytest.raises(pdf.DocumentError):  # past the check: only the document is missing here
            services.sign_document(agreement_id, party, ids[actor])
