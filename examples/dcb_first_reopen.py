"""What differs at the DCB's first reopening between the nov21 seeds it helps and the ones it
hurts (docs/experiments.md, "what puts seeds 4-6 on the bad path").

Per seed under `dcb`: when the first halt started, the notional the insurance fund took over
during it, the bid depth within 1% of the mid a few seconds before the halt and at the
reopening, what the fund sold back in the 5 minutes after that reopening, whether the book
halted again within 60 s, the number of halts and the day's liquidation notional.

Run: python examples/dcb_first_reopen.py [SEEDS] [JOBS]   (default 8 seeds, 2 jobs; ~40 s)
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

import liqsim
from liqsim import EventType, Reason
from liqsim.report import format_table

NS = 1_000_000_000


def first_reopening(seed: int) -> dict[str, float]:
    """One seed's numbers around its first DCB halt and reopening (USD in millions)."""
    res = liqsim.run("nov21-2025", "dcb", seed)
    ev, ctx, ts = res.events, res.context, res.timeseries
    assert ev is not None and ctx is not None
    usd = ctx.cash_per_tick_lot * ctx.cash_unit
    state = ev[(ev["type"] == EventType.STATE) & (ev["instrument"] == ctx.perp)]
    halts, reopens = state[state["side"] == 1], state[state["side"] == 0]
    h0, r0 = int(halts["ts"][0]), int(reopens["ts"][0])

    def notional_m(sel: np.ndarray) -> float:
        return float((sel["price"].astype(np.float64) * sel["qty"]).sum() * usd / 1e6)

    def depth_m(t_s: float) -> float:
        return float(ts["depth_bid_1pct"].iloc[int((ts["t"] - t_s).abs().argmin())]) / 1e6

    took = ev[(ev["type"] == EventType.TAKEOVER) & (ev["ts"] >= h0) & (ev["ts"] <= r0)]
    sold = ev[(ev["type"] == EventType.FILL) & (ev["code"] == int(Reason.BACKSTOP_UNWIND))
              & (ev["ts"] >= r0) & (ev["ts"] <= r0 + 300 * NS)]
    return {
        "seed": seed,
        "first halt (s)": h0 / NS,
        "taken over in it $M": notional_m(took),
        "bid depth 1% before $M": depth_m(h0 / NS - 5),
        "bid depth 1% at reopening $M": depth_m(r0 / NS),
        "fund sold in 5 min after $M": notional_m(sold),
        "halted again within 60 s": int(((halts["ts"] >= r0) & (halts["ts"] <= r0 + 60 * NS)).sum() > 0),
        "halts": len(halts),
        "liq $M": res.metrics["liquidation_notional"] / 1e6,
    }


def main() -> None:
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with ProcessPoolExecutor(jobs) as pool:
        rows = list(pool.map(first_reopening, range(seeds)))
    print(format_table(pd.DataFrame(rows).round(3), index=False))


if __name__ == "__main__":
    main()
