"""Fingerprints of whole runs, to show that a change to the engine changes no result.

Prints, per (scenario, policy, seed), the sha256 of the run's event log and of its time series,
the number of events and the wall time. Run it before and after a change and diff the outputs
(the times will differ, nothing else may):

    python bench/run_hashes.py > before.txt      # on the old build
    python bench/run_hashes.py > after.txt       # on the new one
    diff <(cut -d' ' -f1-6 before.txt) <(cut -d' ' -f1-6 after.txt)

`--slow` adds oct10 under liq_throttle (the longest-waiting throttled cascade; ~8 s, was ~8
minutes before parking).
"""

from __future__ import annotations

import argparse
import hashlib
import time

from liqsim.harness import run

RUNS = [("smoke", "liq_throttle", 0), ("nov21-2025", "liq_throttle", 0), ("nov3-2025", "liq_throttle", 3),
        ("nov21-2025", "dcb+liq_throttle", 1), ("jan2026-etf", "liq_throttle", 2),
        ("nov21-2025", "liq_pause", 1), ("nov21-2025", "liq_throttle+partial_liquidation", 4),
        ("nov21-2025", "none", 0), ("oct10-2025", "none", 0), ("oct10-2025", "luld+liq_pause", 0)]
SLOW = [("oct10-2025", "liq_throttle", 0)]


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slow", action="store_true", help="also oct10 under liq_throttle")
    args = ap.parse_args(argv)
    for scenario, policy, seed in RUNS + (SLOW if args.slow else []):
        t = time.perf_counter()
        r = run(scenario, policy, seed)
        print(scenario, policy, seed, sha(r.events.tobytes()), sha(r.timeseries.to_numpy().tobytes()),
              len(r.events), f"{time.perf_counter() - t:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
