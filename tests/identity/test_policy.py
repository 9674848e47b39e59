"""The policy: config/permissions.toml plus the areas' permission files, checked at start-up."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.identity.policy import POLICY_FILE, Policy, PolicyError
from app.identity.principal import Principal

ROOT = Path(__file__).resolve().parents[2]
AGREEMENTS = ROOT / "app" / "agreements" / "permissions.toml"


def test_an_area_grants_its_permissions_and_lanes_to_existing_roles(tmp_path):
    base = Policy.load()
    assert not base["student"].permissions & {"agreement.view"}
    merged = Policy.load(fragments=[AGREEMENTS])
    assert "agreement.view" in merged["student"].permissions and "agreement.issue" in merged["employer"].permissions
    assert merged.permissions["agreement.view"].startswith("the list and detail pages")
    toy = tmp_path / "toy.toml"
    toy.write_text('[permissions]\n"toy.view" = "the toy page"\n[roles.staff]\npermissions = ["toy.view"]\n'
                   'lanes = ["toy_desk"]\n')
    policy = Policy.load(fragments=[AGREEMENTS, toy])
    staff = Principal(1, frozenset({"staff"}), policy=policy)
    assert staff.can("toy.view") and staff.can("agreement.view_all") and "toy_desk" in staff.lanes_in_scope()
    assert not Principal(2, frozenset({"student"}), policy=policy).can("toy.view")


@pytest.mark.parametrize("fragment, problem", [
    ('[permissions]\n"x.view" = "x"\n[roles.janitor]\npermissions = ["x.view"]\n', "not defined"),
    ('[permissions]\n"x.view" = "x"\n[roles.staff]\npermissions = ["x.edit"]\n', "does not declare"),
    ('[permissions]\n"agreement.view" = "again"\n', "declared twice"),
    ('[permissions\n', "bad.toml: Expected"),
])
def test_a_bad_fragment_stops_the_start(tmp_path, fragment, problem):
    path = tmp_path / "bad.toml"
    path.write_text(fragment)
    with pytest.raises(PolicyError, match=problem):
        Policy.load(POLICY_FILE, [AGREEMENTS, path])
