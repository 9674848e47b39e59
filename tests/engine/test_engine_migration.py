"""Moving running instances between definition versions."""
from __future__ import annotations

import pytest

from app import engine
from tests import bpmn_builder as b
from tests.engine.test_engine_core import deploy_one, events, open_tasks


def test_migrate_one_and_bulk_when_tasks_match(ctx, unique):
    pid = f"p_{unique}"
    v1 = deploy_one(b.simple(pid))
    ids = [engine.start_instance(v1, {"amount": n}) for n in range(3)]
    v2 = deploy_one(b.simple(pid).replace("total = amount * 2", "total = amount * 2\nmigrated = True")
                    .replace('name="审核"', 'name="复核"'))
    engine.migrate_instance(ids[0], v2.id)
    assert engine.get_state(ids[0]).definition_version == 2
    result = engine.migrate_all(v1.id, v2.id)
    assert result.migrated == ids[1:] and result.refused == {}
    guid = open_tasks(ids[0])[0].task_guid
    engine.complete_task(guid, {"approved": True}, None)
    assert engine.get_state(ids[0]).status == "completed"
    assert "instance_migrated" in events(ids[0])


def test_migration_refused_with_unmatched_ready_tasks(ctx, unique):
    pid = f"p_{unique}"
    v1 = deploy_one(b.simple(pid))
    instance_id = engine.start_instance(v1, {"amount": 1})
    renamed = b.simple(pid).replace('"review"', '"review2"').replace(">review<", ">review2<")
    v2 = deploy_one(renamed)
    with pytest.raises(engine.MigrationError) as err:
        engine.migrate_instance(instance_id, v2.id)
    assert "review" in err.value.unmatched
    result = engine.migrate_all(v1.id, v2.id)
    assert result.migrated == [] and "review" in result.refused[instance_id]
    state = engine.get_state(instance_id)
    assert state.definition_version == 1 and state.status == "running"
