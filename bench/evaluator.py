"""What the evaluator processes cost: one script or expression, in-process versus a round trip to an evaluator.

Run from the repository root:  .venv/bin/python bench/evaluator.py [--n 20000]

Measures, per evaluation (median of rounds):
  trivial       a provably harmless expression (`approved == True`), evaluated in this process
  eval_small    `amount * 2` in an evaluator, with the reference process's task data (3 keys)
  exec_small    `total = amount * 2` in an evaluator (the reference process's script task)
  exec_large    the same script over task data of an agreement's size (~60 keys, ~6 KB pickled)
  in_process    `total = amount * 2` run by the sandbox policy in this process, no limits: the floor
and, once each, the start of an evaluator process (until it answers) and the stop and replacement after a script
hits its time limit (beyond the limit itself). No database, no Flask app. Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common  # noqa: E402

SMALL = {"amount": 5, "approved": True, "lane_owners": {"staff": [3]}}
LARGE = {**SMALL, **{f"field_{i}": ("值" * 40 if i % 3 else {"id": i, "items": list(range(10))}) for i in range(60)}}


def per_call_us(fn, n: int, rounds: int) -> float:
    for _ in range(min(n, 1000)):
        fn()
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        rates.append((time.perf_counter() - started) / n * 1e6)
    return common.median(rates)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=20000, help="evaluations per round")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    common.sigterm_as_exit()
    from app.engine import evaluator, sandbox

    limits = evaluator.Limits(time_s=1.0)
    print(__doc__.strip().split("\n\n", 1)[1].split("No database")[0].rstrip())
    print(f"\nn={args.n}, {args.rounds} rounds (median); machine: {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.2f}")

    started = time.perf_counter()
    evaluator.execute("x = 1", {}, None, None, limits)
    startup_ms = (time.perf_counter() - started) * 1000
    data = dict(SMALL)
    large = dict(LARGE)
    results = {
        "trivial_us": per_call_us(lambda: evaluator.evaluate("approved == True", data, None, None, limits),
                                  args.n, args.rounds),
        "eval_small_us": per_call_us(lambda: evaluator.evaluate("amount * 2", data, None, None, limits),
                                     args.n, args.rounds),
        "exec_small_us": per_call_us(lambda: evaluator.execute("total = amount * 2", data, None, None, limits),
                                     args.n, args.rounds),
        "exec_large_us": per_call_us(lambda: evaluator.execute("total = amount * 2", large, None, None, limits),
                                     args.n // 4, args.rounds),
        "in_process_us": per_call_us(lambda: sandbox.execute("total = amount * 2", data), args.n, args.rounds),
    }
    short = evaluator.Limits(time_s=0.2)
    evaluator.execute("x = 1", {}, None, None, short)
    started = time.perf_counter()
    try:
        evaluator.execute("x = 1 in iter(int, 1)", {}, None, None, short)
    except sandbox.ScriptTimeout:
        pass
    evaluator.execute("x = 1", {}, None, None, short)  # served by the replacement
    replace_ms = (time.perf_counter() - started) * 1000 - short.time_s * 1000
    evaluator.shutdown()

    print("\nmicroseconds per evaluation (lower is better)")
    for key, value in results.items():
        print(f"  {key[:-3]:14}{value:10.1f}")
    print(f"\nevaluator start (first use in a process): {startup_ms:.0f} ms")
    print(f"stop at the time limit and replacement, beyond the limit itself: {replace_ms:.0f} ms")
    common.emit_json({**{k: round(v, 1) for k, v in results.items()}, "startup_ms": round(startup_ms),
                      "replace_after_limit_ms": round(replace_ms)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
