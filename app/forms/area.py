"""The form framework as the platform registers it: its templates (forms/_fields.html, forms/_inputs.html) and
the hourly sweep of uploaded files no row references."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.platform.areas import Area, PeriodicJob

templates = Blueprint("forms", __name__, template_folder="templates")

AREA = Area(name="forms", label=_l("Forms"), package="app.forms", blueprints=(templates,),
            periodic_jobs=(PeriodicJob("forms.sweep_uploads", "tasks.forms.sweep_uploads", every_s=3600),))
