"""The unit of work rolls back unless committed; one explicit commit; nested blocks join the outer one."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.platform.sequences import Counter
from app.platform.uow import UnitOfWorkError, after_commit, read_only, unit_of_work


def _value(name: str):
    with read_only() as session:
        return session.execute(select(Counter.value).where(Counter.name == name)).scalar()


def test_nothing_is_written_without_a_commit(ctx, unique):
    with unit_of_work() as uow:
        uow.add(Counter(name=f"a-{unique}", value=1))
    assert _value(f"a-{unique}") is None
    with unit_of_work() as uow:
        uow.add(Counter(name=f"a-{unique}", value=2))
        uow.commit()
    assert _value(f"a-{unique}") == 2


def test_an_error_rolls_everything_back_and_drops_the_callbacks(ctx, unique):
    called = []
    with pytest.raises(RuntimeError):
        with unit_of_work() as uow:
            uow.add(Counter(name=f"b-{unique}", value=1))
            after_commit(lambda: called.append(1))
            raise RuntimeError("boom")
    assert _value(f"b-{unique}") is None and called == []


def test_nested_blocks_commit_with_the_outer_one(ctx, unique):
    called = []
    with unit_of_work() as outer:
        with unit_of_work() as inner:
            inner.add(Counter(name=f"c-{unique}", value=3))
            after_commit(lambda: called.append("inner"))
            inner.commit()  # the inner part is done; nothing is written yet
        assert called == []
        outer.commit()
    assert _value(f"c-{unique}") == 3 and called == ["inner"]


def test_only_the_outermost_commit_writes(ctx, unique):
    with unit_of_work():
        with unit_of_work() as inner:
            inner.add(Counter(name=f"d-{unique}", value=4))
            inner.commit()
    assert _value(f"d-{unique}") is None  # the outer block ended without its commit: all rolled back


def test_read_only_is_refused_inside_a_unit_of_work(ctx):
    with unit_of_work():
        with pytest.raises(UnitOfWorkError):
            with read_only():
                pass
