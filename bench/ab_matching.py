"""A/B of two liqsim builds on the standard matching workload, alternating in one run.

The dev machines are shared and noisy, so a speed change is measured side by side: each build
runs in its own process, the processes alternate, and the best of each is printed.

    # build the other revision somewhere (its python/liqsim must hold a built _core module):
    git clone -q . /tmp/old && git -C /tmp/old checkout -q <rev>
    cmake -S /tmp/old -B /tmp/old/b -G Ninja -DCMAKE_BUILD_TYPE=Release -DSKBUILD=ON \\
        -Dpybind11_DIR=$(python -c "import pybind11; print(pybind11.get_cmake_dir())")
    cmake --build /tmp/old/b && cp /tmp/old/b/_core*.so /tmp/old/python/liqsim/
    python bench/ab_matching.py --other /tmp/old/python --rounds 3

With `--settlement` instead of `--other`, it compares this build with itself: fills settled
on a second thread (the default for large batches, `Exchange.parallel_settlement`) against
settled inline, alternating the same way.

    python bench/ab_matching.py --settlement --rounds 8

Timed per repeat: `submit_batch` of the 1M-row workload plus `drain_events` (as the
"whole arrays" row of bench_matching.py); the first repeat of each process is a warm-up.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def one(path: str | None, n: int, repeats: int, inline: bool = False) -> float:
    """Best seconds over `repeats` (after one warm-up) with liqsim imported from `path`;
    `inline`: fills settle on the matching thread."""
    if path:
        # An editable install puts a finder ahead of sys.path: drop it so `path` wins.
        sys.meta_path = [f for f in sys.meta_path
                         if "Scikit" not in type(f).__name__ and "Redirect" not in type(f).__name__]
        sys.path.insert(0, path)
    sys.path.insert(0, str(HERE))
    import liqsim
    from workload import make_workload

    w = make_workload(n, 0)
    best = float("inf")
    for r in range(repeats + 1):
        ex = liqsim.Exchange()
        ex.add_instrument("X", tick_size=1.0, lot_size=1.0, cash_unit=1.0, stp="none")
        ex.add_accounts(1000)
        if inline:
            ex.parallel_settlement = None
        gc.collect()
        gc.disable()
        t0 = time.perf_counter()
        ex.submit_batch(**w)
        ev = ex.drain_events()
        dt = time.perf_counter() - t0
        gc.enable()
        del ev
        if r:
            best = min(best, dt)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--other", help="python/ directory of the other build")
    ap.add_argument("--settlement", action="store_true",
                    help="compare parallel with inline settlement in this build (no --other)")
    ap.add_argument("--inline", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--rounds", type=int, default=3, help="alternations (one process per build each)")
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per process")
    ap.add_argument("--n", type=int, default=1_000_000, help="workload rows")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child is not None:
        print(one(a.child or None, a.n, a.repeats, a.inline))
        return 0
    if a.settlement == (a.other is not None):
        ap.error("give either --other DIR or --settlement")
    # (name, python path, extra child flags); "other" is the baseline of the ratio
    runs = ((("other", "", ["--inline"]), ("this", "", [])) if a.settlement
            else (("other", a.other, []), ("this", "", [])))
    names = {"other": "inline" if a.settlement else "other", "this": "parallel" if a.settlement else "this"}
    secs: dict[str, list[float]] = {"this": [], "other": []}
    for r in range(a.rounds):
        # Which build goes first switches every round, so a drift in machine load favours neither.
        for key, path, extra in (runs if r % 2 == 0 else runs[::-1]):
            out = subprocess.run([sys.executable, __file__, "--child", path, "--n", str(a.n),
                                  "--repeats", str(a.repeats), *extra],
                                 capture_output=True, text=True, check=True)
            sec = float(out.stdout.strip().splitlines()[-1])
            secs[key].append(sec)
            print(f"  {names[key]:8s} {sec / a.n * 1e9:7.1f} ns/order")
    ns = {k: [x / a.n * 1e9 for x in v] for k, v in secs.items()}
    this, other = names["this"], names["other"]
    print(f"best: {this} {min(ns['this']):.1f} ns/order, {other} {min(ns['other']):.1f} ns/order, "
          f"ratio {other}/{this} {min(ns['other']) / min(ns['this']):.2f}")
    diffs = [t - o for t, o in zip(ns["this"], ns["other"])]
    print(f"median: {this} {statistics.median(ns['this']):.1f}, {other} {statistics.median(ns['other']):.1f}; "
          f"{this} - {other} median of per-round differences {statistics.median(diffs):+.1f} ns/order; "
          f"{this} faster in {sum(d < 0 for d in diffs)} of {a.rounds} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
