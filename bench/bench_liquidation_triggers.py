"""Liquidation trigger detection: cost of one mark-price update against the number of accounts.

Run by hand (not part of the test suite):

    python bench/bench_liquidation_triggers.py                   # N = 10^4, 10^5, 10^6
    python bench/bench_liquidation_triggers.py --sorted-ids      # account ids in LP order
    python bench/bench_liquidation_triggers.py --n 10000 100000 --k 1 10 100
    python bench/bench_liquidation_triggers.py --json out.json

For every N it builds one exchange holding N leveraged longs whose liquidation prices (LP) are
spread on a known grid, then times `Exchange.set_mark` (the call that runs the liquidation
checks) for a mark move that triggers no account and for moves that trigger exactly k accounts,
and compares it with a full scan of every account's margin in the same process. The engine keeps
a per-instrument trigger index (accounts ordered by LP), so the update should cost
O(log N + k), not O(N). See bench/README.md for the scenario and what each column means.

Exit status 1 if a check fails (an update liquidated a different set of accounts than the grid
predicts, or the scans disagree with the engine).
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

import liqsim

# -- the scenario ----------------------------------------------------------------------------
# Units: tick 0.01 USD, lot 0.001 BTC, cash unit 1e-6 USD (the default), so one tick x one lot
# is CPL = 10 cash units of notional.
TICK, LOT, CASH_UNIT = 0.01, 0.001, 1e-6
CPL = 10
EP = 5_000_000          # entry price of every long, ticks (50,000 USD)
TOP = 4_500_000         # LP of the highest account, ticks (45,000 USD), + 0.5
SPACING = 3             # ticks between consecutive LPs
QTY = 2                 # lots per account (0.002 BTC, 100 USD notional: tier 1, MMR 0.4%)
MMR_PPM = 4_000         # tier-1 maintenance rate of the default (Binance BTCUSDT) table
NONE_MARKS = (TOP + 100, TOP + 101)  # above every trigger key: an update that triggers nothing


def lp_of_rank(j: np.ndarray | int) -> np.ndarray | float:
    """Liquidation price (ticks, fractional) of the account of rank j (0 = highest LP)."""
    return TOP - SPACING * np.asarray(j, dtype=np.float64) + 0.5


def collateral_of_rank(j: np.ndarray) -> np.ndarray:
    """Deposit (cash units) that puts a QTY-lot long bought at EP at LP = lp_of_rank(j).

    Tier 1 (cum = 0): equity = W + QTY*CPL*(m - EP) meets maintenance QTY*CPL*m*MMR at
    m = (QTY*CPL*EP - W) / (QTY*CPL*(1 - MMR)), so W = QTY*CPL*(EP - (1 - MMR)*LP). Rounding W
    to a cash unit and the engine's ceil on maintenance move the LP by < 0.1 tick; the marks
    used below sit >= 0.5 tick from every LP, so the liquidated set is exact.
    """
    lp = lp_of_rank(j)
    return np.rint(QTY * CPL * (EP - (1 - MMR_PPM / 1e6) * lp)).astype(np.int64)


def trigger_mark(first_rank: int, k: int) -> int:
    """A mark (ticks) below the LPs of ranks < first_rank + k and above all the others: moving
    down to it from above lp_of_rank(first_rank) liquidates exactly ranks first_rank..+k-1."""
    return TOP - SPACING * (first_rank + k) + 2


@dataclass
class Setup:
    n: int
    seconds: dict[str, float] = field(default_factory=dict)
    rss_mb: float = 0.0


class Scenario:
    """One exchange with `n` leveraged longs on a known LP grid, a counterparty short holding
    the other side, a market maker for bids, and a generously funded insurance fund.

    Account ids 0..n-1 are the longs; the LP rank of account a is `rank[a]`: a random
    permutation (LP order and account id unrelated), or a = rank with shuffle=False. `cursor`
    is the highest rank still open: `trigger_args(k)` returns the mark that liquidates ranks
    cursor..cursor+k-1 (placing bids for them unless bids=False) and advances it.
    """

    def __init__(self, n: int, seed: int = 0, risk: liqsim.RiskConfig | None = None,
                 shuffle: bool = True) -> None:
        self.n = n
        self.setup = Setup(n)
        t = self.setup.seconds
        rss0 = _rss_mb()
        t0 = time.perf_counter()
        ex = liqsim.Exchange(cash_unit=CASH_UNIT, risk=risk or liqsim.RiskConfig())
        ex.add_instrument("BTC", tick_size=TICK, lot_size=LOT, mark_source="external")
        ex._engine.event_mask = 0   # record no events (the benchmark reads state, not the log)
        self.ex = ex
        assert ex.instrument(0).cash_per_tick_lot == CPL

        s = time.perf_counter()
        ids = ex.add_accounts(n + 2)
        t["add_accounts"] = time.perf_counter() - s
        self.longs = ids[:n]
        self.cp, self.mm = int(ids[n]), int(ids[n + 1])

        self.rank = (np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)).astype(np.int64)
        self.account_of_rank = np.empty(n, dtype=np.int64)
        self.account_of_rank[self.rank] = np.arange(n)
        cash = np.empty(n + 2, dtype=np.int64)
        cash[:n] = collateral_of_rank(self.rank)
        cash[n] = 10**15            # counterparty: 1e9 USD
        cash[n + 1] = 10**13        # market maker: 1e7 USD
        s = time.perf_counter()
        ex.deposit_batch(ids, cash * CASH_UNIT)
        t["deposit_batch"] = time.perf_counter() - s
        ex.fund_insurance(1e8)
        ex.set_mark(0, EP * TICK)

        # one resting sell of n*QTY lots, then n IOC buys of QTY lots, all at EP
        rows = n + 1
        s = time.perf_counter()
        ex.submit_batch(
            order_id=np.arange(1, rows + 1, dtype=np.int64),
            account=np.concatenate(([self.cp], self.longs)).astype(np.int32),
            side=np.concatenate(([-1], np.ones(n, dtype=np.int8))).astype(np.int8),
            kind=np.concatenate(([0], np.ones(n, dtype=np.uint8))).astype(np.uint8),
            price=np.full(rows, EP, dtype=np.int64),
            qty=np.concatenate(([n * QTY], np.full(n, QTY, dtype=np.int64))).astype(np.int64),
        )
        t["submit_batch"] = time.perf_counter() - s
        t["total"] = time.perf_counter() - t0
        self.next_order_id = rows + 1
        self.cursor = 0
        self.setup.rss_mb = _rss_mb() - rss0   # memory the build added (the process RSS grew by)

    # -- checks (untimed) ------------------------------------------------------------------
    def check_setup(self, sample: int = 200) -> None:
        ex = self.ex
        pos = ex.positions(0)
        _expect(bool(np.all(pos[: self.n] == QTY)), "every long holds QTY lots")
        _expect(int(pos[self.cp]) == -self.n * QTY, "the counterparty holds the other side")
        _expect(ex.live_orders(0) == 0, "the counterparty's sell was consumed exactly")
        ranks = np.unique(np.concatenate((np.arange(min(sample, self.n)),
                                          np.linspace(0, self.n - 1, 50).astype(np.int64))))
        for j in ranks:
            lp = ex.liquidation_price(int(self.account_of_rank[j]), 0)
            _expect(lp is not None and abs(lp / TICK - float(lp_of_rank(j))) < 0.1,
                    f"LP of rank {j}: {lp} vs {lp_of_rank(j) * TICK}")

    def check_trigger(self, first: int, k: int) -> None:
        """Ranks first..first+k-1 are flat, rank first+k still holds its long."""
        ex = self.ex
        for j in range(first, first + k):
            _expect(ex.position(int(self.account_of_rank[j]), 0) == 0, f"rank {j} was liquidated")
        if first + k < self.n:
            _expect(ex.position(int(self.account_of_rank[first + k]), 0) == QTY,
                    f"rank {first + k} was not liquidated")

    # -- the timed operations ----------------------------------------------------------------
    def place_bids(self, k: int, mark: int) -> None:
        """Bid liquidity for exactly the next k liquidations, at the mark they trigger at (each
        liquidation is an IOC sell of QTY lots with its bankruptcy price, ~0.4% below its LP,
        as the limit, so it fills here in full). Untimed."""
        self.ex.submit_ticks(0, self.mm, 1, mark, k * QTY, kind=0, order_id=self.next_order_id)
        self.next_order_id += 1

    def trigger_args(self, k: int, bids: bool = True) -> tuple[int, float]:
        """Prepare (untimed) the next update that triggers exactly k accounts; returns
        (first rank, mark price in USD for `Exchange.set_mark`)."""
        if self.cursor + k > self.n:
            raise RuntimeError(f"no accounts left to trigger ({self.cursor} of {self.n} used)")
        first = self.cursor
        m = trigger_mark(first, k)
        if bids:
            self.place_bids(k, m)
        self.cursor += k
        return first, m * TICK

    def scan_numpy(self, mark: int | None = None) -> np.ndarray:
        """Every account's equity < maintenance at the current mark (or at `mark`, ticks),
        vectorised with numpy, integer math identical to the engine's (maintenance =
        ceil(notional x MMR - cum) of the notional's tier). Returns the ids of the liquidatable
        trader accounts. The arrays are fetched from the engine (copies) inside the call. Cross
        margin and one instrument, as in this scenario (no isolated buckets to add)."""
        ex = self.ex
        qty = ex.positions(0)                             # trader accounts, lots
        cash = ex.balances().to_numpy()[4:]               # drop the 4 system accounts
        if mark is None:
            current = ex.mark(0)
            assert current is not None
            mark = round(current / TICK)
        notional = np.abs(qty) * (mark * CPL)
        b = np.minimum(np.searchsorted(self._caps, notional, side="left"), len(self._caps) - 1)
        q, r = np.divmod(notional, 1_000_000)
        mmr = self._mmr[b]
        maint = q * mmr - self._cum[b] + (r * mmr + 999_999) // 1_000_000
        maint = np.maximum(maint, 0)
        equity = cash + qty * (mark * CPL)
        return np.flatnonzero((qty != 0) & (equity < maint))

    def prepare_scan(self) -> None:
        tiers = self.ex._engine.tier_table(0)
        self._caps = np.array([t[0] for t in tiers], dtype=np.int64)
        self._mmr = np.array([t[1] for t in tiers], dtype=np.int64)
        self._cum = np.array([t[2] for t in tiers], dtype=np.int64)
        # exact cum (the engine rounds it down only for caps that are not whole units)
        _expect(all(int(c) * int(m) % 1_000_000 == 0 for c, m, _ in tiers), "whole-unit tier caps")

    def scan_python(self) -> list[int]:
        """The same scan one account at a time through the public API."""
        acc = self.ex.account
        return [a for a in range(self.n + 2) if acc(a).liquidatable]


def verify_scans(n: int = 2000, k: int = 10) -> None:
    """Both scans against the engine where accounts ARE below maintenance and still open: with
    RiskConfig(max_per_step=1) a move that crosses k LPs liquidates only the most underwater
    account (rank 0); ranks 1..k-1 stay liquidatable, and both scans must find exactly them."""
    sc = Scenario(n, risk=liqsim.RiskConfig(max_per_step=1))
    sc.prepare_scan()
    sc.ex.set_mark(0, trigger_mark(0, k) * TICK)
    _expect(sc.ex.position(int(sc.account_of_rank[0]), 0) == 0, "rank 0 liquidated")
    want = np.sort(sc.account_of_rank[1:k])
    _expect(np.array_equal(sc.scan_numpy(), want), "numpy scan finds ranks 1..k-1")
    _expect(sc.scan_python() == want.tolist(), "python scan finds ranks 1..k-1")
    _expect(all(sc.ex._engine.liquidatable(int(a)) for a in want), "engine agrees")


# -- measurement helpers -----------------------------------------------------------------------
class CheckFailed(AssertionError):
    pass


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise CheckFailed(what)


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def timed(fn: Callable[..., object], *args: object) -> float:
    s = time.perf_counter()
    fn(*args)
    return time.perf_counter() - s


@dataclass
class Row:
    n: int
    sorted_ids: bool
    setup_s: dict[str, float]
    rss_mb: float
    none_us: float                      # ex.set_mark triggering nothing: best block median
    none_raw_us: float                  # the same through ex._engine.set_mark (ticks)
    none_block_us: list[float]          # median of each block of ex.set_mark calls
    k_us: dict[int, float]              # median set_mark triggering k (bid liquidity)
    k_all_us: dict[int, list[float]]
    k_fund_us: dict[int, float]         # median set_mark triggering k, insurance fund takes over
    scan_numpy_us: float                # median
    scan_numpy_all_us: list[float]
    scan_python_us: float | None        # one run

    def per_account(self, k: int, fund: bool = False) -> float:
        return (self.k_fund_us if fund else self.k_us)[k] / k


def median_us(xs: list[float]) -> float:
    return statistics.median(xs) * 1e6


def none_blocks(fn: Callable[..., object], arg: Callable[[int], object], blocks: int,
                per_block: int) -> list[float]:
    """Median of each block of `per_block` timed calls fn(0, arg(i)); the best block is the
    figure reported (a sub-microsecond call is easily disturbed by other processes)."""
    out = []
    for _ in range(blocks):
        out.append(median_us([timed(fn, 0, arg(i)) for i in range(per_block)]))
    return out


def run_n(n: int, ks: tuple[int, ...], repeats: int, none_blocks_n: int, none_per_block: int,
          scan_repeats: int, python_scan_max: int, fund_repeats: int, seed: int, sorted_ids: bool,
          log: Callable[[str], None]) -> Row:
    log(f"N = {n:,}: building ...")
    sc = Scenario(n, seed, shuffle=not sorted_ids)
    st = sc.setup.seconds
    log(f"  setup {st['total']:.2f} s (add_accounts {st['add_accounts']:.3f}, deposit_batch "
        f"{st['deposit_batch']:.3f}, submit_batch {st['submit_batch']:.3f}), RSS +{sc.setup.rss_mb:,.0f} MB")
    sc.check_setup()
    sc.prepare_scan()
    ex = sc.ex
    set_mark, raw = ex.set_mark, ex._engine.set_mark
    none_usd = lambda i: NONE_MARKS[i % 2] * TICK  # noqa: E731
    none_ticks = lambda i: NONE_MARKS[i % 2]        # noqa: E731

    gc.collect()
    gc.disable()
    try:
        # (a) no account triggered: alternate between two marks above every trigger key
        none_blocks(set_mark, none_usd, 1, 500)                          # warm-up
        blocks = none_blocks(set_mark, none_usd, none_blocks_n, none_per_block)
        raw_blocks = none_blocks(lambda i, m: raw(i, m, 0), none_ticks, none_blocks_n,
                                 none_per_block)
        _expect(ex.positions(0)[:n].min() == QTY, "no account liquidated by the none-updates")

        # the full scan, at the same state
        _expect(len(sc.scan_numpy()) == 0, "numpy scan finds nobody at a none-mark")
        scan = [timed(sc.scan_numpy) for _ in range(scan_repeats)]
        py_us = None
        if n <= python_scan_max:
            s = time.perf_counter()
            found = sc.scan_python()
            py_us = (time.perf_counter() - s) * 1e6
            _expect(found == [], "python scan finds nobody at a none-mark")

        # (b) exactly k triggered; each repeat moves the mark further down over the next k
        # ranks (fresh accounts), with bids for them placed (untimed) just before
        k_all: dict[int, list[float]] = {}
        for k in ks:
            k_all[k] = []
            for _ in range(repeats):
                first, price = sc.trigger_args(k)
                if not k_all[k]:  # the scan, at the coming mark, predicts exactly these k
                    _expect(np.array_equal(sc.scan_numpy(round(price / TICK)),
                                           np.sort(sc.account_of_rank[first:first + k])),
                            f"numpy scan at the k={k} mark finds exactly ranks {first}..+{k}")
                k_all[k].append(timed(set_mark, 0, price))
                sc.check_trigger(first, k)
        # (b') the same with no bids: every liquidation IOC expires and the fund takes over
        k_fund: dict[int, list[float]] = {}
        for k in ks:
            k_fund[k] = []
            for _ in range(fund_repeats):
                first, price = sc.trigger_args(k, bids=False)
                k_fund[k].append(timed(set_mark, 0, price))
                sc.check_trigger(first, k)
    finally:
        gc.enable()
    flat = np.flatnonzero(ex.positions(0)[:n] == 0)
    _expect(np.array_equal(flat, np.sort(sc.account_of_rank[:sc.cursor])),
            "exactly the triggered ranks are flat")

    return Row(n=n, sorted_ids=sorted_ids, setup_s=st, rss_mb=sc.setup.rss_mb,
               none_us=min(blocks), none_raw_us=min(raw_blocks), none_block_us=blocks,
               k_us={k: median_us(v) for k, v in k_all.items()},
               k_all_us={k: [x * 1e6 for x in v] for k, v in k_all.items()},
               k_fund_us={k: median_us(v) for k, v in k_fund.items()},
               scan_numpy_us=median_us(scan), scan_numpy_all_us=[x * 1e6 for x in scan],
               scan_python_us=py_us)


def best_of_rounds(rs: list[Row]) -> Row:
    """Each figure's lowest value over the rounds (other processes only ever add time)."""
    def lo(get: Callable[[Row], float]) -> float:
        return min(get(r) for r in rs)
    py = [r.scan_python_us for r in rs if r.scan_python_us is not None]
    first = rs[0]
    return Row(n=first.n, sorted_ids=first.sorted_ids,
               setup_s={key: lo(lambda r: r.setup_s[key]) for key in first.setup_s},
               rss_mb=max(r.rss_mb for r in rs),
               none_us=lo(lambda r: r.none_us), none_raw_us=lo(lambda r: r.none_raw_us),
               none_block_us=[x for r in rs for x in r.none_block_us],
               k_us={k: lo(lambda r: r.k_us[k]) for k in first.k_us},
               k_all_us={k: [x for r in rs for x in r.k_all_us[k]] for k in first.k_all_us},
               k_fund_us={k: lo(lambda r: r.k_fund_us[k]) for k in first.k_fund_us},
               scan_numpy_us=lo(lambda r: r.scan_numpy_us),
               scan_numpy_all_us=[x for r in rs for x in r.scan_numpy_all_us],
               scan_python_us=min(py) if py else None)


# -- report ------------------------------------------------------------------------------------
def table(rows: list[Row], ks: tuple[int, ...]) -> str:
    head = ["N", "setup s", "none us", "none raw us"]
    for k in ks:
        head.append(f"k={k} us (/acct)")
    head += ["scan numpy us", "scan/none"]
    for k in ks:
        head.append(f"scan/k={k}")
    body = []
    for r in rows:
        line = [f"{r.n:,}", f"{r.setup_s['total']:.2f}", f"{r.none_us:.2f}", f"{r.none_raw_us:.2f}"]
        for k in ks:
            line.append(f"{r.k_us[k]:.1f} ({r.per_account(k):.2f})")
        line += [f"{r.scan_numpy_us:,.0f}", f"{r.scan_numpy_us / r.none_us:,.0f}x"]
        for k in ks:
            line.append(f"{r.scan_numpy_us / r.k_us[k]:,.0f}x")
        body.append(line)
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    fmt = lambda cells: " | ".join(c.rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    return "\n".join([fmt(head), "-+-".join("-" * w for w in widths), *map(fmt, body)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                    help="numbers of open accounts (default 10^4 10^5 10^6)")
    ap.add_argument("--k", type=int, nargs="+", default=[10, 100], help="accounts triggered")
    ap.add_argument("--rounds", type=int, default=3,
                    help="fresh exchanges built and measured per N; each figure is the best "
                         "(lowest) of the rounds")
    ap.add_argument("--repeats", type=int, default=51,
                    help="timed updates per k (each liquidates k fresh accounts); median kept")
    ap.add_argument("--none-blocks", type=int, default=5,
                    help="blocks of timed no-trigger updates; the best block median is kept")
    ap.add_argument("--none-per-block", type=int, default=2001, help="timed updates per block")
    ap.add_argument("--fund-repeats", type=int, default=11,
                    help="timed k-updates with no bids (insurance fund takes over); 0 skips")
    ap.add_argument("--scan-repeats", type=int, default=7, help="timed numpy scans")
    ap.add_argument("--python-scan-max", type=int, default=10_000,
                    help="run the per-account Python scan for N up to this (default 10^4)")
    ap.add_argument("--sorted-ids", action="store_true",
                    help="account ids in LP order (default: a random permutation)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    args = ap.parse_args(argv)
    ks = tuple(args.k)
    log = lambda s: print(s, flush=True)  # noqa: E731

    log(f"liqsim {getattr(liqsim, '__version__', '?')}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, {platform.machine()} {platform.system()}")
    try:
        verify_scans()
        rows: list[Row] = []
        rounds: list[list[Row]] = []
        for n in args.n:
            need = args.repeats * sum(ks) + args.fund_repeats * sum(ks)
            if need > n:
                raise SystemExit(f"N={n} is too small for {need} triggered accounts")
            rounds.append([])
            for _ in range(args.rounds):
                rounds[-1].append(run_n(n, ks, args.repeats, args.none_blocks, args.none_per_block,
                                        args.scan_repeats, args.python_scan_max, args.fund_repeats,
                                        args.seed, args.sorted_ids, log))
                gc.collect()
            rows.append(best_of_rounds(rounds[-1]))
    except CheckFailed as e:
        print(f"CHECK FAILED: {e}", file=sys.stderr)
        return 1

    ids = "account ids in LP order" if args.sorted_ids else "account ids a random permutation of LP order"
    print()
    print(f"Per-update cost of Exchange.set_mark (us) vs a full margin scan of all accounts ({ids})")
    print(table(rows, ks))
    print()
    print(f"Every figure is the best of {args.rounds} rounds (a fresh exchange each) of:")
    print(f"none: set_mark to a mark above every LP, nothing triggered: median of "
          f"{args.none_per_block} calls, best of")
    print(f"  {args.none_blocks} blocks; none raw: the same through ex._engine.set_mark "
          "(ticks, no Python wrapper).")
    print(f"k=..: set_mark that liquidates exactly k accounts: median of {args.repeats}, each on "
          "k fresh accounts")
    print("  (their IOCs fill against bids placed untimed just before); (/acct) = that / k.")
    print(f"scan numpy: equity < maintenance for every account with numpy: median of "
          f"{args.scan_repeats}, fetching")
    print("  ex.positions(0) and ex.balances() inside; scan/x = scan time / update time.")
    if any(r.k_fund_us for r in rows) and args.fund_repeats:
        print()
        print("k-updates with no bids (the IOCs expire, the insurance fund takes over), median us:")
        for r in rows:
            print(f"  N={r.n:>9,}: " + ", ".join(
                f"k={k}: {r.k_fund_us[k]:.1f} ({r.per_account(k, True):.2f}/acct)" for k in ks))
    for r in rows:
        if r.scan_python_us is None:
            continue
        py = r.scan_python_us
        print()
        print(f"per-account Python scan (ex.account(a).liquidatable for all {r.n + 2:,} accounts, "
              f"N={r.n:,}): {py / 1e3:,.1f} ms = {py / r.none_us:,.0f}x the none-update, "
              f"{py / r.scan_numpy_us:,.0f}x the numpy scan")
    print()
    print("setup, s (add_accounts + deposit_batch + submit_batch of the N buys; memory the build added):")
    for r in rows:
        print(f"  N={r.n:>9,}: {r.setup_s['total']:.2f} = add_accounts {r.setup_s['add_accounts']:.3f} "
              f"+ deposit_batch {r.setup_s['deposit_batch']:.3f} + submit_batch "
              f"{r.setup_s['submit_batch']:.3f} (+ the rest); RSS +{r.rss_mb:,.0f} MB")
    print(f"peak RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"ks": list(ks), "args": vars(args), "rows": [asdict(r) for r in rows],
                       "rounds": [[asdict(r) for r in rs] for rs in rounds]}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
