"""The signed-in person as the access rules see them: id, roles (resolved through the policy) and the values
they hold per scope key (the colleges they look after, the employer they belong to, whatever keys the areas
provide: app/identity/scopes.py). Pure: no Flask, no database; domain rules of the areas take it."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from app.identity.policy import Policy, Role


@dataclass(frozen=True)
class Principal:
    id: int
    roles: frozenset[str]
    #: scope key -> the values this person holds ({"college": {3, 4}}, {"employer": {7}})
    scope_values: Mapping[str, frozenset] = field(default_factory=dict, hash=False)
    policy: Policy = field(kw_only=True, compare=False, repr=False)

    @cached_property
    def grants(self) -> tuple[Role, ...]:
        """The principal's roles as the policy defines them."""
        return self.policy.granted(self.roles)

    @cached_property
    def permissions(self) -> frozenset[str]:
        return frozenset(p for r in self.grants for p in r.permissions)

    @cached_property
    def scopes(self) -> frozenset[str]:
        """The scopes of the principal's roles: a scope key (college, employer...), all or none."""
        return frozenset(r.scope for r in self.grants)

    def holds(self, key: str) -> frozenset:
        """The values this person holds for a scope key (none: an empty set)."""
        return frozenset(self.scope_values.get(key, ()))

    @property
    def college_ids(self) -> frozenset[int]:
        return self.holds("college")

    @property
    def employer_id(self) -> int | None:
        return min(self.holds("employer"), default=None)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def lanes_in_scope(self) -> dict[str, str]:
        """lane -> the widest scope in which this principal may take that lane's group tasks: "all", else the
        scope key of the first role giving the lane."""
        lanes: dict[str, str] = {}
        for role in self.grants:
            for lane in role.lanes:
                if role.scope == "none":
                    continue  # such roles only ever get tasks addressed to them personally
                if lane not in lanes or role.scope == "all":
                    lanes[lane] = role.scope
        return lanes
