"""Isolated margin: a position with its own collateral, its own liquidation price, liquidated
without touching the account's cross balance. Units as in test_clearing.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import liqsim
from liqsim import EventType


def setup(iso_margin: float, qty: float = 0.5):
    ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig())
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001, mark_source="external")
    mm, a = ex.add_account(), ex.add_account()
    ex.deposit(mm, 10_000_000)
    ex.deposit(a, 20_000)
    ex.fund_insurance(100_000)
    ex.set_margin_mode(a, 0, "isolated")
    ex.add_margin(a, 0, iso_margin)
    ex.submit(0, mm, "sell", 50_000, qty)
    ex.submit(0, a, "buy", 50_000, qty)
    ex.set_mark(0, 50_000)
    ex.drain_events()
    return ex, mm, a


def test_isolated_liquidation_price_uses_only_the_positions_collateral():
    ex, mm, a = setup(5_000)
    # LP = (WB + cum - Q*EP) / (Q*MMR - Q) with WB = the isolated 5,000, not the 20,000 deposit
    assert ex.liquidation_price(a, 0) == pytest.approx(20_000 / 0.498)
    assert ex.bankruptcy_price(a, 0) == pytest.approx(40_000)
    pos = ex.isolated_position(a, 0)
    assert pos.wallet == pytest.approx(5_000) and pos.equity == pytest.approx(5_000)
    assert ex.account(a).cash == pytest.approx(15_000)  # the cross balance
    assert ex.ledger_total() == 0


def test_isolated_liquidation_price_across_brackets():
    ex, mm, a = setup(15_000, qty=1.1)  # 55k notional: bracket 2, re-solved in bracket 1
    assert ex.liquidation_price(a, 0) == pytest.approx(40_000 / (1.1 * 0.996))


def test_isolated_position_is_liquidated_alone_and_the_cross_balance_survives():
    ex, mm, a = setup(5_000)
    ex.submit(0, mm, "buy", 40_100, 0.5)
    ex.drain_events()
    ex.set_mark(0, 40_150)  # isolated equity 75 < maintenance 80.3
    ev = ex.drain_events()
    liq = ev[ev["type"] == EventType.LIQUIDATION]
    assert liq["account"].tolist() == [a] and liq["instrument"].tolist() == [0]
    assert ex.position(a, 0) == 0
    assert ex.isolated_position(a, 0).cash == 0  # 50 surplus went to the fund as clearance fee
    assert ex.account(a).cash == pytest.approx(15_000)
    assert ex.insurance_fund == pytest.approx(100_050)
    assert ex.ledger_total() == 0


def test_margin_mode_and_margin_moves_are_checked():
    ex, mm, a = setup(5_000)
    with pytest.raises(liqsim.InvalidOrderError, match="no position"):
        ex.set_margin_mode(a, 0, "cross")
    with pytest.raises(liqsim.InsufficientFundsError):
        ex.add_margin(a, 0, 15_001)
    with pytest.raises(liqsim.InsufficientFundsError):
        ex.remove_margin(a, 0, 4_950)  # free = 5,000 - IM 200
    ex.remove_margin(a, 0, 4_800)
    assert ex.isolated_position(a, 0).wallet == pytest.approx(200)
    with pytest.raises(liqsim.InvalidConfigError):
        ex.set_margin_mode(a, 0, "portfolio")
    assert ex.ledger_total() == 0


def test_isolated_order_needs_isolated_collateral():
    ex = liqsim.Exchange(cash_unit=0.001, risk=liqsim.RiskConfig())
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001)
    mm, a = ex.add_account(), ex.add_account()
    ex.deposit(mm, 10_000_000)
    ex.deposit(a, 20_000)
    ex.set_margin_mode(a, 0, "isolated")
    ex.submit(0, mm, "sell", 50_000, 1.0)
    ex.submit(0, a, "buy", 50_000, 0.1)  # the 20,000 cross balance does not back it
    ev = ex.drain_events()
    assert ev["code"][ev["type"] == EventType.REJECT].tolist() == [liqsim.Reason.INSUFFICIENT_MARGIN]


@pytest.mark.parametrize("risk", [None, liqsim.RiskConfig()], ids=["matching-only", "risk-on"])
def test_margin_mode_waits_until_the_account_has_no_resting_orders(risk):
    # Without risk the book keeps no per-account order lists or open quantities and "has
    # orders" walks the book; with risk it reads the open quantity. Both must follow cancels
    # and fills.
    ex = liqsim.Exchange(cash_unit=0.001, risk=risk)
    ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001)
    a, b = ex.add_account(), ex.add_account()
    ex.deposit(a, 1_000_000)
    ex.deposit(b, 1_000_000)
    bid = ex.submit(0, a, "buy", 50_000, 0.2)
    ask = ex.submit(0, a, "sell", 51_000, 0.1)
    ex.cancel(bid)
    with pytest.raises(liqsim.InvalidOrderError, match="no open orders"):
        ex.set_margin_mode(a, 0, "isolated")  # the ask still rests
    ex.submit(0, b, "buy", 51_000, 0.1, kind="ioc")  # fills the ask: a is now short, no orders
    with pytest.raises(liqsim.InvalidOrderError, match="no position"):
        ex.set_margin_mode(a, 0, "isolated")
    ex.submit(0, a, "buy", 51_000, 0.1)  # rests: b sold nothing
    ex.submit(0, b, "sell", 51_000, 0.1, kind="ioc")  # a back to flat, nothing resting
    ex.set_margin_mode(a, 0, "isolated")
    ex.set_margin_mode(a, 0, "cross")
    assert ex.ledger_total() == 0


_ROW = st.tuples(st.sampled_from(["new", "new", "new", "cancel", "amend"]), st.integers(0, 3),
                 st.sampled_from(["buy", "sell"]), st.sampled_from(["limit", "limit", "ioc"]),
                 st.integers(-3, 3), st.integers(1, 40), st.integers(0, 10**6))


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_ROW, min_size=1, max_size=80))
def test_initial_margin_counts_resting_orders_with_and_without_risk(rows):
    # Initial margin covers the worse of position + resting buys and position - resting sells.
    # With risk the book keeps each account's resting totals as orders change; without it, it
    # recounts them when asked after a change. The two must agree after any command.
    exs = [liqsim.Exchange(cash_unit=0.001, risk=r) for r in (None, liqsim.RiskConfig())]
    for ex in exs:
        ex.add_instrument("BTC", tick_size=1.0, lot_size=0.001)
        ex.add_accounts(4)
        for a in range(4):
            ex.deposit(a, 10_000_000)
    ids: list[int] = []
    for cmd, acct, side, kind, ticks, lots, pick in rows:
        for ex in exs:
            if cmd == "new":
                oid = ex.submit(0, acct, side, 50_000 + ticks, lots * 0.001, kind=kind)
            elif ids:
                target = ids[pick % len(ids)]
                try:
                    if cmd == "cancel":
                        ex.cancel(target)
                    else:
                        ex.amend(target, qty=(pick % 30 + 1) * 0.001)
                except liqsim.LiqsimError:
                    pass
        if cmd == "new":
            ids.append(oid)
        states = [[ex.account(a) for a in range(4)] for ex in exs]
        assert [s.initial_margin for s in states[0]] == [s.initial_margin for s in states[1]]
    assert exs[0].drain_events().tobytes() == exs[1].drain_events().tobytes()
