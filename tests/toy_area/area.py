"""The toy area's registration: one object, listed in AREAS (here only in the tests' configuration)."""
from __future__ import annotations

from pathlib import Path

from app.identity.demo import demo_accounts
from app.platform.areas import Area, DemoData, NavEntry, PeriodicJob, ReportDefinition
from tests.toy_area import demo
from tests.toy_area.scopes import SHELF
from tests.toy_area.routes import bp

HERE = Path(__file__).resolve().parent

AREA = Area(
    name="toy",
    label="Toys",
    package="tests.toy_area",
    blueprints=(bp,),
    operations=("tests.toy_area.tasks",),
    nav=(NavEntry("Toy desk", "toy.desk", permission="toy.view", order=60),),
    demo=DemoData("toy", demo.load, demo_accounts(demo.ACCOUNTS), after=("identity",)),
    reports=(ReportDefinition("toy.requests_by_wish", "Toy requests by wish", permission="toy.view",
                              process_keys=("toy_request",), fields=("toy_wish",), group_by=("toy_wish",)),),
    periodic_jobs=(PeriodicJob("toy.sweep", "tests.toy_area.tasks.sweep", every_s=3600),),
    scope_keys=("shelf",),  # its shelf checks carry scope={"shelf": ...}
    scope_providers=(SHELF,),  # which shelves a user keeps
    # In the application an area's folders are bpmn/<name>/, forms/<name>/ and app/<name>/permissions.toml;
    # the toy keeps them beside its code.
    bpmn_dir=HERE / "bpmn",
    forms_dir=HERE / "forms",
    permissions_file=HERE / "permissions.toml",
)
