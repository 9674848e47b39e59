"""Engine throughput: bare SpiffWorkflow in memory vs the platform engine with persistence.

Run from the repository root:  .venv/bin/python bench/engine_throughput.py [--simple 300 --chain 100 ...]

Measures
  (a) bare SpiffWorkflow 3.2, in memory: the spec is parsed once; per instance a BpmnWorkflow is created,
      given its start data and run to the end (for `simple`, the user task is completed in memory);
  (b) the platform engine, per instance: engine.start_instance (+ for `simple`: one indexed select of the
      open task's guid and engine.complete_task), each call its own committed transaction, on PostgreSQL
      and on SQLite in the same run;
  (c) the storage floor on PostgreSQL: the rows of one `simple` instance written with raw psycopg in the
      fewest round trips, no engine at all; it bounds the ratio any engine could reach here;
  and the cost of one step of a long-running instance (loop process) after 10, 100 and 1000 steps, on
  PostgreSQL. Prints instances/s, the ratios b/a, and as its last line one JSON object.
No timing assertions: it only measures and prints.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import argparse  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import _common as common  # noqa: E402

SIMPLE_PID = "bench_simple"
CHAIN_PID = "bench_chain"
LOOP_PID = "bench_loop"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--simple", type=int, default=300, help="instances of the reference process per round")
    p.add_argument("--chain", type=int, default=100, help="instances of the script-task chain per round")
    p.add_argument("--chain-length", type=int, default=30, help="script tasks in the chain")
    p.add_argument("--rounds", type=int, default=3, help="timed rounds per measurement; the median is reported")
    p.add_argument("--warmup", type=int, default=30, help="untimed instances before each measurement")
    p.add_argument("--step-points", default="10,100,1000", help="steps already done when a step is timed")
    p.add_argument("--step-samples", type=int, default=60,
                   help="timed completions around each point (60 = one full compaction cycle of the loop)")
    p.add_argument("--skip-steps", action="store_true", help="skip the step-cost part")
    p.add_argument("--profile", type=int, default=0, metavar="N",
                   help="also cProfile N platform `simple` instances on PostgreSQL and print the hot spots")
    return p.parse_args(argv)


# -- (a) bare SpiffWorkflow -----------------------------------------------------------------------

def bare_specs(xml: str, pid: str):
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    parser = SpiffBpmnParser()
    parser.add_bpmn_str(xml.encode())
    return parser.get_spec(pid), parser.get_subprocess_specs(pid)


def bare_instance(kind: str, spec, subprocess_specs, script_engine=None, chain_length: int = 30) -> None:
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    kwargs = {"script_engine": script_engine} if script_engine is not None else {}
    workflow = BpmnWorkflow(spec, subprocess_specs, **kwargs)
    start = workflow.get_next_task(state=TaskState.READY)
    if kind == "simple":
        start.data.update({"amount": 5})
        workflow.do_engine_steps()
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        task.data.update({"approved": True})
        task.run()
        workflow.do_engine_steps()
        assert workflow.completed and workflow.data.get("total") == 10, "simple did not complete"
    else:
        start.data.update({"x": 0})
        workflow.do_engine_steps()
        assert workflow.completed and workflow.data.get("x") == chain_length, "chain did not complete"


def time_rounds(fn, n: int, rounds: int, warmup: int) -> tuple[float, list[float]]:
    """Median instances/s over `rounds` rounds of n instances each, after `warmup` untimed instances."""
    for _ in range(warmup):
        fn()
    rates = []
    for _ in range(rounds):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        rates.append(n / (time.perf_counter() - t0))
    return common.median(rates), rates


# -- (b) the platform engine ----------------------------------------------------------------------

class Platform:
    """One migrated app (PostgreSQL schema or SQLite file) with the three benchmark processes deployed."""

    def __init__(self, name: str, url: str, tmp: Path, chain_length: int):
        from app import engine
        from app.engine import runtime
        from tests import bpmn_builder as b

        self.name = name
        self.app = common.build_app(url, tmp)
        self.ctx = self.app.app_context()
        self.ctx.push()
        sources = [engine.Source("simple.bpmn", b.simple(SIMPLE_PID).encode()),
                   engine.Source("chain.bpmn", b.chain_of(CHAIN_PID, chain_length).encode()),
                   engine.Source("loop.bpmn", b.loop(LOOP_PID).encode())]
        deployed = {d.process_key: d.id for d in engine.deploy(sources)}
        # The engine accepts a ProcessDefinition row or its cached DefinitionInfo. The info is what a caller
        # holding the definition across transactions would pass; an expired ORM row costs one extra SELECT.
        self.defs = {k: runtime.definition_info(v) for k, v in deployed.items()}

    def simple_instance(self) -> int:
        from sqlalchemy import select

        from app import engine
        from app.engine.models import OpenTask
        from app.platform.extensions import db

        instance_id = engine.start_instance(self.defs[SIMPLE_PID], {"amount": 5})
        guid = db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id)).scalar_one()
        engine.complete_task(guid, {"approved": True}, None)
        return instance_id

    def chain_instance(self) -> int:
        from app import engine

        return engine.start_instance(self.defs[CHAIN_PID], {"x": 0})

    def check_completed(self, process_key: str) -> tuple[int, int]:
        from sqlalchemy import func, select

        from app.engine.models import ProcessInstance as PI
        from app.platform.extensions import db

        rows = dict(db.session.execute(select(PI.status, func.count()).where(PI.process_key == process_key)
                                       .group_by(PI.status)).all())
        db.session.rollback()
        return rows.get("completed", 0), sum(rows.values())

    def close(self) -> None:
        from app.platform.extensions import db

        db.session.remove()
        self.ctx.pop()
        common.release_app(self.app)


class StorageFloor:
    """(c) What the simple process's rows cost PostgreSQL alone: no engine, no ORM, the fewest round trips.

    Per instance, with raw psycopg: one pipeline (BEGIN, instance row with a state of the platform's real
    size, open task, two history events, COMMIT), the same open-task select the platform run does, and one
    pipeline (version-checked instance update, open-task delete, two history events, COMMIT). Both commits
    are durable (synchronous_commit as configured), as the platform's are.
    """

    HISTORY = ("INSERT INTO history_event (instance_id, process_key, event_type, at, lane, task_spec_id, "
               "task_name, task_guid, data) VALUES ({id}, 'bench_simple', %s, %s, %s, %s, %s, %s, %s)")

    def __init__(self, url: str, state: str, definition_id: int):
        import psycopg

        self.conn = psycopg.connect(url)
        self.state = state
        self.definition_id = definition_id

    def instance(self) -> None:
        import uuid
        from datetime import datetime, timezone

        from psycopg.types.json import Jsonb

        conn, now = self.conn, datetime.now(timezone.utc).replace(tzinfo=None)
        guid = str(uuid.uuid4())
        current = "currval(pg_get_serial_sequence('process_instance', 'id'))"
        with conn.pipeline():
            cur = conn.execute(
                "INSERT INTO process_instance (definition_id, process_key, status, version, state, "
                "serializer_version, step_count, created_at, updated_at) VALUES (%s, 'bench_simple', 'running', "
                "1, %s, '1.5', 4, %s, %s) RETURNING id", (self.definition_id, self.state, now, now))
            conn.execute(
                "INSERT INTO open_task (instance_id, task_guid, spec_id, name, lane, process_key, process_name, "
                f"addressed, due_at, created_at) VALUES ({current}, %s, 'review', '审核', 'staff', 'bench_simple', "
                "'Reference process', false, %s, %s)", (guid, now, now))
            conn.cursor().executemany(self.HISTORY.format(id=current), [
                ("instance_started", now, None, None, None, None, Jsonb({"amount": 5})),
                ("task_ready", now, "staff", "review", "审核", guid, Jsonb(None))])
            conn.commit()
        instance_id = cur.fetchone()[0]
        task_guid = conn.execute("SELECT task_guid FROM open_task WHERE instance_id = %s",
                                 (instance_id,)).fetchone()[0]
        data = Jsonb({"amount": 5, "total": 10, "approved": True})
        with conn.pipeline():
            updated = conn.execute(
                "UPDATE process_instance SET state = %s, status = 'completed', version = 2, step_count = 8, "
                "updated_at = %s, ended_at = %s WHERE id = %s AND version = 1", (self.state, now, now, instance_id))
            conn.execute("DELETE FROM open_task WHERE task_guid = %s", (task_guid,))
            conn.cursor().executemany(self.HISTORY.format(id="%s"), [
                (instance_id, "task_completed", now, "staff", "review", "审核", task_guid, data),
                (instance_id, "instance_completed", now, None, None, None, None, data)])
            conn.commit()
        assert updated.rowcount == 1

    def close(self) -> None:
        self.conn.close()


def loop_ceiling(spec, subprocess_specs, wanted: int) -> int | None:
    """How many times the loop's `work` task can be completed in bare SpiffWorkflow before the next `work`
    no longer becomes READY (None if all `wanted` completions work).

    SpiffWorkflow 3.2 walks the task tree with TaskIterator(max_depth=1000); every loop round adds two levels
    (work, gw), so tasks deeper than 1000 are never visited: the instance silently stops after ~500 rounds.
    """
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.do_engine_steps()
    for k in range(1, wanted + 1):
        task = workflow.get_next_task(state=TaskState.READY, manual=True)
        if task is None:
            return k - 2  # the (k-1)-th completion already left the instance without a next READY task
        task.data.update({"again": True})
        task.run()
        workflow.do_engine_steps()
    return None if workflow.get_next_task(state=TaskState.READY, manual=True) is not None else wanted - 1


def step_costs(plat: Platform, points: list[int], samples: int, ceiling: int | None) -> list[dict]:
    """Complete the loop's `work` task again and again; time the completions around each point.

    Completion k is done by an instance that has already completed `work` k-1 times. A point beyond the
    loop ceiling is timed at the last window that still works and flagged.
    """
    from sqlalchemy import func, select

    from app import engine
    from app.engine import runtime, snapshot
    from app.engine.models import OpenTask
    from app.engine.models import ProcessInstance as PI
    from app.engine.spiff import dump_state
    from app.platform.extensions import db

    windows = {}
    for p in points:
        first = max(1, p - samples // 2 + 1)
        last_k = first + samples - 1
        capped = ceiling is not None and last_k > ceiling
        if capped:
            last_k = ceiling
            first = max(1, last_k - samples + 1)
        windows[p] = (range(first, last_k + 1), capped)
    last = max(w[-1] for w, _ in windows.values())
    timing: dict[int, float] = {}
    instance_id = engine.start_instance(plat.defs[LOOP_PID], {})
    wanted = {k for w, _ in windows.values() for k in w}
    results = []
    t_all = time.perf_counter()
    for k in range(1, last + 1):
        guid = db.session.execute(select(OpenTask.task_guid).where(OpenTask.instance_id == instance_id)).scalar()
        if guid is None:
            print(f"  WARNING: no open `work` task before completion {k}: the instance stalled "
                  f"(status running, nothing READY)")
            break
        t0 = time.perf_counter()
        engine.complete_task(guid, {"again": True}, None)
        dt = time.perf_counter() - t0
        if k in wanted:
            timing[k] = dt
        for p, (w, capped) in windows.items():
            if k == w[-1]:
                # decomposition at this point (untimed above): load, snapshot, serialize
                state_len, step_count = db.session.execute(
                    select(func.length(PI.state), PI.step_count).where(PI.id == instance_id)).one()
                loads, snaps, dumps = [], [], []
                for _ in range(5):
                    t1 = time.perf_counter()
                    inst = runtime.load(instance_id)
                    t2 = time.perf_counter()
                    snapshot.take(inst.workflow)
                    t3 = time.perf_counter()
                    dump_state(inst.workflow)
                    t4 = time.perf_counter()
                    loads.append(t2 - t1)
                    snaps.append(t3 - t2)
                    dumps.append(t4 - t3)
                db.session.rollback()
                results.append(dict(point=p, capped=capped, center=(w[0] + w[-1]) / 2, window=f"{w[0]}..{w[-1]}",
                                    median_ms=1000 * common.median([timing[i] for i in w]),
                                    p90_ms=1000 * common.percentile([timing[i] for i in w], 90),
                                    state_kb=state_len / 1024, step_count=step_count,
                                    tasks=len(inst.workflow.tasks),
                                    load_ms=1000 * common.median(loads), snapshot_ms=1000 * common.median(snaps),
                                    dump_ms=1000 * common.median(dumps)))
    results.sort(key=lambda r: r["point"])
    print(f"  ({len(timing) and k} completions in {time.perf_counter() - t_all:.1f} s)")
    return results


def measure_floor(plat: Platform, args) -> float:
    from sqlalchemy import select

    from app.engine.models import ProcessInstance as PI
    from app.platform.extensions import db

    row = db.session.execute(select(PI.state, PI.definition_id).where(PI.process_key == SIMPLE_PID)
                             .order_by(PI.id.desc()).limit(1)).one()
    db.session.rollback()
    floor = StorageFloor(plat.app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg", "postgresql"),
                         row.state, row.definition_id)
    try:
        rate, _ = time_rounds(floor.instance, args.simple, args.rounds, args.warmup)
    finally:
        floor.close()
    return rate


def profile_platform(plat: Platform, n: int) -> None:
    import cProfile
    import io
    import pstats

    for _ in range(20):
        plat.simple_instance()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        plat.simple_instance()
    prof.disable()
    for key, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key)
        stats.print_stats(22)
        print(f"\n--- cProfile, {n} platform `simple` instances on {plat.name}, top by {title} ---")
        text = out.getvalue()
        print(text[text.find("   ncalls"):].rstrip())


def main(argv=None) -> int:
    args = parse_args(argv)
    common.sigterm_as_exit()
    points = sorted({int(x) for x in args.step_points.split(",") if x.strip()})
    from tests import bpmn_builder as b

    print(__doc__.strip().split("\n\n", 1)[1].split("No timing")[0].rstrip())
    print(f"\nSizes: simple={args.simple} chain={args.chain} x {args.chain_length} script tasks, "
          f"{args.rounds} rounds (median), warm-up {args.warmup}; machine: {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")

    # (a) bare SpiffWorkflow
    from app.engine.evaluator import Limits
    from app.engine.spiff import script_engine

    sandbox = script_engine(Limits())
    simple_spec = bare_specs(b.simple(SIMPLE_PID), SIMPLE_PID)
    chain_spec = bare_specs(b.chain_of(CHAIN_PID, args.chain_length), CHAIN_PID)
    bare = {}
    bare["simple"], _ = time_rounds(lambda: bare_instance("simple", *simple_spec), args.simple, args.rounds,
                                    args.warmup)
    bare["chain"], _ = time_rounds(lambda: bare_instance("chain", *chain_spec, chain_length=args.chain_length),
                                   args.chain, args.rounds, args.warmup)
    # (a') the same with the platform's sandboxed script engine, to separate sandbox cost from persistence
    bare["simple_sandbox"], _ = time_rounds(lambda: bare_instance("simple", *simple_spec, sandbox), args.simple,
                                            args.rounds, args.warmup)
    bare["chain_sandbox"], _ = time_rounds(
        lambda: bare_instance("chain", *chain_spec, sandbox, chain_length=args.chain_length),
        args.chain, args.rounds, args.warmup)

    ceiling = None
    if not args.skip_steps:
        needed = max(points) + args.step_samples
        ceiling = loop_ceiling(*bare_specs(b.loop(LOOP_PID), LOOP_PID), needed)
        if ceiling is not None:
            print(f"\nNOTE: in bare SpiffWorkflow the loop stops after {ceiling + 1} completions of `work` (task-tree "
                  f"depth > 1000 is never visited: TaskIterator max_depth=1000). The platform compacts finished "
                  f"history out of the tree (app/engine/compaction.py), so it is measured at every point.")

    plat_rates: dict[str, dict[str, float]] = {}
    floor_rate = None
    steps: list[dict] = []
    schema = common.create_schema()
    try:
        with tempfile.TemporaryDirectory(prefix="bench_engine_") as tmp:
            tmp = Path(tmp)
            backends = [("postgresql", common.pg_url_for(schema)), ("sqlite", f"sqlite:///{tmp / 'bench.sqlite'}")]
            for name, url in backends:
                plat = Platform(name, url, tmp, args.chain_length)
                try:
                    rates = plat_rates[name] = {}
                    rates["simple"], _ = time_rounds(plat.simple_instance, args.simple, args.rounds, args.warmup)
                    rates["chain"], _ = time_rounds(plat.chain_instance, args.chain, args.rounds, args.warmup)
                    for key in (SIMPLE_PID, CHAIN_PID):
                        done, total = plat.check_completed(key)
                        if done != total:
                            print(f"WARNING: {name}: only {done} of {total} {key} instances completed")
                    if name == "postgresql":
                        floor_rate = measure_floor(plat, args)
                        if not args.skip_steps:
                            print(f"\nStep cost on PostgreSQL (loop process, {args.step_samples} timed "
                                  f"completions around each point) ...")
                            steps = step_costs(plat, points, args.step_samples, None)
                        if args.profile:
                            profile_platform(plat, args.profile)
                finally:
                    plat.close()
    finally:
        common.drop_schema(schema)

    def ratio(backend: str, kind: str) -> float:
        return plat_rates[backend][kind] / bare[kind]

    print("\nInstances per second (median of rounds; higher is better)")
    print(f"  {'':34}{'simple':>10}{'chain' + str(args.chain_length):>10}")
    print(f"  {'(a) bare SpiffWorkflow, in memory':34}{bare['simple']:10.1f}{bare['chain']:10.1f}")
    label = "(a') bare + platform sandbox"
    print(f"  {label:34}{bare['simple_sandbox']:10.1f}{bare['chain_sandbox']:10.1f}")
    for name in plat_rates:
        label = f"(b) platform, {name}"
        print(f"  {label:34}{plat_rates[name]['simple']:10.1f}{plat_rates[name]['chain']:10.1f}")
    print("\nRatio b/a (platform throughput as a fraction of bare SpiffWorkflow)")
    for name in plat_rates:
        print(f"  {name:12} simple {ratio(name, 'simple'):.3f}   chain{args.chain_length} {ratio(name, 'chain'):.3f}")
    print("  (simple = 2 committed transactions per instance on the platform; chain = 1)")
    ratio_ceiling = floor_rate / (floor_rate + bare["simple"])  # 1/(t_bare + t_floor) divided by 1/t_bare
    print(f"\n(c) storage floor, PostgreSQL: the simple process's rows alone (raw psycopg, one pipelined round trip "
          f"per transaction,\n    durable commits, no engine): {floor_rate:.1f} instances/s = "
          f"{1000 / floor_rate:.2f} ms per instance vs {1000 / bare['simple']:.2f} ms for a bare engine run.")
    print(f"    Even an engine costing nothing on top of bare SpiffWorkflow and this floor would reach a simple "
          f"ratio of at most\n    t_bare / (t_bare + t_floor) = {ratio_ceiling:.3f} on this machine; the platform "
          f"reaches {ratio('postgresql', 'simple') / ratio_ceiling:.0%} of that ceiling.")

    step_ratio = last_ratio = last_point = None
    if steps:
        print("\nCost of one step (complete `work` again) after N completed steps, PostgreSQL")
        print(f"  {'steps':>6} {'completions':>12} {'median ms':>10} {'p90 ms':>8} {'state KiB':>10} {'tasks':>6} "
              f"{'step_count':>10} {'load ms':>8} {'snap ms':>8} {'dump ms':>8}")
        for r in steps:
            label = f"{r['point']}*" if r["capped"] else str(r["point"])
            print(f"  {label:>6} {r['window']:>12} {r['median_ms']:10.2f} {r['p90_ms']:8.2f} "
                  f"{r['state_kb']:10.1f} {r['tasks']:6d} {r['step_count']:10d} {r['load_ms']:8.2f} "
                  f"{r['snapshot_ms']:8.2f} {r['dump_ms']:8.2f}")
        print("  (completions: which completions of `work` were timed; step_count: the engine's own counter, "
              "2 per round (work + gw);\n   load/snap/dump: untimed extra measurements of runtime.load, snapshot.take "
              "and dump_state at that point;\n   each step does one load, two snapshots and one dump)")
        if any(r["capped"] for r in steps):
            print(f"  * NOT REACHABLE: SpiffWorkflow stops the loop after {ceiling + 1} rounds (tree depth 1000); "
                  f"this row is the last working window, not the requested point.")
        by_point = {r["point"]: r for r in steps}
        lo, hi = points[0], points[-1]
        last_row = by_point[hi]
        last_point = last_row["center"]
        last_ratio = last_row["median_ms"] / by_point[lo]["median_ms"]
        if not last_row["capped"]:
            step_ratio = last_ratio
            print(f"  step cost after {hi} / after {lo} steps: {step_ratio:.1f}x")
        else:
            print(f"  step cost after {hi} steps: not measurable; after ~{last_point:g} / after {lo} steps: "
                  f"{last_ratio:.1f}x")

    result = {
        "pg_simple_ratio": round(ratio("postgresql", "simple"), 4),
        "sqlite_simple_ratio": round(ratio("sqlite", "simple"), 4),
        "pg_chain30_ratio": round(ratio("postgresql", "chain"), 4),
        "step_cost_1000_over_10": round(step_ratio, 2) if step_ratio is not None else None,
        "pg_simple_ratio_ceiling": round(ratio_ceiling, 4),
        "pg_floor_per_s": round(floor_rate, 1),
        "sqlite_chain30_ratio": round(ratio("sqlite", "chain"), 4),
        "bare_simple_per_s": round(bare["simple"], 1),
        "bare_chain30_per_s": round(bare["chain"], 1),
        "bare_sandbox_simple_per_s": round(bare["simple_sandbox"], 1),
        "bare_sandbox_chain30_per_s": round(bare["chain_sandbox"], 1),
        "pg_simple_per_s": round(plat_rates["postgresql"]["simple"], 1),
        "pg_chain30_per_s": round(plat_rates["postgresql"]["chain"], 1),
        "sqlite_simple_per_s": round(plat_rates["sqlite"]["simple"], 1),
        "sqlite_chain30_per_s": round(plat_rates["sqlite"]["chain"], 1),
        "step_ms": {(f"{r['center']:g}" if r["capped"] else str(r["point"])): round(r["median_ms"], 2)
                    for r in steps},
        "step_cost_last_over_first": round(last_ratio, 2) if last_ratio is not None else None,
        "step_last_point": last_point,
        "loop_rounds_ceiling": (ceiling + 1) if ceiling is not None else None,
        "chain_length": args.chain_length,
    }
    common.emit_json(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
