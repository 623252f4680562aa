"""Do bids at the DCB's first reopening start the nov21 feedback loop? A test of the association
in docs/experiments.md ("What starts the loop on seeds 4-6").

A Python agent places `usd` of limit bids 0.2-0.8% below the mark at its first turn after the
first halt ends (turns every 0.25 s), once. A do-nothing agent of the same interval is the
control (`usd` = 0: the same run as without agents). The script prints per seed and amount the
day's liquidation notional, what the insurance fund sold back and the drawdown.

Run: python examples/dcb_reopen_bids.py [SEEDS] [AMOUNTS]   (default seeds 0,1,2,3,7 and
0,20000,100000 USD; ~25 s on 2 cores)
"""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Mapping

import numpy as np
import pandas as pd

import liqsim
from liqsim import EventType, Reason
from liqsim.agents import MarketView, PythonAgent
from liqsim.policies import get_policy
from liqsim.report import format_table


class BidsAfterFirstHalt(PythonAgent):
    """Four equal limit bids at 0.2, 0.4, 0.6 and 0.8% below the mark, `usd` in all, at the first
    turn after the first halt has ended."""

    dt = 0.25

    def __init__(self, usd: float) -> None:
        self.usd = usd
        self.account = -1
        self.seen_halt = False
        self.done = False

    def setup(self, sim: liqsim.Simulation) -> None:
        self.account = sim.exchange.add_account()
        sim.exchange.deposit(self.account, max(1.0, 10 * self.usd))

    def act(self, view: MarketView) -> Mapping[str, Any] | None:
        if view.halted:
            self.seen_halt = True
            return None
        if self.done or not self.seen_halt or self.usd <= 0 or not np.isfinite(view.mark):
            return None
        self.done = True
        tick = view.exchange.instrument(0).tick_size
        lot = view.exchange.instrument(0).lot_size
        prices = np.floor(view.mark * (1 - np.array([0.002, 0.004, 0.006, 0.008])) / tick).astype(np.int64)
        qty = np.maximum(1, np.round(self.usd / 4 / (prices * tick) / lot)).astype(np.int64)
        return {"instrument": 0, "account": self.account, "side": liqsim.Side.BUY,
                "kind": liqsim.Kind.LIMIT, "price": prices, "qty": qty}


def one(args: tuple[int, float]) -> dict[str, float]:
    """nov21 under the DCB with the agent placing `usd` of bids, one seed."""
    seed, usd = args
    sc = liqsim.scenarios.get("nov21-2025")
    dcb = get_policy("dcb")
    sim = liqsim.Simulation(sc, seed, breakers=dcb.breakers_for(sc), risk=dcb.risk_for(sc),
                            agents=[BidsAfterFirstHalt(usd)])
    sim.run()
    ev, m, ctx = sim.events(), sim.metrics(), sim.run_context()
    unwind = ev[(ev["type"] == EventType.FILL) & (ev["code"] == int(Reason.BACKSTOP_UNWIND))]
    sold = float((unwind["price"].astype(np.float64) * unwind["qty"]).sum())
    return {"seed": seed, "bids $": usd, "liq $M": m["liquidation_notional"] / 1e6,
            "fund sold back $M": sold * ctx.cash_per_tick_lot * ctx.cash_unit / 1e6,
            "max_drawdown": m["max_drawdown"]}


def main() -> None:
    seeds = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "0,1,2,3,7").split(",")]
    amounts = [float(a) for a in (sys.argv[2] if len(sys.argv) > 2 else "0,20000,100000").split(",")]
    with ProcessPoolExecutor(2) as pool:
        rows = list(pool.map(one, [(s, a) for s in seeds for a in amounts]))
    print(format_table(pd.DataFrame(rows).round(3), index=False))


if __name__ == "__main__":
    main()
