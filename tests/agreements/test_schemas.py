"""The parameters process files pass to the agreement and employer operations are loaded through schemas: a
wrong or missing one is refused with its name (no database, no app)."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from app.agreements import schemas
from app.employers.schemas import REVIEW as EMPLOYER_REVIEW


def test_a_good_payload_loads_with_its_defaults_and_drops_extras():
    loaded = schemas.RESPOND.load({"agreement_id": 7, "decision": "accept", "task": "student_respond",
                                   "contact": {"phone": "13800138000"}, "extra": 1})
    assert loaded == {"agreement_id": 7, "decision": "accept", "task": "student_respond", "reason": "",
                      "contact": {"phone": "13800138000"}}
    assert schemas.SET_STATUS.load({"agreement_id": 7, "status": "in_force", "act": "in_force"})["reason"] is None


@pytest.mark.parametrize("schema, payload, field", [
    (schemas.RESPOND, {"decision": "accept"}, "agreement_id"),
    (schemas.RESPOND, {"agreement_id": "7", "decision": "accept"}, "agreement_id"),  # strict: a number
    (schemas.RESPOND, {"agreement_id": 7, "decision": "maybe"}, "decision"),
    (schemas.REVIEW, {"agreement_id": 7, "stage": "dean", "decision": "approve"}, "stage"),
    (schemas.SET_STATUS, {"agreement_id": 7, "status": "lost"}, "status"),
    (schemas.SET_STATUS, {"agreement_id": 7, "status": "expired", "act": "vanished"}, "act"),
    (schemas.SIGN, {"agreement_id": 7, "party": "notary"}, "party"),
    (schemas.REMIND, {"agreement_id": 7}, "task"),
    (EMPLOYER_REVIEW, {"employer_id": 0, "decision": "approve"}, "employer_id"),
])
def test_a_bad_payload_names_what_is_wrong(schema, payload, field):
    with pytest.raises(ValidationError) as refused:
        schema.load(payload)
    assert field in refused.value.messages
