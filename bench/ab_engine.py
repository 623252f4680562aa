"""A/B of the C++ engine of two source trees on the standard matching workload, no Python.

Builds bench/engine_driver.cpp against this tree's `cpp/` and against another checkout's
(`--other DIR`), then alternates the two binaries (which goes first switches every round): per
round each runs the workload `--repeats` times after a warm-up repeat in a fresh process and
keeps its best, timed as the matching thread's CPU time and as wall time (which also covers
waiting for the settlement thread at the end of the batch). The machines here are shared and
noisy, so the figures to quote are the medians of the per-round differences and how many
rounds were faster, not one run.

    git clone -q . /tmp/old && git -C /tmp/old checkout -q <rev>
    python bench/ab_engine.py --other /tmp/old --rounds 16

`--other` may also be this tree (an A/A run shows the noise). Builds use `$CXX` (else `c++`)
with -O3 and link-time optimization, like the Release build of the module; they are cached
per source digest in `--build-dir`. A build takes ~30 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from native import DEFAULT_BUILD_DIR, build_cached, write_columns  # noqa: E402

DRIVER = HERE / "engine_driver.cpp"


def sources(tree: Path) -> list[Path]:
    """The engine's translation units and headers of a source tree."""
    cpp = tree / "cpp"
    if not (cpp / "include" / "liqsim" / "exchange.hpp").exists():
        raise SystemExit(f"{tree} has no cpp/include/liqsim/exchange.hpp")
    return sorted(p for p in cpp.rglob("*") if p.suffix in (".cpp", ".hpp")
                  and "bindings" not in p.parts)


def build(tree: Path, build_dir: Path) -> Path:
    """The driver linked with `tree`'s engine, rebuilt only when a source changed."""
    print(f"engine of {tree} ...", flush=True)
    return build_cached("engine_driver", sources(tree) + [DRIVER, HERE / "raw_columns.hpp"],
                        ["-O3", "-DNDEBUG", "-std=c++20", "-flto=auto", "-fno-semantic-interposition",
                         "-I", str(tree / "cpp" / "include"), "-pthread"], build_dir)


def best_ns(exe: Path, data: Path, repeats: int,
            options: tuple[str, ...] = ()) -> tuple[float, float, int]:
    """Best matching-thread CPU and best wall ns/order over `repeats` after one warm-up, and the
    event count. `options` go to the driver (`inline`, `mask=M`)."""
    out = subprocess.run([str(exe), str(data), str(repeats + 1), *options], check=True,
                         capture_output=True, text=True).stdout.split("\n")
    rows = [line.split() for line in out if line.strip()][1:]
    return min(float(r[0]) for r in rows), min(float(r[1]) for r in rows), int(rows[0][2])


def summary(label: str, a: list[float], b: list[float]) -> None:
    d = [y - x for x, y in zip(a, b)]
    print(f"{label}: A median {statistics.median(a):.1f} (best {min(a):.1f}), B median "
          f"{statistics.median(b):.1f} (best {min(b):.1f}); B-A median {statistics.median(d):+.1f} "
          f"ns/order, B faster in {sum(x < 0 for x in d)} of {len(d)} rounds")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--other", type=Path, required=True, help="the other source tree (a checkout)")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per binary per round")
    ap.add_argument("--n", type=int, default=1_000_000, help="workload rows")
    ap.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    args = ap.parse_args(argv)

    from workload import make_workload

    this, other = build(HERE.parent, args.build_dir), build(args.other.resolve(), args.build_dir)
    w = make_workload(args.n, 0)
    cpu: dict[str, list[float]] = {"A": [], "B": []}
    wall: dict[str, list[float]] = {"A": [], "B": []}
    with tempfile.TemporaryDirectory() as tmp:
        write_columns(w, Path(tmp))
        print(f"{args.n:,} orders; A = {args.other}, B = this tree; ns/order, best of {args.repeats}")
        events = {}
        for r in range(args.rounds):
            order = [("A", other), ("B", this)] if r % 2 == 0 else [("B", this), ("A", other)]
            for name, exe in order:
                c, w_ns, events[name] = best_ns(exe, Path(tmp), args.repeats)
                cpu[name].append(c)
                wall[name].append(w_ns)
            if events["A"] != events["B"]:
                print(f"note: event counts differ ({events['A']:,} vs {events['B']:,})")
            print(f"round {r + 1:>2}: CPU A {cpu['A'][-1]:6.1f}  B {cpu['B'][-1]:6.1f}   "
                  f"wall A {wall['A'][-1]:6.1f}  B {wall['B'][-1]:6.1f}", flush=True)
    summary("matching thread CPU", cpu["A"], cpu["B"])
    summary("wall", wall["A"], wall["B"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
