"""Process pages as the platform registers them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.platform.areas import Area, NavEntry
from app.processes.routes import bp, processes_bp

AREA = Area(
    name="processes", label=_l("Processes"), package="app.processes",
    blueprints=(processes_bp, bp),
    nav=(NavEntry(_l("Start a process"), "processes.start_page", permission="process.start", order=20),
         NavEntry(_l("My requests"), "processes.mine", permission="process.start", order=30),
         NavEntry(_l("Instances"), "instances.overview", permission="instance.view_all", order=70)),
)
