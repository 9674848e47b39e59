"""Roles and what each may do: config/permissions.toml plus each registered area's permissions.toml.

config/permissions.toml defines the roles (label, BPMN lanes, scope) and the platform's own permissions.
An area's file (app/<area>/permissions.toml) declares the permissions it introduces, each with what it
means, and grants them (and, if it needs, BPMN lanes of its processes) to existing roles:

    [permissions]
    "agreement.view" = "the list and detail pages, scoped by the object rule"

    [roles.student]
    permissions = ["agreement.view"]

A fragment may grant only the permissions it declares, only to roles defined centrally, and no two
fragments may declare the same permission: mistakes stop the application at start-up.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

POLICY_FILE = Path(__file__).resolve().parents[2] / "config" / "permissions.toml"
SCOPES = ("none", "all")  # besides these, a role's scope is a scope key (app/identity/scopes.py)


class PolicyError(Exception):
    """A permissions file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    label_en: str
    lanes: frozenset[str]
    scope: str  # none | all | a scope key (college, employer, ...)
    permissions: frozenset[str]


@dataclass(frozen=True)
class Policy:
    roles: Mapping[str, Role]
    #: permission -> what it means (from the [permissions] tables)
    permissions: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, base: Path = POLICY_FILE, fragments: Iterable[Path] = (),
             scope_keys: Iterable[str] | None = None) -> Policy:
        """`scope_keys`: the scope keys the application's areas provide (None: any key is accepted)."""
        raw = _read(base)
        known = None if scope_keys is None else {*SCOPES, *scope_keys}
        roles: dict[str, dict] = {}
        for name, spec in (raw.get("roles") or {}).items():
            scope = spec.get("scope", "none")
            if not isinstance(scope, str) or not scope or (known is not None and scope not in known):
                raise PolicyError(f"{base}: role {name!r}: unknown scope {scope!r}")
            roles[name] = {"label": spec["label"], "label_en": spec.get("label_en", name), "scope": scope,
                           "lanes": set(spec.get("lanes", [])), "permissions": set(spec.get("permissions", []))}
        meanings: dict[str, str] = dict(raw.get("permissions") or {})
        for path in fragments:
            part = _read(path)
            declared = dict(part.get("permissions") or {})
            for permission in declared:
                if permission in meanings:
                    raise PolicyError(f"{path}: permission {permission!r} is declared twice")
            meanings.update(declared)
            for name, grant in (part.get("roles") or {}).items():
                if name not in roles:
                    raise PolicyError(f"{path}: role {name!r} is not defined in {base.name}")
                unknown = set(grant.get("permissions", [])) - set(declared)
                if unknown:
                    raise PolicyError(f"{path}: role {name!r} gets permissions this file does not declare: "
                                      f"{', '.join(sorted(unknown))}")
                roles[name]["permissions"] |= set(grant.get("permissions", []))
                roles[name]["lanes"] |= set(grant.get("lanes", []))
        return cls({name: Role(name, r["label"], r["label_en"], frozenset(r["lanes"]), r["scope"],
                               frozenset(r["permissions"])) for name, r in roles.items()}, meanings)

    def __getitem__(self, name: str) -> Role:
        return self.roles[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.roles)

    def get(self, name: str) -> Role | None:
        return self.roles.get(name)

    def values(self) -> Iterable[Role]:
        return self.roles.values()

    def granted(self, role_names: Iterable[str]) -> tuple[Role, ...]:
        """The Role objects of these names (unknown names are ignored), in policy order."""
        wanted = set(role_names)
        return tuple(role for name, role in self.roles.items() if name in wanted)


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise PolicyError(f"permissions file {path} not found") from None
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"{path}: {err}") from None
