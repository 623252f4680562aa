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
