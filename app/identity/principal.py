"""The signed-in person as the access rules see them: id, roles (resolved through the policy), the colleges
they look after, the employer they belong to. Pure: no Flask, no database; domain rules of the areas take it."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from app.identity.policy import Policy, Role


@dataclass(frozen=True)
class Principal:
    id: int
    roles: frozenset[str]
    college_ids: frozenset[int] = frozenset()
    employer_id: int | None = None
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
        """The scopes of the principal's roles (college, employer, all, none)."""
        return frozenset(r.scope for r in self.grants)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def lanes_in_scope(self) -> dict[str, str]:
        """lane -> the widest scope in which this principal may take that lane's group tasks."""
        order = {"none": 0, "employer": 1, "college": 1, "all": 2}
        lanes: dict[str, str] = {}
        for role in self.grants:
            for lane in role.lanes:
                if role.scope == "none":
                    continue  # such roles only ever get tasks addressed to them personally
                if order[role.scope] > order.get(lanes.get(lane, "none"), -1) or lane not in lanes:
                    lanes[lane] = role.scope
        return lanes
