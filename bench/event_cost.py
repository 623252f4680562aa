"""What recording events costs the matching thread, on the standard matching workload.

Builds bench/engine_driver.cpp against this tree and alternates it, in one run, over settings
that differ only in what is recorded or where the fills settle:

- `parallel`: the default for a large batch (fills settle on the second core);
- `inline`: every fill settled on the matching thread, every event recorded;
- `inline, FILL only`: the same, recording only FILL events (`event_mask` = 1 << 3);
- `inline, none`: nothing recorded (every field is still written, into one scratch record
  that stays in the L1 cache): the difference to `inline` is what moving 1.66 events of 88
  bytes per order out to memory costs.

    python bench/event_cost.py --rounds 8

Figures are the matching thread's CPU time in ns/order, best of `--repeats` per setting per
round; quote medians over rounds (the machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ab_engine import best_ns, build  # noqa: E402
from native import DEFAULT_BUILD_DIR, write_columns  # noqa: E402

FILL_ONLY = 1 << 3  # EventType::Fill
SETTINGS: dict[str, tuple[str, ...]] = {
    "parallel": (),
    "inline": ("inline",),
    "inline, FILL only": ("inline", f"mask={FILL_ONLY}"),
    "inline, none": ("inline", "mask=0"),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2, help="timed repeats per setting per round")
    ap.add_argument("--n", type=int, default=1_000_000, help="workload rows")
    ap.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR)
    args = ap.parse_args(argv)

    from workload import make_workload

    exe = build(HERE.parent, args.build_dir)
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp:
        write_columns(make_workload(args.n, 0), Path(tmp))
        names = list(SETTINGS)
        print(f"{args.n:,} orders; matching-thread CPU ns/order, best of {args.repeats}")
        print("round  " + "  ".join(f"{n:>18}" for n in names))
        for r in range(args.rounds):
            # Rotate which setting goes first, so a slow stretch of the machine is shared out.
            for name in names[r % len(names):] + names[:r % len(names)]:
                times[name].append(best_ns(exe, Path(tmp), args.repeats, SETTINGS[name])[0])
            print(f"{r + 1:>5}  " + "  ".join(f"{times[n][-1]:>18.1f}" for n in names),
                  flush=True)
    base = times["inline"]
    print("median " + "  ".join(f"{statistics.median(times[n]):>18.1f}" for n in names))
    for name in names:
        if name == "inline":
            continue
        d = [x - y for x, y in zip(times[name], base)]
        print(f"{name} - inline: median {statistics.median(d):+.1f} ns/order "
              f"(lower in {sum(x < 0 for x in d)} of {len(d)} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
