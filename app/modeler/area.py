"""The process library and the modeler as the platform registers them (a generic package: it knows no area)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.modeler import models  # noqa: F401 - its tables (Alembic sees them)
from app.modeler.routes import bp
from app.platform.areas import Area, NavEntry

AREA = Area(
    name="modeler", label=_l("Process library"), package="app.modeler",
    blueprints=(bp,),
    operations=(),
    nav=(NavEntry(_l("Process library"), "modeler.library", permission="process.model", order=75),),
)
