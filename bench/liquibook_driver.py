"""Drive LiquiBook (PyPI `liquibook`, a SWIG wrapper of the C++ LiquiBook) with a liqsim workload.

One Python call per row, the way a Python user drives that package:

* NEW GTC:  `book.add(SimpleOrder(is_buy, price, qty), 0)`
* NEW IOC:  `book.add(SimpleOrder(is_buy, price, qty, 0, oc_immediate_or_cancel), oc_immediate_or_cancel)`
* CANCEL:   `book.cancel(order)`, with the `SimpleOrder` object kept from its `add` (LiquiBook
  cancels by order object, not by id; a cancel of an order that is already filled gets the
  listener's `on_cancel_reject(order, "not found")`, liqsim's CANCEL_REJECT TOO_LATE).

Fills are counted by an `OrderListener` subclass (`FillCounter`): LiquiBook calls its `on_fill`
once per maker/taker match at the maker's price, the same unit as a liqsim FILL event, so fill
counts and traded volumes of the two engines must be equal.

What the wrapper cannot do, and the workarounds (liquibook 2.0.1):

1. The IOC flag on the order is ignored. `OrderTracker`'s constructor ORs the order's own
   conditions into its *parameter* instead of its member, so `SimpleOrder(..., conditions=
   oc_immediate_or_cancel)` alone rests the unfilled remainder as a GTC. Workaround: pass the
   condition to `add(order, conditions)` too (done here; checked fill-by-fill against an
   independent matcher).
2. Fills cannot be caught by subclassing the book in Python. Overriding `on_fill` of
   `DepthOrderBook` (a SWIG director) replaces the C++ method that keeps the depth, which then
   throws "Unexpected ignore_*_fill_qty_" (printed by LiquiBook on stderr), and after some
   thousands of orders the director fails ("SWIG director method error ... perform_callback",
   then `SystemError` out of `add`). There is no Python `TradeListener` class either.
   Workaround: `set_order_listener` with an `OrderListener` subclass. All its pure virtual
   methods must be defined in Python, so every accept, cancel and cancel-reject costs a Python
   call too, not only the fills (`FillCounter` counts them, nearly free once the call is made).
3. `DepthOrderBook` (the class the package's README uses) keeps a top-5 depth that goes wrong
   after IOCs: an IOC that is not completely filled is added to the depth with its full
   quantity and its expiry then closes it with qty 0, so when other orders rest at its price the
   level keeps the IOC's unfilled lots (e.g. bid 3 lots @101 resting, IOC buy 10 @101 with no
   asks: the depth then shows 13 lots @101, 1 order). Matching itself (the bids/asks maps) is
   right. The default here is the bare `OrderBook` (`liquibook_book_OrderBook`,
   `book="plain"`), which keeps no depth; `book="depth"` runs `DepthOrderBook`.
   bench_matching.py times both and takes the faster as its baseline.
4. No batch entry point: the C++ book is reachable only one order at a time from Python.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

try:  # the benchmark runs without it (liquibook figures are then skipped)
    import liquibook
except ImportError:  # pragma: no cover - depends on the machine
    liquibook = None

_LIST_COLUMNS = ("cmd", "order_id", "side", "kind", "price", "qty")


def available() -> bool:
    """True when the `liquibook` package can be imported."""
    return liquibook is not None


def version() -> str | None:
    """Installed version of the `liquibook` package, or None."""
    if liquibook is None:
        return None
    try:
        from importlib.metadata import version as _v
        return _v("liquibook")
    except Exception:  # pragma: no cover
        return "unknown"


if liquibook is not None:

    class FillCounter(liquibook.OrderListener):
        """Counts LiquiBook's order callbacks; fills and traded volume are what we compare."""

        def __init__(self) -> None:
            super().__init__()
            self.fills = 0
            self.volume = 0
            self.accepts = 0
            self.cancels = 0          # includes the IOC remainders LiquiBook cancels
            self.cancel_rejects = 0
            self.rejects = 0

        def on_accept(self, order):
            self.accepts += 1

        def on_reject(self, order, reason):
            self.rejects += 1

        def on_fill(self, order, matched_order, fill_qty, fill_price):
            self.fills += 1
            self.volume += fill_qty

        def on_cancel(self, order):
            self.cancels += 1

        def on_cancel_reject(self, order, reason):
            self.cancel_rejects += 1

        def on_replace(self, order, size_delta, new_price):
            pass

        def on_replace_reject(self, order, reason):
            pass


@dataclass
class LiquibookRun:
    """Outcome of one run over a workload."""

    rows: int
    seconds: float
    fills: int
    volume: int
    accepts: int
    cancels: int
    cancel_rejects: int
    rejects: int

    @property
    def ns_per_order(self) -> float:
        return self.seconds / self.rows * 1e9 if self.rows else float("nan")

    @property
    def orders_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def as_lists(w: dict[str, np.ndarray]) -> tuple[list, ...]:
    """The columns the per-order drivers read, as Python lists (convert once, outside timing)."""
    return tuple(w[k].tolist() for k in _LIST_COLUMNS)


def make_book(book: str = "plain"):
    """A fresh LiquiBook book with a `FillCounter` attached: ("depth" | "plain") -> (book, counter)."""
    if liquibook is None:
        raise RuntimeError("the liquibook package is not installed (pip install liquibook)")
    if book == "depth":
        b = liquibook.DepthOrderBook()
    elif book == "plain":
        b = liquibook.liquibook_book_OrderBook()
    else:
        raise ValueError(f"book must be 'depth' or 'plain', got {book!r}")
    b.set_symbol("X")
    counter = FillCounter()
    b.set_order_listener(counter)
    return b, counter


def run_liquibook(w: dict[str, np.ndarray] | tuple[list, ...], book: str = "plain") -> LiquibookRun:
    """Feed every row of a workload to a fresh LiquiBook book, one Python call per row.

    `w` is a workload dict or the output of `as_lists(w)` (pass the lists when timing, so the
    numpy-to-list conversion is not timed). The timed part is the loop only.
    """
    cols = as_lists(w) if isinstance(w, dict) else w
    b, counter = make_book(book)
    SimpleOrder = liquibook.SimpleOrder
    IOC = liquibook.oc_immediate_or_cancel
    add, cancel = b.add, b.cancel
    resting: dict[int, object] = {}   # order id -> SimpleOrder of every GTC not cancelled yet
    t0 = time.perf_counter()
    for c, oid, s, k, p, q in zip(*cols):
        if c == 0:
            if k == 0:
                o = SimpleOrder(s > 0, p, q)
                add(o, 0)
                resting[oid] = o
            else:
                # the condition must go to add(): the order's own flag is ignored (see above)
                add(SimpleOrder(s > 0, p, q, 0, IOC), IOC)
        else:
            cancel(resting.pop(oid))
    seconds = time.perf_counter() - t0
    return LiquibookRun(len(cols[0]), seconds, counter.fills, counter.volume, counter.accepts,
                        counter.cancels, counter.cancel_rejects, counter.rejects)


if __name__ == "__main__":
    import argparse

    from workload import make_workload

    ap = argparse.ArgumentParser(description="run the standard workload through liquibook")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--book", choices=("plain", "depth"), default="plain")
    args = ap.parse_args()
    cols = as_lists(make_workload(args.n))
    r = run_liquibook(cols, args.book)
    print(f"liquibook {version()} ({args.book}): {r.rows:,} rows in {r.seconds:.3f} s = "
          f"{r.ns_per_order:,.0f} ns/order; fills {r.fills:,}, volume {r.volume:,}, "
          f"cancel rejects {r.cancel_rejects:,}")
