"""The parameters the qualification process passes to its operation (tasks/employers.py), loaded before
the service sees them (process files are untrusted input)."""
from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate


class Review(Schema):
    class Meta:
        unknown = EXCLUDE

    employer_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    comment = fields.String(load_default=None, allow_none=True)
    task = fields.String(load_default=None, allow_none=True)


REVIEW = Review()
