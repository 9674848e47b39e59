"""The recommendation area's registration with the platform (docs/areas.md)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.platform.areas import Area, DemoData
from app.recommendations import demo

AREA = Area(name="recommendations", label=_l("Employment recommendations"), package="app.recommendations",
            scope_keys=("college",), demo=DemoData("recommendations", demo.load, after=("identity",)))
