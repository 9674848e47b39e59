"""The area registry: one registration per area, file names unique across areas, demo data in order."""
from __future__ import annotations

import pytest

from app.platform.areas import Area, AreaError, DemoData, Registry, load_area


def _area(name: str, tmp_path, demo: DemoData | None = None, files: dict[str, list[str]] | None = None) -> Area:
    bpmn = tmp_path / name / "bpmn"
    forms = tmp_path / name / "forms"
    for folder, names in (files or {}).items():
        target = bpmn if folder == "bpmn" else forms
        target.mkdir(parents=True, exist_ok=True)
        for file_name in names:
            (target / file_name).write_text("{}")
    return Area(name=name, label=name, package="app.platform", demo=demo,
                bpmn_dir=bpmn if bpmn.exists() else None, forms_dir=forms if forms.exists() else None,
                permissions_file=None)


def test_the_real_areas_register():
    names = [load_area(m).name for m in ("app.employers.area", "app.agreements.area", "app.recommendations.area")]
    assert names == ["employers", "agreements", "recommendations"]
    registry = Registry([load_area(m) for m in ("app.identity.area", "app.employers.area", "app.agreements.area",
                                                "app.recommendations.area")])
    assert [d.name for d in registry.bpmn_dirs] == ["employers", "agreements", "recommendations"]
    assert registry.operation_modules == ["tasks.employers", "tasks.agreements"]


def test_an_area_is_registered_once_and_its_files_are_its_own(tmp_path):
    with pytest.raises(AreaError, match="registered twice"):
        Registry([_area("a", tmp_path), _area("a", tmp_path)])
    with pytest.raises(AreaError, match="form file x.json"):
        Registry([_area("a", tmp_path, files={"forms": ["x.json"]}), _area("b", tmp_path, files={"forms": ["x.json"]})])
    with pytest.raises(AreaError, match="BPMN file p.bpmn"):
        Registry([_area("c", tmp_path, files={"bpmn": ["p.bpmn"]}), _area("d", tmp_path, files={"bpmn": ["p.bpmn"]})])


def test_demo_data_loads_after_what_it_needs(tmp_path):
    def loader(name, after=()):
        return DemoData(name, lambda: None, (), after)

    registry = Registry([_area("later", tmp_path, loader("later", ("middle",))),
                         _area("middle", tmp_path, loader("middle", ("base",))),
                         _area("base", tmp_path, loader("base"))])
    assert [d.name for d in registry.demo_loaders()] == ["base", "middle", "later"]
    with pytest.raises(AreaError, match="cycle"):
        Registry([_area("x", tmp_path, loader("x", ("y",))), _area("y", tmp_path, loader("y", ("x",)))]).demo_loaders()
    with pytest.raises(AreaError, match="which no area provides"):
        Registry([_area("z", tmp_path, loader("z", ("nowhere",)))]).demo_loaders()


def test_a_module_without_an_area_is_refused():
    with pytest.raises(AreaError, match="defines no AREA"):
        load_area("app.platform.uow")
