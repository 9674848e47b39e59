"""The data that crosses into the agreement area from outside its code: the parameters BPMN service tasks
pass to its operations (tasks/agreements.py). Process files are untrusted input; each payload is loaded
through its marshmallow schema before a service sees it, so a wrong or missing parameter fails the job with
a message that names it (and, once retries run out, becomes an incident) instead of a KeyError deep in a
service."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.agreements.chain import ACTS
from app.agreements.domain import STATUSES

PARTIES = ("student", "employer", "university")


class _Step(Schema):
    class Meta:
        unknown = EXCLUDE  # a process may pass more than an operation reads

    agreement_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    task = fields.String(load_default=None, allow_none=True)  # the user task the step is about (its actor)


class Respond(_Step):
    decision = fields.String(required=True, validate=validate.OneOf(("accept", "refuse")))
    reason = fields.String(load_default="", allow_none=True)
    contact = fields.Dict(load_default=dict, allow_none=True)


class Review(_Step):
    stage = fields.String(required=True, validate=validate.OneOf(("counselor", "office")))
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = fields.String(load_default=None, allow_none=True)
    return_to = fields.String(load_default=None, allow_none=True)


class UpdateTerms(_Step):
    part = fields.String(required=True, validate=validate.OneOf(("graduate", "terms")))
    values = fields.Dict(load_default=dict, allow_none=True)


class SetStatus(_Step):
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    act = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(sorted(ACTS)))
    reason = fields.String(load_default=None, allow_none=True)


class Sign(_Step):
    party = fields.String(required=True, validate=validate.OneOf(PARTIES))


class Decide(_Step):
    """The other party's consent to a rescission (agree | refuse), or the school's decision (approve | reject)."""

    decision = fields.String(required=True, validate=validate.OneOf(("agree", "refuse", "approve", "reject")))
    comment = fields.String(load_default=None, allow_none=True)


class Remind(_Step):
    task = fields.String(required=True)
    party = fields.String(load_default=None, allow_none=True)


RESPOND, REVIEW, UPDATE_TERMS, SET_STATUS = Respond(), Review(), UpdateTerms(), SetStatus()
STEP, SIGN, DECIDE, REMIND = _Step(), Sign(), Decide(), Remind()
