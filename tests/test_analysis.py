"""Per-liquidation analysis (`liqsim.analysis`): hand-computed rows from real liquidations, and
attribution and halt timing on a hand-written event log.

Units in the exchange cases (conftest.setup_liquidation): 1 tick = 1 USD, 1 lot = 0.001 BTC,
1 cash unit = 0.001 USD.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import liqsim
from conftest import setup_liquidation
from liqsim import EventType, Reason
from liqsim.analysis import LIQUIDATION_COLUMNS, SUMMARY_NAMES, liquidation_table, summarize
from liqsim.metrics import RunContext, liquidation_notional

CTX = RunContext(cash_unit=0.001, perp=0, cash_per_tick_lot=1, shock_start=0.0,
                 exogenous_notional=0.0, duration=10.0)


def liquidated(insurance: float, bid: float | None, mark: float) -> np.ndarray:
    """The events after the mark of `setup_liquidation`'s market moves to `mark`."""
    ex, _ = setup_liquidation(insurance, bid)
    ex.set_mark(0, mark)
    return ex.drain_events()


def test_liquidation_in_the_book() -> None:
    ev = liquidated(insurance=1_000, bid=40_100, mark=40_150)
    t = liquidation_table(ev, CTX)
    assert list(t.columns) == list(LIQUIDATION_COLUMNS) and len(t) == 1
    row = t.iloc[0]
    assert row["account"] == 0 and row["scope"] == -1  # L, cross margin
    # equity 5,000 + 0.5 x (40,150 - 50,000) = 75; maintenance 0.5 x 40,150 x 0.4% = 80.3
    assert row["equity_usd"] == pytest.approx(75)
    assert row["maintenance_usd"] == pytest.approx(80.3)
    assert row["margin_ratio"] == pytest.approx(75 / 80.3)
    assert row["closed_notional_usd"] == pytest.approx(0.5 * 40_100)  # its IOC filled at the bid
    assert row["deficit_usd"] == 0 and not row["halted"] and math.isnan(row["since_reopen_s"])
    assert t["closed_notional_usd"].sum() == pytest.approx(liquidation_notional(ev, CTX))


def test_takeover_counts_as_the_close_and_leaves_no_deficit() -> None:
    ev = liquidated(insurance=5_000, bid=38_500, mark=39_000)  # no bid at 40,000: the fund takes over
    row = liquidation_table(ev, CTX).iloc[0]
    assert row["equity_usd"] == pytest.approx(-500)  # 5,000 + 0.5 x (39,000 - 50,000)
    assert row["margin_ratio"] == pytest.approx(-500 / 78)  # maintenance 0.5 x 39,000 x 0.4%
    assert row["closed_notional_usd"] == pytest.approx(0.5 * 40_000)  # at the bankruptcy price
    assert row["deficit_usd"] == 0  # taken over at bankruptcy: the fund bears the 500, not L


def test_adl_deficit_is_the_accounts_row() -> None:
    ev = liquidated(insurance=400, bid=None, mark=39_000)  # fund too small: ADL closes L
    row = liquidation_table(ev, CTX).iloc[0]
    assert row["equity_usd"] == pytest.approx(-500)
    assert row["closed_notional_usd"] == 0  # ADL fills are not forced closes
    assert row["deficit_usd"] == pytest.approx(500)
    s = summarize(liquidation_table(ev, CTX))
    assert s["underwater_share"] == 1 and s["deficit_usd"] == pytest.approx(500)
    assert math.isnan(s["underwater_notional_share"]) and math.isnan(s["reopen_burst_share"])


def log(*rows: tuple) -> np.ndarray:
    """Events from (seq, t_s, type, account, code, side, price, qty, cash, other_leaves
    [, other_account [, instrument]])."""
    ev = np.zeros(len(rows), dtype=liqsim.EVENT_DTYPE)
    for i, row in enumerate(rows):
        seq, t, typ, acct, code, side, price, qty, cash, other, *rest = row
        other_account, instrument = (*rest, 0, 0)[:2]
        ev[i] = (seq, int(t * 1e9), 0, 0, price, qty, 0, other, cash, acct, other_account, instrument,
                 code, int(typ), side)
    return ev


LIQ, FILL, STATE, BAD = EventType.LIQUIDATION, EventType.FILL, EventType.STATE, EventType.BAD_DEBT
TAKE = EventType.TAKEOVER
LC = int(Reason.LIQUIDATION)
IF = int(liqsim.SystemAccount.INSURANCE_FUND)
EVENTS = log(
    # seq, t,   type, acct, code, side, price, qty, cash,     other_leaves [, other_account, instrument]
    (1, 1.0, LIQ, 7, 0, 0, 0, 0, 50_000, 100_000),       # ratio 0.5, continuous, no halt yet
    (2, 1.0, FILL, 7, LC, -1, 100, 300, 0, 0),           # 30 USD closed by liquidation 1
    (3, 1.0, FILL, 7, 0, -1, 100, 999, 0, 0),            # a plain fill: not a forced close
    (4, 2.0, STATE, -1, 1, 1, 0, 0, 0, 0),               # halted
    (5, 3.0, LIQ, 8, 0, 0, 0, 0, -20_000, 10_000),       # ratio -2, during the halt
    (6, 3.0, TAKE, 8, 0, -1, 100, 100, 0, 0, IF),        # 10 USD taken over by the fund
    (7, 3.0, BAD, 8, 0, 0, 0, 0, 20_000, 0),             # ADL deficit of 20 USD ...
    (8, 3.0, BAD, 8, 0, 0, 0, 0, 5_000, 0, IF),          # ... 5 of which came back to the fund
    (9, 5.0, STATE, -1, 0, 1, 0, 0, 0, 0, 0, 1),         # another instrument halts: not the perp
    (10, 10.0, STATE, -1, 0, 0, 0, 0, 0, 0),             # the perp reopens at t = 10
    (11, 25.0, LIQ, 7, 0, 0, 0, 0, -1_000, 10_000),      # account 7 again, 15 s after it
    (12, 25.0, FILL, 7, LC, -1, 200, 500, 0, 0),         # 100 USD: the later liquidation's
    (13, 26.0, BAD, 9, 0, 0, 0, 0, 5_000, 0, IF),        # never liquidated: in no row
    (14, 30.0, BAD, 7, 0, 0, 0, 0, 3_000, 0, IF),        # account 7 trades itself under later
    (15, 80.0, LIQ, 9, 0, 0, 0, 0, 1_000, 0),            # no maintenance: ratio NaN
    (16, 90.0, STATE, -1, 1, 1, 0, 0, 0, 0),             # the perp halts again
    (17, 95.0, LIQ, 10, 0, 0, 0, 0, 500, 1_000),         # halted: no time since a reopening
)


def test_attribution_and_halt_timing() -> None:
    t = liquidation_table(EVENTS, CTX)
    assert t["seq"].tolist() == [1, 5, 11, 15, 17]
    assert t["t"].tolist() == [1.0, 3.0, 25.0, 80.0, 95.0]
    assert t["account"].tolist() == [7, 8, 7, 9, 10]
    assert t["equity_usd"].tolist() == pytest.approx([50, -20, -1, 1, 0.5])
    ratio = t["margin_ratio"].tolist()
    assert ratio[:3] + ratio[4:] == pytest.approx([0.5, -2, -0.1, 0.5]) and math.isnan(ratio[3])
    assert t["closed_notional_usd"].tolist() == pytest.approx([30, 10, 100, 0, 0])
    # 20 left to ADL, of which the fund paid 5 back: 20, not 25. Later deficits: no row.
    assert t["deficit_usd"].tolist() == pytest.approx([0, 20, 0, 0, 0])
    assert t["halted"].tolist() == [False, True, False, False, True]
    since = t["since_reopen_s"].to_numpy()
    assert since[2:4].tolist() == [15.0, 70.0] and np.isnan(since[[0, 1, 4]]).all()
    # Any order of the same events gives the same table; a DataFrame or a mapping of columns
    # works like the array.
    shuffled = EVENTS[np.random.default_rng(1).permutation(len(EVENTS))]
    pd.testing.assert_frame_equal(liquidation_table(shuffled, CTX), t)
    pd.testing.assert_frame_equal(liquidation_table(pd.DataFrame(EVENTS), CTX), t)
    columns = {name: EVENTS[name] for name in EVENTS.dtype.names}
    pd.testing.assert_frame_equal(liquidation_table(columns, CTX), t)


def test_summarize() -> None:
    s = summarize(liquidation_table(EVENTS, CTX))
    assert list(s) == list(SUMMARY_NAMES)
    assert s["liquidations"] == 5 and s["accounts"] == 4 and s["underwater_share"] == 0.4
    assert s["margin_ratio_median"] == pytest.approx(0.2)  # of 0.5, -2, -0.1, 0.5 (NaN left out)
    assert s["underwater_notional_share"] == pytest.approx(110 / 140)
    assert s["reopen_burst_share"] == pytest.approx(100 / 140)  # 15 s after the reopening
    assert summarize(liquidation_table(EVENTS, CTX), burst_s=10)["reopen_burst_share"] == 0
    assert s["deficit_usd"] == pytest.approx(20) and s["t_median"] == 25.0
    empty = summarize(liquidation_table(EVENTS[:0], CTX))
    assert empty["liquidations"] == 0 and math.isnan(empty["margin_ratio_median"])


def test_bad_input() -> None:
    t = liquidation_table(EVENTS, CTX)
    for bad in (-1.0, math.nan, math.inf, "30"):
        with pytest.raises(liqsim.InvalidConfigError, match="burst_s"):
            summarize(t, burst_s=bad)  # type: ignore[arg-type]
    with pytest.raises(liqsim.InvalidConfigError, match="not a liquidation_table"):
        summarize(t.drop(columns=["deficit_usd"]))
    with pytest.raises(liqsim.InvalidConfigError, match="no column 'cash'"):
        liquidation_table(pd.DataFrame(EVENTS).drop(columns=["cash"]), CTX)
