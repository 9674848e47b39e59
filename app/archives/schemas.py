"""The parameters the archive processes pass to their operations (tasks/archives.py), loaded before the
services see them (process files are untrusted input)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from app.archives import domain


class _Params(Schema):
    class Meta:
        unknown = EXCLUDE

    student_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class Record(_Params):
    kind = fields.String(required=True, validate=validate.OneOf(domain.RECORD_KINDS))
    task = fields.String(required=True, validate=validate.Length(min=1, max=60))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class Register(_Params):
    task = fields.String(required=True)
    values = fields.Dict(keys=fields.String(), required=True)


class Check(_Params):
    stage = fields.String(required=True, validate=validate.OneOf(("verify", "confirm")))
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "return")))
    comment = fields.String(load_default=None, allow_none=True)
    task = fields.String(required=True)


class Remind(_Params):
    what = fields.String(required=True, validate=validate.Length(min=1, max=80))
    key = fields.String(required=True, validate=validate.Length(min=1, max=60))


class ApplyUpdate(_Params):
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    data = fields.Dict(keys=fields.String(), load_default=dict)
    task = fields.String(required=True)


RECORD, REGISTER, CHECK, REMIND, APPLY_UPDATE, STUDENT = (Record(), Register(), Check(), Remind(), ApplyUpdate(),
                                                          _Params())
