"""Matching benchmark: liqsim (batch and per order) vs LiquiBook vs the pure-Python reference.

Run by hand (not part of the test suite):

    python bench/bench_matching.py                      # 1M orders, reference on the first 100k
    python bench/bench_matching.py --n 200000 --skip-reference

Every engine gets the same deterministic workload (bench/workload.py). Fill counts and traded
volumes must agree across engines (asserted; exit status 1 if not). The performance bars are
printed as PASS/FAIL (exit status 2 on a FAIL only with --strict). See bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import liquibook_driver as lbd  # noqa: E402
from workload import make_workload, prefix, summary  # noqa: E402

FILL = 3  # liqsim.EventType.FILL

# Performance bars (from the project brief).
BAR_BATCH_VS_LB = 12.0       # liqsim batch orders/s >= 12x liquibook
BAR_PER_ORDER_VS_LB = 2.5    # liqsim one-call-per-order orders/s >= 2.5x liquibook
BAR_BATCH_NS = 50.0          # liqsim batch < 50 ns/order


@dataclass
class Result:
    name: str
    rows: int
    seconds: float            # best of the repeats
    fills: int
    volume: int
    repeats: int = 1
    all_seconds: list[float] = field(default_factory=list)
    note: str = ""
    counted: bool = True      # False: the run does not count fills (timing only)

    @property
    def ns_per_order(self) -> float:
        return self.seconds / self.rows * 1e9

    @property
    def orders_per_s(self) -> float:
        return self.rows / self.seconds


def best_of(repeats: int, run: Callable[[], tuple[float, int, int]]) -> tuple[float, int, int, list[float]]:
    """Run `repeats` times; each run returns (seconds, fills, volume), which must not change."""
    times: list[float] = []
    outcome = None
    for _ in range(repeats):
        gc.collect()
        gc.disable()               # like timeit: no cyclic-GC pauses inside the timed loops
        try:
            dt, fills, vol = run()
        finally:
            gc.enable()
        times.append(dt)
        if outcome is None:
            outcome = (fills, vol)
        elif outcome != (fills, vol):
            raise AssertionError(f"repeat gave different results: {outcome} vs {(fills, vol)}")
    assert outcome is not None
    return min(times), outcome[0], outcome[1], times


def fills_and_volume(events: np.ndarray | list[np.ndarray]) -> tuple[int, int]:
    """FILL count and traded volume (lots) of an event array (or a list of arrays)."""
    if isinstance(events, list):
        parts = [fills_and_volume(e) for e in events]
        return sum(p[0] for p in parts), sum(p[1] for p in parts)
    is_fill = events["type"] == FILL
    return int(np.count_nonzero(is_fill)), int(events["qty"][is_fill].sum())


# -- liqsim ---------------------------------------------------------------------------------
def new_exchange():
    import liqsim

    ex = liqsim.Exchange()
    ex.add_instrument("X", tick_size=1.0, lot_size=1.0, cash_unit=1.0, stp="none")
    ex.add_accounts(1000)
    return ex


def liqsim_batch(w: dict[str, np.ndarray], chunk: int = 0, fresh: bool = False,
                 inline: bool = False) -> tuple[float, int, int]:
    """`submit_batch` on the whole workload (chunk 0) or in chunks, `drain_events` after each.

    Fills settle on a second thread (`Exchange.parallel_settlement`, the default for batches
    of 16,384 rows or more) unless `inline` is set.

    Timed: the submit_batch and drain_events calls. Not timed: creating the exchange, counting
    the fills in the drained arrays. Event buffers of arrays freed by earlier runs are reused
    (liqsim's event pool, as in any long-running pipeline); `fresh` empties the pool first, so
    the events go to newly mapped memory (page faults included).
    """
    import liqsim

    if fresh:
        liqsim._core.free_pooled_events()
    ex = new_exchange()
    if inline:
        ex.parallel_settlement = None
    n = len(w["cmd"])
    drained: list[np.ndarray] = []
    step = n if chunk <= 0 else chunk
    pieces = [{k: v[i:i + step] for k, v in w.items()} for i in range(0, n, step)] or [w]
    submit, drain = ex.submit_batch, ex.drain_events
    t0 = time.perf_counter()
    for piece in pieces:
        submit(**piece)
        drained.append(drain())
    dt = time.perf_counter() - t0
    return (dt, *fills_and_volume(drained))


def liqsim_per_order(cols: tuple[list, ...], how: str) -> tuple[float, int, int]:
    """One Python call per row; events drained (timed) once at the end.

    how = "submit_ticks": public `Exchange.submit_ticks(...)` / `Exchange.cancel(...)` (ints);
          "submit":       public `Exchange.submit(...)` (float units, grid-checked) / `cancel`;
          "engine":       the raw binding `Exchange._engine.submit(...)` / `.cancel(...)`.
    """
    ex = new_exchange()
    c_cmd, c_id, c_acct, c_side, c_kind, c_price, c_qty, c_ts = cols
    t0 = time.perf_counter()
    if how == "submit_ticks":
        sub, can = ex.submit_ticks, ex.cancel
        for c, oid, a, s, k, p, q, t in zip(c_cmd, c_id, c_acct, c_side, c_kind, c_price, c_qty, c_ts):
            if c == 0:
                sub(0, a, s, p, q, kind=k, order_id=oid, ts=t)
            else:
                can(oid, ts=t)
    elif how == "submit":
        sub, can = ex.submit, ex.cancel
        for c, oid, a, s, k, p, q, t in zip(c_cmd, c_id, c_acct, c_side, c_kind, c_price, c_qty, c_ts):
            if c == 0:
                sub(0, a, s, float(p), float(q), kind=k, order_id=oid, ts=t)
            else:
                can(oid, ts=t)
    elif how == "engine":
        eng = ex._engine
        sub, can = eng.submit, eng.cancel
        for c, oid, a, s, k, p, q, t in zip(c_cmd, c_id, c_acct, c_side, c_kind, c_price, c_qty, c_ts):
            if c == 0:
                sub(0, a, oid, s, k, p, q, False, t)
            else:
                can(oid, t)
    else:
        raise ValueError(how)
    events = ex.drain_events()
    dt = time.perf_counter() - t0
    return (dt, *fills_and_volume(events))


def liqsim_lists(w: dict[str, np.ndarray]) -> tuple[list, ...]:
    return tuple(w[k].tolist() for k in ("cmd", "order_id", "account", "side", "kind", "price",
                                           "qty", "ts"))


# -- liquibook ------------------------------------------------------------------------------
def liquibook_run(cols: tuple[list, ...], book: str) -> tuple[float, int, int]:
    r = lbd.run_liquibook(cols, book)
    return r.seconds, r.fills, r.volume


def liquibook_no_listener(cols: tuple[list, ...]) -> tuple[float, int, int]:
    """The same loop with no listener at all: LiquiBook's floor, but it counts nothing."""
    import liquibook

    b = liquibook.liquibook_book_OrderBook()
    SimpleOrder, IOC = liquibook.SimpleOrder, liquibook.oc_immediate_or_cancel
    add, cancel = b.add, b.cancel
    resting: dict[int, object] = {}
    t0 = time.perf_counter()
    for c, oid, s, k, p, q in zip(*cols):
        if c == 0:
            if k == 0:
                o = SimpleOrder(s > 0, p, q)
                add(o, 0)
                resting[oid] = o
            else:
                add(SimpleOrder(s > 0, p, q, 0, IOC), IOC)
        else:
            cancel(resting.pop(oid))
    return time.perf_counter() - t0, -1, -1


# -- reporting --------------------------------------------------------------------------------
def machine_info() -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 0
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    try:
        import liqsim
        versions["liqsim"] = liqsim.__version__
    except Exception as e:  # pragma: no cover
        versions["liqsim"] = f"not importable ({e})"
    versions["liquibook"] = lbd.version() or "not installed"
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": f"{os.cpu_count()} (usable by this process: {usable})",
        **versions,
    }


def fmt_row(r: Result) -> str:
    fills = f"{r.fills:>11,}" if r.counted else f"{'-':>11}"
    vol = f"{r.volume:>13,}" if r.counted else f"{'-':>13}"
    reps = f"best of {r.repeats}" if r.repeats > 1 else "1 run"
    return (f"  {r.name:<50} {r.rows:>10,} {r.seconds:>9.3f} {r.ns_per_order:>10,.1f} "
            f"{r.orders_per_s / 1e6:>9.3f} {fills} {vol}  {reps}")


def header() -> str:
    return (f"  {'engine / path':<50} {'orders':>10} {'seconds':>9} {'ns/order':>10} "
            f"{'Morders/s':>9} {'fills':>11} {'volume':>13}")


def lean_book_row(w: dict[str, np.ndarray], reps: int, record: Callable[..., Result]) -> Result | None:
    """The lean C++ book of lean_book.cpp (matching only: no events, no clearing, no checks) on
    the same workload: issue 2's "a good C++ book", measured here. Skipped without a compiler."""
    import tempfile

    from lean_baseline import build, lean_run
    from native import write_columns

    try:
        exe = build()
    except (SystemExit, subprocess.CalledProcessError) as e:
        print(f"  lean C++ book: skipped (no build: {e})")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        write_columns(w, Path(tmp))

        def run() -> tuple[float, int, int]:
            ns, fills, vol = lean_run(exe, Path(tmp), 1)
            return ns * len(w["cmd"]) / 1e9, fills, vol

        return record("lean_book", "lean C++ book (bench/lean_book.cpp, matching only)", run, reps)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="orders in the workload (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=0, help="workload seed (default 0)")
    ap.add_argument("--repeats", type=int, default=3, help="repeats of the fast runs; best is kept (default 3)")
    ap.add_argument("--chunk", type=int, default=100_000,
                    help="chunk size of the chunked batch run (default 100,000; 0 skips it)")
    ap.add_argument("--skip-reference", action="store_true", help="do not run the pure-Python reference")
    ap.add_argument("--reference-n", type=int, default=100_000,
                    help="orders (a prefix of the workload) for the reference run (default 100,000)")
    ap.add_argument("--skip-liquibook", action="store_true", help="do not run liquibook")
    ap.add_argument("--no-extras", action="store_true",
                    help="only the figures the bars use (skip the informational variants)")
    ap.add_argument("--json", type=Path, help="also write the results to this JSON file")
    ap.add_argument("--strict", action="store_true", help="exit with status 2 when a bar FAILs")
    args = ap.parse_args(argv)
    extras = not args.no_extras

    print("== liqsim matching benchmark ==")
    for k, v in machine_info().items():
        print(f"  {k:<10} {v}")

    t0 = time.perf_counter()
    w = make_workload(args.n, args.seed)
    s = summary(w)
    print(f"\nworkload: seed {args.seed}, {s['rows']:,} rows = {s['gtc']:,} GTC + {s['ioc']:,} IOC + "
          f"{s['cancel']:,} cancels, one instrument, {s['accounts']} accounts, STP off "
          f"(generated in {time.perf_counter() - t0:.2f} s, not timed)")
    lb_cols = lbd.as_lists(w) if (lbd.available() and not args.skip_liquibook) else None
    ls_cols = liqsim_lists(w)
    reps = args.repeats
    results: dict[str, Result] = {}

    def record(key: str, name: str, run: Callable[[], tuple[float, int, int]], repeats: int,
               note: str = "", rows: int | None = None) -> Result:
        best, fills, vol, times = best_of(repeats, run)
        r = Result(name, rows if rows is not None else args.n, best, fills, vol, repeats, times,
                   note, counted=fills >= 0)
        results[key] = r
        print(fmt_row(r), flush=True)
        return r

    # warm-up (untimed): first calls into each engine pay for imports, page faults and caches
    wu = prefix(w, min(args.n, 20_000))
    liqsim_batch(wu)
    liqsim_per_order(liqsim_lists(wu), "submit_ticks")
    if lb_cols is not None:
        lbd.run_liquibook(wu)

    print(f"\n-- full workload ({args.n:,} orders) --")
    print(header())
    batch = record("liqsim_batch", "liqsim submit_batch (whole arrays)",
                   lambda: liqsim_batch(w), reps)
    if extras:
        record("liqsim_batch_inline", "liqsim submit_batch (whole, settled inline)",
               lambda: liqsim_batch(w, inline=True), reps)
        record("liqsim_batch_fresh", "liqsim submit_batch (whole, fresh memory)",
               lambda: liqsim_batch(w, fresh=True), reps)
    if args.chunk > 0 and extras:
        record("liqsim_batch_chunked", f"liqsim submit_batch ({args.chunk:,}-row chunks)",
               lambda: liqsim_batch(w, args.chunk), reps)
    per_order = record("liqsim_per_order", "liqsim per order: ex.submit_ticks / ex.cancel",
                       lambda: liqsim_per_order(ls_cols, "submit_ticks"), reps)
    if extras:
        record("liqsim_per_order_engine", "liqsim per order: ex._engine.submit / .cancel",
               lambda: liqsim_per_order(ls_cols, "engine"), reps)
        # slow (float conversion per call): one run only
        record("liqsim_per_order_float", "liqsim per order: ex.submit (floats) / ex.cancel",
               lambda: liqsim_per_order(ls_cols, "submit"), 1)
    lb = None
    if lb_cols is not None:
        # both ways of counting fills are timed; the faster one is the baseline of the ratios
        lb_plain = record("liquibook_plain", "liquibook OrderBook + listener",
                          lambda: liquibook_run(lb_cols, "plain"), reps)
        lb_depth = record("liquibook_depth", "liquibook DepthOrderBook + listener",
                          lambda: liquibook_run(lb_cols, "depth"), reps)
        lb = min(lb_plain, lb_depth, key=lambda r: r.seconds)
        if extras:
            record("liquibook_no_listener", "liquibook OrderBook, no listener (no counts)",
                   lambda: liquibook_no_listener(lb_cols), reps)
    else:
        why = "--skip-liquibook" if args.skip_liquibook else "not installed (pip install liquibook)"
        print(f"  liquibook: skipped ({why})")
    lean = lean_book_row(w, reps, record) if extras else None

    ref_ok = None
    if not args.skip_reference:
        from liqsim.testing.reference import ReferenceExchange

        m = min(args.reference_n, args.n)
        wp = prefix(w, m)
        print(f"\n-- pure-Python reference, on the first {m:,} orders --")
        print(header())

        ref_events: list[np.ndarray] = []

        def run_ref() -> tuple[float, int, int]:
            ref = ReferenceExchange()
            ref.add_instrument(stp="none")
            ref.add_accounts(1000)
            t = time.perf_counter()
            ref.submit_batch(**wp)
            ev = ref.drain_events()
            dt = time.perf_counter() - t
            ref_events.append(ev)
            return (dt, *fills_and_volume(ev))

        ref = record("reference", "liqsim.testing.reference.ReferenceExchange", run_ref, 1, rows=m)
        pre = record("liqsim_batch_prefix", "liqsim submit_batch (same prefix)",
                     lambda: liqsim_batch(wp), reps, rows=m)
        ex = new_exchange()
        ex.submit_batch(**wp)
        mine = ex.drain_events()
        theirs = ref_events[0]
        same_len = len(mine) == len(theirs)
        diff = [k for k in theirs.dtype.names if not same_len or not np.array_equal(mine[k], theirs[k])]
        ref_ok = (ref.fills, ref.volume) == (pre.fills, pre.volume)
        print(f"  reference vs liqsim on the prefix: fills {ref.fills:,} vs {pre.fills:,}, volume "
              f"{ref.volume:,} vs {pre.volume:,}: {'SAME' if ref_ok else 'DIFFERENT'}; full event "
              f"streams ({len(theirs):,} vs {len(mine):,} events): "
              f"{'IDENTICAL' if not diff else 'differ in ' + ', '.join(diff)}")
        print(f"  liqsim batch is {ref.ns_per_order / pre.ns_per_order:,.0f}x the reference's speed")

    # -- agreement -----------------------------------------------------------------------------
    print("\n-- agreement (fills and traded volume over the full workload) --")
    counted = [r for k, r in results.items() if r.counted and r.rows == args.n]
    outcomes = {(r.fills, r.volume) for r in counted}
    for r in counted:
        print(f"  {r.name:<50} fills {r.fills:>11,}  volume {r.volume:>13,}")
    agree = len(outcomes) == 1
    print(f"  all engines agree: {'YES' if agree else 'NO'}"
          + ("" if ref_ok is None else f"; reference agrees on its prefix: {'YES' if ref_ok else 'NO'}"))

    # -- ratios and bars -----------------------------------------------------------------------
    print("\n-- ratios and bars --")
    bars: list[tuple[str, bool]] = []
    if lb is not None:
        rb = batch.orders_per_s / lb.orders_per_s
        rp = per_order.orders_per_s / lb.orders_per_s
        print(f"  liquibook baseline: {lb.name} ({lb.ns_per_order:,.0f} ns/order, the faster of the two)")
        print(f"  liqsim batch / liquibook      = {rb:8.1f}x   (orders/s ratio)")
        print(f"  liqsim per-order / liquibook  = {rp:8.1f}x   (per order = ex.submit_ticks / ex.cancel)")
        bars.append((f"batch >= {BAR_BATCH_VS_LB:g}x liquibook ({rb:.1f}x)", rb >= BAR_BATCH_VS_LB))
        bars.append((f"per-order >= {BAR_PER_ORDER_VS_LB:g}x liquibook ({rp:.2f}x)", rp >= BAR_PER_ORDER_VS_LB))
    else:
        print("  (no liquibook: ratio bars not evaluated)")
    if lean is not None:
        print(f"  liqsim batch / lean C++ book  = {batch.ns_per_order / lean.ns_per_order:8.2f}x   (time ratio; "
              f"issue 2's 50 ns against a good book's 30 ns is {BAR_BATCH_NS / 30:.2f}x)")
    bars.append((f"batch < {BAR_BATCH_NS:g} ns/order ({batch.ns_per_order:.1f} ns)",
                 batch.ns_per_order < BAR_BATCH_NS))
    for text, ok in bars:
        print(f"  [{'PASS' if ok else 'FAIL'}] {text}")

    if args.json:
        payload = {
            "machine": machine_info(), "n": args.n, "seed": args.seed, "workload": s,
            "results": {k: {**asdict(r), "ns_per_order": r.ns_per_order,
                            "orders_per_s": r.orders_per_s} for k, r in results.items()},
            "bars": {t: ok for t, ok in bars}, "agree": agree, "reference_agrees": ref_ok,
        }
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"\nwrote {args.json}")

    assert agree, f"engines disagree on fills/volume: {sorted(outcomes)}"
    assert ref_ok in (None, True), "the reference disagrees with liqsim on the prefix"
    if args.strict and not all(ok for _, ok in bars):
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
