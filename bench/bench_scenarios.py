"""Scenario speed: wall time and engine events per second of whole cascade days.

    python bench/bench_scenarios.py                 # nov21-2025 (100,000 traders)
    python bench/bench_scenarios.py --stretch       # + oct10-2025 at full scale (2,000,000 traders)

Events per second counts every engine event (order accepts, cancels, fills, marks, ...),
stored or filtered out by the run's event mask. ABIDES, the best-known Python agent-based
exchange simulator, was measured at ~33k messages per second on this machine class (DESIGN 8).
"""

from __future__ import annotations

import argparse
import resource
import time

from liqsim import scenarios
from liqsim.simulation import Simulation

ABIDES_MSG_PER_S = 33_000


def bench(name: str, factor: float = 1.0, seed: int = 0) -> dict[str, float]:
    sc = scenarios.get(name)
    if factor != 1.0:
        sc = sc.scaled(factor)
    t0 = time.perf_counter()
    sim = Simulation(sc, seed=seed)
    t1 = time.perf_counter()
    sim.run()
    t2 = time.perf_counter()
    ev = sim.events_emitted
    ts = sim.timeseries()
    liq = ts.liq_long_cum.iloc[-1] + ts.liq_short_cum.iloc[-1]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # GiB (Linux: KiB)
    print(f"{name:12s} x{factor:<4g} traders {sc.traders.count:>9,d}  set-up {t1 - t0:6.2f} s  "
          f"run {t2 - t1:6.2f} s  events {ev:>11,d}  {ev / (t2 - t1) / 1e6:5.2f} M events/s "
          f"({ev / (t2 - t1) / ABIDES_MSG_PER_S:,.0f}x ABIDES)  liquidated ${liq / 1e6:,.0f}M  "
          f"peak RSS {rss:.2f} GiB", flush=True)
    return {"setup_s": t1 - t0, "run_s": t2 - t1, "events": ev, "rss_gib": rss}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stretch", action="store_true", help="also oct10-2025 at full scale")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    bench("nov21-2025", seed=a.seed)
    if a.stretch:
        full = 1.0 / scenarios.get("oct10-2025").scale
        bench("oct10-2025", full, seed=a.seed)


if __name__ == "__main__":
    main()
