"""Sweep scaling: nov21-2025 x {none, luld} x N seeds with 1 and 2 local workers and a
2-worker Dask LocalCluster; prints wall times and scaling efficiency (DESIGN section 8).

    python bench/bench_sweep.py --seeds 100        # the issue's sweep (~12 min on 2 cores)
    python bench/bench_sweep.py --seeds 10         # a quick look
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from liqsim.harness import compare


def timed(label: str, **kw: object) -> tuple[float, pd.DataFrame]:
    t0 = time.perf_counter()
    cmp = compare(progress=False, **kw)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    print(f"{label:28s} {wall:8.1f} s", flush=True)
    return wall, cmp.results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=100)
    ap.add_argument("--scenario", default="nov21-2025")
    ap.add_argument("--policies", default="none,luld")
    ap.add_argument("--skip-dask", action="store_true")
    a = ap.parse_args()
    common = dict(scenario=a.scenario, policies=a.policies.split(","), seeds=a.seeds)
    print(f"{a.scenario} x {{{a.policies}}} x {a.seeds} seeds = {a.seeds * len(common['policies'])} runs")  # type: ignore[arg-type]
    w1, r1 = timed("local, 1 worker (in-process)", jobs=1, **common)
    w2, r2 = timed("local, 2 workers", jobs=2, **common)
    print(f"  speed-up {w1 / w2:.2f}x, efficiency {w1 / w2 / 2:.0%}; tables identical: {r1.equals(r2)}")
    if not a.skip_dask:
        wd, rd = timed("dask LocalCluster, 2 workers", backend="dask", jobs=2, **common)
        print(f"  speed-up {w1 / wd:.2f}x, efficiency {w1 / wd / 2:.0%}; tables identical: {r1.equals(rd)}")


if __name__ == "__main__":
    main()
