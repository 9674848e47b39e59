"""The form framework as the platform registers it: its templates (forms/_fields.html, forms/_inputs.html)."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.platform.areas import Area

templates = Blueprint("forms", __name__, template_folder="templates")

AREA = Area(name="forms", label=_l("Forms"), package="app.forms", blueprints=(templates,))
