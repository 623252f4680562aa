"""Calibration check: run each preset over seeds with breakers off and compare the metrics
with the preset's targets (DESIGN section 6). Writes docs/calibration.md.

    python bench/calibrate.py --seeds 20 --jobs 2 [--presets nov21-2025,nov3-2025]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from liqsim import scenarios
from liqsim.simulation import Simulation


def run_one(args: tuple[str, int]) -> dict:
    name, seed = args
    sc = scenarios.get(name)
    t0 = time.perf_counter()
    sim = Simulation(sc, seed=seed).run()
    wall = time.perf_counter() - t0
    m = sim.metrics()
    return {"scenario": name, "seed": seed, "wall_s": wall, "events_per_s": sim.events_emitted / wall,
            "exogenous_notional": sim.exogenous_notional, **m}


def table(df: pd.DataFrame, name: str) -> str:
    sc = scenarios.get(name)
    d = df[df.scenario == name]
    rows = ["| metric | target | median | p10 - p90 | seeds in range |", "|---|---|---|---|---|"]
    for t in sc.targets:
        v = d[t.metric].astype(float)
        inside = ((v >= t.lo) & (v <= t.hi)).mean()
        rows.append(f"| `{t.metric}` | {t.lo:g} .. {t.hi:g} | {v.median():.3g} | "
                    f"{v.quantile(0.1):.3g} - {v.quantile(0.9):.3g} | {inside:.0%} |")
    extra = ["liquidation_notional", "adl_notional", "exogenous_notional", "wall_s"]
    rows.append("")
    rows.append("Also (median): " + ", ".join(f"{k} {d[k].median():,.3g}" for k in extra))
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--presets", default=",".join(n for n in scenarios.names() if n != "smoke"))
    ap.add_argument("--out", default="docs/calibration_results.csv")
    a = ap.parse_args()
    names = a.presets.split(",")
    tasks = [(n, s) for n in names for s in range(a.seeds)]
    with ProcessPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(run_one, tasks))
    df = pd.DataFrame(rows)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    for n in names:
        print(f"\n## {n} ({a.seeds} seeds)\n")
        print(table(df, n))


if __name__ == "__main__":
    main()
