"""Where a breaker's liquidations went, seed by seed: halted takeovers, bursts after reopenings,
the backstop selling back what it took over (docs/experiments.md, "why the DCB liquidates more
on some seeds").

Run: python examples/dcb_seeds.py [SCENARIO] [POLICY] [SEEDS]   (default nov21-2025 dcb 8)
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

import liqsim
from liqsim import EventType, Reason
from liqsim.analysis import summarize
from liqsim.report import format_table


def breakdown(res: liqsim.RunResult, burst_s: float = 30.0) -> dict[str, float]:
    """One run: its liquidation notional, the shares closed while halted and within `burst_s`
    after a reopening, what the backstop took over and sold back, and the fund's drawdown."""
    liq = res.liquidations()
    ev, ctx = res.events, res.context
    assert ev is not None and ctx is not None

    def usd_m(sel: np.ndarray) -> float:
        notional = ev["price"][sel].astype(np.float64) * ev["qty"][sel]
        return float(notional.sum() * ctx.cash_per_tick_lot * ctx.cash_unit / 1e6)

    closed = liq["closed_notional_usd"]
    total = float(closed.sum())
    unwind = (ev["type"] == int(EventType.FILL)) & (ev["code"] == int(Reason.BACKSTOP_UNWIND))
    return {
        "seed": res.seed,
        "liq $M": total / 1e6,
        "closed while halted": float(closed[liq["halted"]].sum()) / total if total > 0 else float("nan"),
        f"closed <= {burst_s:g} s after a reopening": summarize(liq, burst_s=burst_s)["reopen_burst_share"],
        "taken over $M": usd_m(ev["type"] == int(EventType.TAKEOVER)),
        "backstop unwind $M": usd_m(unwind),
        "insurance_fund_drawdown": res.metrics["insurance_fund_drawdown"],
        "max_drawdown": res.metrics["max_drawdown"],
    }


def main() -> None:
    scenario = sys.argv[1] if len(sys.argv) > 1 else "nov21-2025"
    policy = sys.argv[2] if len(sys.argv) > 2 else "dcb"
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    rows = [breakdown(liqsim.run(scenario, policy, seed)) for seed in range(seeds)]
    print(f"{scenario} under {policy}")
    print(format_table(pd.DataFrame(rows).round(3), index=False))


if __name__ == "__main__":
    main()
