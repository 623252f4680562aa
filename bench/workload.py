"""The standard matching workload of the liqsim benchmark (deterministic, one instrument).

`make_workload(n, seed)` returns the orders as liqsim batch columns (numpy arrays, the dtypes
`Exchange.submit_batch` reads), so the same rows can be fed to liqsim in one call, to liqsim one
call per order, to liquibook and to the pure-Python reference matcher.

The stream, row by row (row i = 0 .. n-1):

* the mid starts at 100,000 ticks and moves by -1, 0 or +1 (uniform) before rows 100, 200, ...
  (before every 100th order);
* 60%: a GTC limit (kind 0), side uniform, `d = min(geometric(0.25), 50)` ticks (d >= 1) away
  from the mid on its own side (buy at mid - d, sell at mid + d), qty uniform 1..100 lots;
* 25%: a cancel (cmd 1) of a live order chosen uniformly, where live = a GTC emitted by the
  generator and not cancelled by it yet. The generator does not know what was filled, so some
  cancels hit orders that are already done: the engine answers CANCEL_REJECT (TOO_LATE). When
  no order is live yet, the row is a GTC instead;
* 15%: an IOC limit (kind 1), side uniform, buy at mid + 10, sell at mid - 10, qty uniform
  1..250 lots.

NEW rows get order id `row + 1`; accounts go round robin over `N_ACCOUNTS` (self-trade
prevention is off, so they only matter for positions); `ts = row` ns. A cancel row carries the
cancelled order's id, account, side and price, with qty 0 (the engine reads only the id).

All the randomness is drawn up front as one (n, 6) block of uniforms from
`numpy.random.Generator(PCG64(seed))`, one row of six per order, so `make_workload(m, s)` is
exactly the first m rows of `make_workload(n, s)` for m <= n (the reference run uses a prefix).
Integers are derived as floor(u * k), the geometric distance by inversion; the only Python loop
is the bookkeeping of live orders (a swap-remove list), about 1 s for 1M rows.
"""

from __future__ import annotations

import math

import numpy as np

MID0 = 100_000          # starting mid, ticks
N_ACCOUNTS = 1000       # accounts used round robin
P_GTC, P_CANCEL = 0.60, 0.25   # the rest (0.15) are IOCs
GEOM_P = 0.25           # distance of a GTC from the mid: min(geometric(GEOM_P), MAX_D)
MAX_D = 50
IOC_OFFSET = 10         # IOC limit: mid +/- this, on the crossing side
GTC_QMAX, IOC_QMAX = 100, 250

CMD_NEW, CMD_CANCEL = 0, 1
KIND_LIMIT, KIND_IOC = 0, 1

COLUMNS = ("cmd", "instrument", "order_id", "account", "side", "kind", "price", "qty", "ts")


def make_workload(n: int = 1_000_000, seed: int = 0) -> dict[str, np.ndarray]:
    """The standard workload as a dict of batch columns (see the module docstring)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    rng = np.random.Generator(np.random.PCG64(seed))
    u = rng.random((n, 6))
    u_type, u_side, u_qty, u_dist, u_mid, u_pick = (u[:, j] for j in range(6))

    rows = np.arange(n, dtype=np.int64)
    # mid: moves before rows 100, 200, ... (the move for block b is drawn on row 100 * b)
    block = rows // 100
    step = np.floor(u_mid[::100] * 3).astype(np.int64) - 1      # one per block of 100 rows
    if n:
        step[0] = 0                                             # no move before row 0
    mid = MID0 + np.cumsum(step)[block]

    side = np.where(u_side < 0.5, 1, -1).astype(np.int8)
    kind_draw = np.where(u_type < P_GTC, 0, np.where(u_type < P_GTC + P_CANCEL, 1, 2))
    # GTC fields of every row (used too by a cancel that finds no live order)
    d = np.minimum(np.floor(np.log1p(-u_dist) / math.log1p(-GEOM_P)).astype(np.int64) + 1, MAX_D)
    gtc_price = mid - side.astype(np.int64) * d
    gtc_qty = np.floor(u_qty * GTC_QMAX).astype(np.int64) + 1
    ioc_price = mid + side.astype(np.int64) * IOC_OFFSET
    ioc_qty = np.floor(u_qty * IOC_QMAX).astype(np.int64) + 1

    cmd = np.zeros(n, np.uint8)
    kind = np.where(kind_draw == 2, KIND_IOC, KIND_LIMIT).astype(np.uint8)
    price = np.where(kind_draw == 2, ioc_price, gtc_price)
    qty = np.where(kind_draw == 2, ioc_qty, gtc_qty)
    order_id = rows + 1
    account = (rows % N_ACCOUNTS).astype(np.int32)

    # the only sequential part: which GTCs are live (swap-remove list of row numbers)
    live: list[int] = []
    pick = u_pick.tolist()
    kd = kind_draw.tolist()
    cancel_rows: list[int] = []
    cancel_targets: list[int] = []
    for i in range(n):
        k = kd[i]
        if k == 0:
            live.append(i)
        elif k == 1:
            m = len(live)
            if m == 0:                     # nothing to cancel yet: a GTC instead
                live.append(i)
                continue
            j = int(pick[i] * m)
            t = live[j]
            live[j] = live[-1]
            live.pop()
            cancel_rows.append(i)
            cancel_targets.append(t)
    cr = np.asarray(cancel_rows, dtype=np.int64)
    ct = np.asarray(cancel_targets, dtype=np.int64)
    cmd[cr] = CMD_CANCEL
    order_id[cr] = ct + 1
    account[cr] = account[ct]
    side[cr] = side[ct]
    price[cr] = price[ct]
    kind[cr] = KIND_LIMIT
    qty[cr] = 0

    return {
        "cmd": cmd,
        "instrument": np.zeros(n, np.int32),
        "order_id": order_id.astype(np.int64),
        "account": account,
        "side": side,
        "kind": kind,
        "price": price.astype(np.int64),
        "qty": qty.astype(np.int64),
        "ts": rows.copy(),
    }


def prefix(w: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    """The first n rows of a workload (same as make_workload(n, seed) for the same seed)."""
    return {k: v[:n] for k, v in w.items()}


def summary(w: dict[str, np.ndarray]) -> dict[str, int]:
    """Row counts by command/kind, for printing."""
    new = w["cmd"] == CMD_NEW
    return {
        "rows": int(len(w["cmd"])),
        "gtc": int(np.count_nonzero(new & (w["kind"] == KIND_LIMIT))),
        "ioc": int(np.count_nonzero(new & (w["kind"] == KIND_IOC))),
        "cancel": int(np.count_nonzero(w["cmd"] == CMD_CANCEL)),
        "accounts": N_ACCOUNTS,
    }


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    w = make_workload()
    print(f"make_workload(1_000_000): {time.perf_counter() - t0:.2f} s", summary(w))
