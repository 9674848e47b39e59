"""The employer area's registration with the platform (docs/areas.md): public registration, the
qualification review process (bpmn/employers/), the demo employers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.employers import demo
from app.employers.routes import bp
from app.identity.demo import demo_accounts
from app.platform.areas import Area, DemoData, NavEntry

AREA = Area(
    name="employers",
    label=_l("Employers"),
    package="app.employers",
    blueprints=(bp,),
    operations=("tasks.employers",),
    nav=(NavEntry(_l("Our organisation"), "employers.status", permission="employer.status", order=60),
         NavEntry(_l("Employer registration"), "employers.register", place="footer", order=20,
                  anonymous_only=True)),
    demo=DemoData("employers", demo.load, demo_accounts(demo.ACCOUNTS), after=("identity",)),
    scope_keys=("employer",),
)
