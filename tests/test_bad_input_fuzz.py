"""Any Python value in any argument of the single-command API: the call either works or raises
one of the package's own errors, and a call that raises changes nothing (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import liqsim

# Values a caller might pass by mistake: ints of every size, floats with NaN/inf, bools,
# strings, None, numpy scalars, containers.
ANY = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2**31, 2**32, 2**62 - 1, 2**62, 2**63 - 1, 2**63, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 1.0, 100.0, 1e300, -0.0, math.nan, math.inf]),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.sampled_from([np.int64(5), np.float32(1.5), np.bool_(True), np.uint8(200), [1], (1, 2), {}]),
)


def exchange() -> liqsim.Exchange:
    ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig())
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001)
    ex.add_accounts(3)
    ex.deposit(0, 1e6)
    ex.deposit(1, 1e6)
    ex.submit(0, 0, "buy", 99, 1.0, order_id=1)
    ex.submit(0, 1, "sell", 101, 1.0, order_id=2)
    return ex


def state(ex: liqsim.Exchange) -> tuple:
    return (tuple(map(tuple, ex.depth(0, 50).values())), tuple(ex.positions(0)),
            tuple(ex.balances().tolist()), ex.now, ex._engine.next_order_id, ex._engine.pending_events,
            ex.trading_state(0), ex.insurance_fund)


CALLS = {
    "submit": lambda ex, a: ex.submit(a[0], a[1], a[2], a[3], a[4], kind=a[5], reduce_only=a[6],
                                      order_id=a[7], ts=a[8]),
    "submit_ticks": lambda ex, a: ex.submit_ticks(a[0], a[1], a[2], a[3], a[4], kind=a[5],
                                                  reduce_only=a[6], order_id=a[7], ts=a[8]),
    "cancel": lambda ex, a: ex.cancel(a[0], ts=a[1]),
    "amend": lambda ex, a: ex.amend(a[0], price=a[1], qty=a[2], ts=a[3]),
    "deposit": lambda ex, a: ex.deposit(a[0], a[1], ts=a[2]),
    "withdraw": lambda ex, a: ex.withdraw(a[0], a[1], ts=a[2]),
    "halt": lambda ex, a: ex.halt(a[0], a[1], ts=a[2]),
    "advance": lambda ex, a: ex.advance(a[0]),
    "set_mark": lambda ex, a: ex.set_mark(a[0], a[1], ts=a[2]),
    "depth": lambda ex, a: ex.depth(a[0], a[1]),
    "order": lambda ex, a: ex.order(a[0]),
    "position": lambda ex, a: ex.position(a[0], a[1]),
    "entry_price": lambda ex, a: ex.entry_price(a[0], a[1]),
    # one row, so a bad row means nothing applied
    "submit_batch": lambda ex, a: ex.submit_batch(order_id=[a[0]], side=a[1], price=a[2], qty=a[3],
                                                  account=a[4], kind=a[5], cmd=a[6], instrument=a[7]),
}


@settings(max_examples=400, deadline=None)
@given(name=st.sampled_from(sorted(CALLS)), args=st.lists(ANY, min_size=9, max_size=9),
       keep=st.lists(st.booleans(), min_size=9, max_size=9))
def test_any_value_works_or_raises_a_package_error_and_changes_nothing(name, args, keep):
    ex = exchange()
    # Keep some arguments sensible so calls get past the first check and reach deeper ones.
    sensible = [0, 0, "buy", 100.0, 0.001, "limit", False, None, None]
    if name in ("cancel", "amend", "order"):
        sensible = [1, None, None, None] + sensible[4:]
    if name in ("deposit", "withdraw"):
        sensible = [0, 1.0, None] + sensible[3:]
    if name == "submit_batch":
        sensible = [10, 1, 100, 1, 0, 0, 0, 0, None]
    a = [s if k else v for s, v, k in zip(sensible, args, keep)]
    before = state(ex)
    try:
        CALLS[name](ex, a)
        event(f"{name}: ok")
    except liqsim.LiqsimError as e:
        event(f"{name}: {type(e).__name__}")
        assert state(ex) == before
    # Anything else (TypeError, OverflowError, IndexError, a crash) fails the test.
