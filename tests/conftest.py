"""Shared fixtures: a one-instrument exchange in whole units (1 tick = 1 lot = 1 cash unit)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

# CI explores a fixed set of examples (the same ones every run), so a green run on a developer
# machine with CI=true predicts CI; locally, hypothesis keeps exploring new random examples.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

import liqsim


@pytest.fixture
def ex() -> liqsim.Exchange:
    """Exchange with instrument 0 on a unit grid, no STP, and accounts 0, 1, 2."""
    e = liqsim.Exchange()
    e.add_instrument("X", tick_size=1.0, lot_size=1.0, cash_unit=1.0)
    e.add_accounts(3)
    return e


def brief(events: np.ndarray) -> list[tuple]:
    """Events as (TYPE, reason-or-code, order_id, other_order_id, price, qty, leaves)."""
    out = []
    for e in events:
        t = liqsim.EventType(int(e["type"])).name
        code = int(e["code"])
        if t in ("REJECT", "CANCEL", "EXPIRE", "CANCEL_REJECT", "AMEND_REJECT"):
            code = liqsim.Reason(code).name
        out.append((t, code, int(e["order_id"]), int(e["other_order_id"]), int(e["price"]),
                    int(e["qty"]), int(e["leaves"])))
    return out


def setup_liquidation(insurance: float, bid: float | None, adl_rule: str = "pnl_leverage"):
    """A hand-computable liquidation (test_clearing, test_analysis). Units: 1 tick = 1 USD, 1 lot
    = 0.001 BTC, 1 cash unit = 0.001 USD. L: long 0.5 BTC @ 50,000 on 5,000 USD (bankrupt at
    40,000). W long 0.5, S1 short 0.6 (30,000 USD), S2 short 0.4 (5,000 USD), all at 50,000; M
    a market maker bidding `bid` for 0.5 (none if None); mark source external, at 50,000.
    Returns the exchange with its events drained, and (L, W, S1, S2, M)."""
    ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig(adl_rule=adl_rule, clearance_fee=0.005))
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, mark_source="external")
    L, W, S1, S2, M = (ex.add_account() for _ in range(5))
    for acct, usd in ((L, 5_000), (W, 100_000), (S1, 30_000), (S2, 5_000), (M, 1_000_000)):
        ex.deposit(acct, usd)
    ex.fund_insurance(insurance)
    ex.submit(0, S1, "sell", 50_000, 0.6)
    ex.submit(0, L, "buy", 50_000, 0.5)
    ex.submit(0, W, "buy", 50_000, 0.1)
    ex.submit(0, S2, "sell", 50_000, 0.4)
    ex.submit(0, W, "buy", 50_000, 0.4)
    if bid is not None:
        ex.submit(0, M, "buy", bid, 0.5)
    ex.set_mark(0, 50_000)
    ex.drain_events()
    return ex, (L, W, S1, S2, M)
