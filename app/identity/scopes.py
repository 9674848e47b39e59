"""Scope keys as identity sees them: what values a user holds per key, asked of the registered providers
(app.platform.areas.ScopeProvider; an area adds a key with its own provider, nothing here changes), and
identity's own two keys: `college` (a counselor's colleges) and `employer` (the account's organisation)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import ColumnElement, false, select

from app.identity.models import CounselorScope, User
from app.platform.areas import ScopeProvider, registry


def _as_id(value: str) -> int:
    """A scope value that names a row by id; -1 (no row) for anything else."""
    return int(value) if str(value).isdigit() else -1


def _employer_of(user: User) -> Iterable[int]:
    return () if user.employer_id is None else (user.employer_id,)


COLLEGE = ScopeProvider("college", values_of=lambda user: user.college_ids,
                        holders=lambda value: select(CounselorScope.user_id)
                        .where(CounselorScope.college_id == _as_id(value)))
EMPLOYER = ScopeProvider("employer", values_of=_employer_of,
                         holders=lambda value: select(User.id).where(User.employer_id == _as_id(value)))
PROVIDERS = (COLLEGE, EMPLOYER)


def scope_values_of(user: User) -> dict[str, frozenset]:
    """key -> the values this account holds, for every registered scope key that gives it any."""
    found = {key: frozenset(provider.values_of(user)) for key, provider in registry().scope_providers.items()}
    return {key: values for key, values in found.items() if values}


def holders_clause(key: str, scope: Mapping[str, str]) -> ColumnElement:
    """A filter on User.id: the accounts holding the value an instance's scope has for `key` (none if the
    instance has no such key, or no area provides it)."""
    provider = registry().scope_providers.get(key)
    if provider is None or key not in scope:
        return false()
    return User.id.in_(provider.holders(scope[key]))
