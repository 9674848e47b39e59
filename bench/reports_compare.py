"""Before/after of the four reports of bench/reports.py in ONE run: the reporting code as it was at an
earlier commit (app/reporting/analytics.py, operations.py and office.py read from git) and as it is now,
timed interleaved (old, new, old, new ...) on the same generated data in one process, so that the machine's
load weighs on both alike. Both must give the same figures (checked first). The read models (facts and
summaries) are rebuilt with today's projection; the earlier code reads the facts it knew.

    .venv/bin/python bench/reports_compare.py [--before 0cb8c56 --instances 10060 --graduates 12000 --repeat 60]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import types
from datetime import date
from pathlib import Path

import _common as common  # noqa: E402 - sets sys.path
import reports as bench  # noqa: E402 - bench/reports.py: the data and the process key

MODULES = ("analytics", "operations", "office")


def earlier(commit: str, name: str) -> types.ModuleType:
    """app/reporting/<name>.py as it was at `commit`, as a module of its own."""
    path = f"app/reporting/{name}.py"
    source = subprocess.run(["git", "-C", str(common.ROOT), "show", f"{commit}:{path}"], capture_output=True,
                            text=True, check=True).stdout
    module = types.ModuleType(f"before_{name}")
    module.__file__ = path
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, path, "exec"), module.__dict__)  # noqa: S102 - the repository's own code
    return module


def same_figures(old: dict, new: dict, at: date) -> None:
    flat = lambda r: ([x.__dict__ for x in r.rows], r.total.__dict__, r.last_year.__dict__, r.categories)  # noqa: E731
    o, n = old["analytics"].cycle_time(bench.PROCESS), new["analytics"].cycle_time(bench.PROCESS)
    assert (o.count, o.p50_s, o.p90_s, o.average_s, o.buckets) == (n.count, n.p50_s, n.p90_s, n.average_s, n.buckets)
    times = lambda m: sorted((t.spec_id, t.count, t.waiting_s, t.working_s) for t in m.task_times(bench.PROCESS))  # noqa: E731
    assert times(old["analytics"]) == times(new["analytics"])
    assert old["operations"].overview().totals == new["operations"].overview().totals
    assert flat(old["office"].destination_report(at, 2026, "college", None)) == flat(
        new["office"].destination_report(at, 2026, "college", None))


def main() -> int:
    common.sigterm_as_exit()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="0cb8c56", help="the commit whose reporting code is 'before'")
    parser.add_argument("--instances", type=int, default=10_060)
    parser.add_argument("--graduates", type=int, default=12_000)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    at = date(2026, 9, 1)
    with common.pg_schema() as (_schema, url), tempfile.TemporaryDirectory() as tmp:
        app = common.build_app(url, Path(tmp), redis_url=args.redis_url)
        try:
            with app.app_context():
                from app.platform.extensions import db
                from app.reporting import analytics, office, operations, projection

                old = {name: earlier(args.before, name) for name in MODULES}
                new = {"analytics": analytics, "operations": operations, "office": office}
                with db.engine.begin() as conn:
                    bench.generate(conn, args.instances, args.graduates, 20, 100)
                t0 = time.perf_counter()
                projection.rebuild(settle_s=0)
                rebuild_s = round(time.perf_counter() - t0, 1)
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
                same_figures(old, new, at)
                db.session.rollback()
                pairs = {
                    "ops_overview": [m["operations"].overview for m in (old, new)],
                    "cycle_time": [lambda m=m: m["analytics"].cycle_time(bench.PROCESS) for m in (old, new)],
                    "heatmap": [lambda m=m: m["analytics"].heatmap(m["analytics"].task_times(bench.PROCESS))
                                for m in (old, new)],
                    "destination_rate": [lambda m=m: m["office"].destination_report(at, 2026, "college", None)
                                         for m in (old, new)],
                }
                with open("/proc/loadavg") as fh:
                    load_before = fh.read().split()[:3]
                times: dict[str, tuple[list, list]] = {k: ([], []) for k in pairs}
                for round_ in range(3 + args.repeat):
                    for name, fns in pairs.items():
                        for side, fn in enumerate(fns):
                            t0 = time.perf_counter()
                            fn()
                            if round_ >= 3:  # three warm-ups
                                times[name][side].append((time.perf_counter() - t0) * 1000)
                            db.session.rollback()
                with open("/proc/loadavg") as fh:
                    load_after = fh.read().split()[:3]
        finally:
            common.release_app(app)
    print(f"{args.instances:,} instances, {args.graduates:,} graduates, {args.repeat} rounds; before = "
          f"{args.before}; read models rebuilt in {rebuild_s} s; same figures both ways")
    print(f"load average before the timing {' '.join(load_before)}, after {' '.join(load_after)}")
    out = {"before": args.before, "rebuild_s": rebuild_s, "load": load_after}
    for name, (before, after) in times.items():
        pb, pa = common.percentile(before, 95), common.percentile(after, 95)
        mb, ma = common.median(before), common.median(after)
        print(f"{name}: p95 {pb:.1f} -> {pa:.1f} ms (x{pb / pa:.1f}); median {mb:.1f} -> {ma:.1f} ms "
              f"(x{mb / ma:.1f})")
        out[f"{name}_p95_ms"] = [round(pb, 1), round(pa, 1)]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
