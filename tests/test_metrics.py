"""Cascade metrics (DESIGN section 7) on small hand-built event logs and time series.

Units of the fixtures: tick 0.1 USD, lot 0.001 BTC, cash unit 1e-6 USD, so cash_per_tick_lot =
0.1 * 0.001 / 1e-6 = 100 and a fill's USD notional is price_ticks * lots * 100 * 1e-6 =
price_ticks * lots * 1e-4.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import liqsim
from liqsim import EventType, Reason
from liqsim import metrics as M
from liqsim.metrics import RunContext

CTX = RunContext(cash_unit=1e-6, perp=0, cash_per_tick_lot=100, shock_start=3.0,
                 exogenous_notional=1_000.0, duration=10.0)


def make_events(*rows: dict) -> pd.DataFrame:
    """An event log from dicts of fields (missing fields 0, seq = row number unless given),
    through `liqsim.events_frame` so the extra `event`/`reason` columns are present too."""
    a = np.zeros(len(rows), dtype=liqsim.EVENT_DTYPE)
    for i, r in enumerate(rows):
        a[i]["seq"] = i
        for k, v in r.items():
            a[i][k] = int(v)
    return liqsim.events_frame(a)


FILL, TAKEOVER, ADL, BAD_DEBT, STATE = (int(EventType.FILL), int(EventType.TAKEOVER),
                                        int(EventType.ADL_FILL), int(EventType.BAD_DEBT),
                                        int(EventType.STATE))
LIQ = int(Reason.LIQUIDATION)

EVENTS = make_events(
    # forced closes through the book: FILL with code LIQUIDATION, side = liquidated taker's side
    dict(type=FILL, code=LIQ, side=-1, price=1_000_000, qty=10, account=5),  # long: 1e6*10*1e-4 = $1,000
    dict(type=FILL, code=LIQ, side=-1, price=990_000, qty=20, account=5),    # long: 990k*20*1e-4 = $1,980
    dict(type=FILL, code=LIQ, side=1, price=1_010_000, qty=5, account=6),    # short: 1.01e6*5*1e-4 = $505
    # not forced closes: an ordinary fill, an auction fill (code 1), the LIQUIDATION trigger event
    dict(type=FILL, code=0, side=-1, price=1_000_000, qty=1_000),
    dict(type=FILL, code=1, side=1, price=1_000_000, qty=1_000),
    dict(type=int(EventType.LIQUIDATION), code=0, price=1_000_000, qty=30, account=5),
    # takeover by the fund at the bankruptcy price: a long, 980k*3*1e-4 = $294
    dict(type=TAKEOVER, side=-1, price=980_000, qty=3, account=7, other_account=-1),
    dict(type=int(EventType.INSURANCE_FUND), code=int(Reason.TAKEOVER_LOSS), cash=-5_000_000),
    # ADL: notional 970k*4*1e-4 = $388, 970k*6*1e-4 = $582, 960k*2*1e-4 = $192; profit $50+$80+$10
    dict(type=ADL, side=-1, price=970_000, qty=4, account=7, other_account=21, cash=50_000_000),
    dict(type=ADL, side=-1, price=970_000, qty=6, account=7, other_account=22, cash=80_000_000),
    dict(type=ADL, side=-1, price=960_000, qty=2, account=8, other_account=21, cash=10_000_000),
    # deficit $150 (code 0) of which the ADL price covered $90 (other_leaves); a $30 share
    # charged to account 21 (code SOCIALIZED): $120 left after the fund
    dict(type=BAD_DEBT, code=0, account=7, cash=150_000_000, other_leaves=90_000_000),
    dict(type=BAD_DEBT, code=int(Reason.SOCIALIZED), account=7, other_account=21, cash=30_000_000),
)


# --------------------------------------------------------------------------------------------
# liquidations, ADL, bad debt

def test_liquidation_notional_and_counts():
    # all: 1000 + 1980 + 505 + 294 = 3779; longs: 1000 + 1980 + 294 = 3274; shorts: 505
    assert M.liquidation_notional(EVENTS, CTX) == pytest.approx(3_779.0)
    assert M.liquidation_notional_long(EVENTS, CTX) == pytest.approx(3_274.0)
    assert M.liquidation_notional_short(EVENTS, CTX) == pytest.approx(505.0)
    assert M.liquidation_count(EVENTS, CTX) == 4.0
    assert M.liquidation_count_long(EVENTS, CTX) == 3.0
    assert M.liquidation_count_short(EVENTS, CTX) == 1.0
    # 3274 / 3779
    assert M.long_liquidation_share(EVENTS, CTX) == pytest.approx(0.866367, abs=1e-6)


def test_liquidation_metrics_without_liquidations():
    ev = make_events(dict(type=FILL, code=0, side=-1, price=1_000_000, qty=10))
    assert M.liquidation_notional(ev, CTX) == 0.0
    assert M.liquidation_count(ev, CTX) == 0.0
    assert math.isnan(M.long_liquidation_share(ev, CTX))
    assert M.amplification(ev, CTX) == 0.0


def test_adl_metrics_and_bad_debt():
    # 388 + 582 + 192 = 1162 USD in 3 fills against accounts {21, 22}
    assert M.adl_notional(EVENTS, CTX) == pytest.approx(1_162.0)
    assert M.adl_fills(EVENTS, CTX) == 3.0
    assert M.adl_counterparties(EVENTS, CTX) == 2.0
    # ADL-covered part of the deficit + the socialized share: (90 + 30) * 1e6 * 1e-6 = $120
    assert M.bad_debt(EVENTS, CTX) == pytest.approx(120.0)
    # counterparty profit closed 50 + 80 + 10 = 140 vs shortfall 120 -> 20
    assert M.adl_overshoot(EVENTS, CTX) == pytest.approx(20.0)


def test_adl_overshoot_is_zero_when_adl_closed_less_than_the_shortfall():
    ev = make_events(
        dict(type=ADL, price=970_000, qty=4, other_account=21, cash=50_000_000),  # $50 profit
        dict(type=BAD_DEBT, code=0, cash=70_000_000, other_leaves=70_000_000),  # $70 -> max(0, 50 - 70) = 0
    )
    assert M.adl_overshoot(ev, CTX) == 0.0


def test_amplification():
    # (3779 + 1162) / 1000 = 4.941
    assert M.amplification(EVENTS, CTX) == pytest.approx(4.941)
    # halving the exogenous flow doubles it: 4941 / 500
    assert M.amplification(EVENTS, dataclasses.replace(CTX, exogenous_notional=500.0)) == pytest.approx(9.882)
    assert math.isnan(M.amplification(EVENTS, dataclasses.replace(CTX, exogenous_notional=0.0)))


def test_halt_count_counts_transitions_into_a_halt_on_the_perp():
    ev = make_events(
        # rows out of seq order on purpose (read in row order they would make 1 halt):
        # in seq order the perp goes 0 -> 1 -> 0 -> 1 -> 2
        dict(seq=20, type=STATE, instrument=0, side=0),          # reopen
        dict(seq=40, type=STATE, instrument=0, side=2, code=6),  # halted -> closed: same halt
        dict(seq=10, type=STATE, instrument=0, side=1, code=1),  # halt #1 (from the initial 0)
        dict(seq=30, type=STATE, instrument=0, side=1, code=1),  # halt #2
        # spot halts and reopens (would make 3 if the spot counted)
        dict(seq=15, type=STATE, instrument=1, side=1, code=4),
        dict(seq=22, type=STATE, instrument=1, side=1, code=4),
        dict(seq=24, type=STATE, instrument=1, side=0),
    )
    assert M.halt_count(ev, CTX) == 2.0
    assert M.halt_count(make_events(dict(type=FILL)), CTX) == 0.0


# --------------------------------------------------------------------------------------------
# time series

def make_ts() -> pd.DataFrame:
    """Nine 1-second samples; shock at t = 3 (the reference sample is t = 3)."""
    return pd.DataFrame({
        "t":              [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        "mark":           [100, 101, 100, 100, 90, 80, 85, 92, 95],
        "index":          [100, 100, 100, 100, 95, 84, np.nan, 92, 95],
        "best_bid":       [100, 101, 100, 100, 90, np.nan, 85, 92, 95],
        "best_ask":       [101, 104, 101, 101, 94, 81, 91, 94, 96],
        "depth_bid_1pct": [1000.0] * 9,
        "depth_ask_1pct": [1000.0] * 9,
        "insurance_fund": [500, 600, 550, 520, 400, 130, 260, 300, 300],
        "halted":         [0, 0, 0, 0, 1, 1, 1, 0, 0],
        "mm_equity":      [1000, 1010, 1005, 1000, 900, 700, 760, 820, 850],
    }).astype(float)


def test_max_drawdown_uses_the_mark_at_shock_start():
    # P0 = mark at t = 3 (100, not the pre-shock high 101); min after = 80 -> (100 - 80) / 100
    assert M.max_drawdown(make_ts(), CTX) == pytest.approx(0.2)
    # shock at t = 1.5: P0 = mark at t = 1 = 101 -> (101 - 80) / 101
    assert M.max_drawdown(make_ts(), dataclasses.replace(CTX, shock_start=1.5)) == pytest.approx(21 / 101)
    # shock before the first sample: P0 = first mark (100)
    assert M.max_drawdown(make_ts(), dataclasses.replace(CTX, shock_start=-5.0)) == pytest.approx(0.2)


def test_max_drawdown_is_zero_when_the_mark_only_rises():
    ts = make_ts().assign(mark=[100, 100, 100, 100, 101, 102, 103, 104, 105.0])
    assert M.max_drawdown(ts, CTX) == 0.0


def test_recovery_times():
    # trough 80 at t = 5, drop = 100 - 80 = 20
    # 50%: target 80 + 10 = 90, first reached at t = 7 (92) -> 7 - 5 = 2
    assert M.recovery_time_50(make_ts(), CTX) == pytest.approx(2.0)
    # 80%: target 80 + 16 = 96, never reached (max 95) -> duration 10 - 5 = 5
    assert M.recovery_time_80(make_ts(), CTX) == pytest.approx(5.0)
    # with the last mark at 96 it is reached at t = 8 -> 3
    ts = make_ts()
    ts.loc[8, "mark"] = 96.0
    assert M.recovery_time_80(ts, CTX) == pytest.approx(3.0)


def test_recovery_time_starts_at_the_first_trough_and_is_zero_without_a_drop():
    # two troughs of 80 (t = 5 and t = 7): the first counts; 90 reached at t = 8 -> 8 - 5 = 3
    ts = make_ts().assign(mark=[100, 100, 100, 100, 90, 80, 85, 80, 90.0])
    assert M.recovery_time_50(ts, CTX) == pytest.approx(3.0)
    rising = make_ts().assign(mark=[100, 100, 100, 100, 101, 102, 103, 104, 105.0])
    assert M.recovery_time_50(rising, CTX) == 0.0


def test_max_mark_index_dev():
    # |90 - 95| / 95 = 0.0526316 beats |80 - 84| / 84 = 0.047619; t = 6 has no index
    assert M.max_mark_index_dev(make_ts(), CTX) == pytest.approx(5 / 95)


def test_realized_vol():
    ts = pd.DataFrame({"t": [0.0, 1.0, 2.0], "mark": [100.0, 110.0, 99.0]})
    # r1 = ln(110/100) = 0.0953102, r2 = ln(99/110) = -0.1053605
    # r1^2 + r2^2 = 0.0090840 + 0.0111008 = 0.0201849 -> sqrt = 0.1420735
    assert M.realized_vol(ts, CTX) == pytest.approx(0.1420735, abs=1e-7)
    assert M.realized_vol(ts.assign(mark=100.0), CTX) == 0.0


def test_max_spread_ratio():
    # pre-shock spreads (t < 3): 1, 3, 1 -> median 1 (the mean would be 1.67)
    # after: 1, 4, (NaN bid: ignored), 6, 2, 1 -> max 6 -> 6 / 1
    assert M.max_spread_ratio(make_ts(), CTX) == pytest.approx(6.0)
    # no pre-shock samples -> NaN
    assert math.isnan(M.max_spread_ratio(make_ts(), dataclasses.replace(CTX, shock_start=0.0)))


def depth_ts() -> pd.DataFrame:
    """Four minutes of per-second depth (bid + ask), each side half of the total."""
    t = np.arange(240.0)
    total = np.select([t < 60, t < 120, t < 150, t < 180], [2000.0, 3000.0, 500.0, 1500.0], 2000.0)
    return pd.DataFrame({"t": t, "depth_bid_1pct": total / 2, "depth_ask_1pct": total / 2})


def test_depth_1pct_min_ratio_over_one_minute_windows():
    # shock at 120: pre-shock mean = (60 * 2000 + 60 * 3000) / 120 = 2500
    # window [120, 180): (30 * 500 + 30 * 1500) / 60 = 1000; window [180, 240): 2000 -> min 1000
    # 1000 / 2500 = 0.4 (the worst single second, 500, would give 0.2)
    ctx = dataclasses.replace(CTX, shock_start=120.0)
    assert M.depth_1pct_min_ratio(depth_ts(), ctx) == pytest.approx(0.4)


def test_depth_1pct_min_ratio_with_a_shock_inside_a_window():
    # shock at 150: pre-shock mean = (60*2000 + 60*3000 + 30*500) / 150 = 315000 / 150 = 2100
    # window 2 holds only t in [150, 180): 1500; window 3: 2000 -> 1500 / 2100 = 0.7142857
    ctx = dataclasses.replace(CTX, shock_start=150.0)
    assert M.depth_1pct_min_ratio(depth_ts(), ctx) == pytest.approx(1500 / 2100)
    # NaN samples are skipped: blanking the 500s of [120, 150) changes the pre-shock mean to
    # 300000 / 120 = 2500 -> 1500 / 2500 = 0.6
    ts = depth_ts()
    ts.loc[120:149, "depth_bid_1pct"] = np.nan
    assert M.depth_1pct_min_ratio(ts, ctx) == pytest.approx(0.6)
    # no pre-shock samples -> NaN
    assert math.isnan(M.depth_1pct_min_ratio(depth_ts(), dataclasses.replace(CTX, shock_start=0.0)))


def test_insurance_fund_drawdown_and_exhaustion():
    # IF0 = 520 at t = 3 (not 500 at t = 0, not the 600 high); min after = 130
    # (520 - 130) / 520 = 0.75
    assert M.insurance_fund_drawdown(make_ts(), CTX) == pytest.approx(0.75)
    assert M.insurance_fund_exhausted(make_ts(), CTX) == 0.0
    emptied = make_ts()
    emptied.loc[6, "insurance_fund"] = 0.0  # (520 - 0) / 520 = 1
    assert M.insurance_fund_drawdown(emptied, CTX) == pytest.approx(1.0)
    assert M.insurance_fund_exhausted(emptied, CTX) == 1.0
    # no fund at all: nothing to draw down, but it is exhausted
    none = make_ts().assign(insurance_fund=0.0)
    assert M.insurance_fund_drawdown(none, CTX) == 0.0
    assert M.insurance_fund_exhausted(none, CTX) == 1.0


def test_halted_seconds_and_mm_pnl():
    # halted at t = 4, 5, 6 -> 3 samples x 1 s
    assert M.halted_seconds(make_ts(), CTX) == pytest.approx(3.0)
    # 850 - 1000 (last minus first, not the -300 at the trough)
    assert M.mm_pnl(make_ts(), CTX) == pytest.approx(-150.0)


# --------------------------------------------------------------------------------------------
# compute_metrics and the contract

def test_compute_metrics_returns_every_metric_in_order():
    out = M.compute_metrics(EVENTS, make_ts(), CTX)
    assert tuple(out) == M.METRIC_NAMES
    assert len(M.METRIC_NAMES) == 25 and len(set(M.METRIC_NAMES)) == 25
    assert all(isinstance(v, float) for v in out.values())
    expected = {
        "max_drawdown": 0.2, "liquidation_notional": 3779.0, "liquidation_notional_long": 3274.0,
        "liquidation_notional_short": 505.0, "liquidation_count": 4.0, "liquidation_count_long": 3.0,
        "liquidation_count_short": 1.0, "long_liquidation_share": 3274 / 3779, "amplification": 4.941,
        "insurance_fund_drawdown": 0.75, "insurance_fund_exhausted": 0.0, "bad_debt": 120.0,
        "adl_notional": 1162.0, "adl_fills": 3.0, "adl_counterparties": 2.0, "adl_overshoot": 20.0,
        "max_spread_ratio": 6.0, "max_mark_index_dev": 5 / 95, "recovery_time_50": 2.0,
        "recovery_time_80": 5.0, "halt_count": 0.0, "halted_seconds": 3.0, "mm_pnl": -150.0,
    }
    for k, v in expected.items():
        assert out[k] == pytest.approx(v), k
    # the single-minute toy series has no window after a full pre-shock minute, but is defined:
    # pre-shock mean 2000, window 0 after the shock 2000 -> 1
    assert out["depth_1pct_min_ratio"] == pytest.approx(1.0)
    # sqrt of the sum of squared log returns of the nine marks
    r = np.diff(np.log(make_ts()["mark"].to_numpy()))
    assert out["realized_vol"] == pytest.approx(math.sqrt(float((r ** 2).sum())))


def test_compute_metrics_is_independent_of_row_order_and_input_form():
    ts = make_ts()
    shuffled = ts.sample(frac=1.0, random_state=3)
    raw = EVENTS[[name for name in liqsim.EVENT_DTYPE.names]].to_records(index=False).astype(liqsim.EVENT_DTYPE)
    columns = {name: EVENTS[name].to_numpy() for name in liqsim.EVENT_DTYPE.names}
    a = M.compute_metrics(EVENTS, ts, CTX)
    for other in (M.compute_metrics(raw, shuffled, CTX), M.compute_metrics(columns, ts, CTX)):
        assert a.keys() == other.keys()
        for k in a:
            assert a[k] == pytest.approx(other[k], nan_ok=True), k
    # the single functions accept the same forms
    assert M.liquidation_notional(raw, CTX) == M.liquidation_notional(columns, CTX) == pytest.approx(3_779.0)


def test_compute_metrics_on_empty_inputs_is_defined():
    ev = make_events()
    ts = make_ts().iloc[:0]
    out = M.compute_metrics(ev, ts, CTX)
    assert out["liquidation_count"] == 0.0 and out["bad_debt"] == 0.0
    assert math.isnan(out["max_drawdown"]) and math.isnan(out["mm_pnl"])


def test_lower_is_better_covers_every_metric():
    assert set(M.LOWER_IS_BETTER) == set(M.METRIC_NAMES)
    assert M.LOWER_IS_BETTER["depth_1pct_min_ratio"] is False
    assert M.LOWER_IS_BETTER["mm_pnl"] is False
    assert M.LOWER_IS_BETTER["long_liquidation_share"] is None
    for name in ("max_drawdown", "liquidation_notional", "bad_debt", "recovery_time_50",
                 "recovery_time_80", "halted_seconds", "adl_overshoot"):
        assert M.LOWER_IS_BETTER[name] is True


def test_bad_inputs_raise_invalid_config_error():
    with pytest.raises(liqsim.InvalidConfigError, match="mark"):
        M.compute_metrics(EVENTS, make_ts().drop(columns="mark"), CTX)
    with pytest.raises(liqsim.InvalidConfigError, match="price"):
        M.compute_metrics(EVENTS.drop(columns="price"), make_ts(), CTX)
    with pytest.raises(liqsim.InvalidConfigError, match="RunContext"):
        M.compute_metrics(EVENTS, make_ts(), {"cash_unit": 1e-6})  # type: ignore[arg-type]
    with pytest.raises(liqsim.InvalidConfigError, match="cash_unit"):
        dataclasses.replace(CTX, cash_unit=0.0)
    with pytest.raises(liqsim.InvalidConfigError, match="cash_per_tick_lot"):
        dataclasses.replace(CTX, cash_per_tick_lot=0)
    with pytest.raises(liqsim.InvalidConfigError, match="shock_start"):
        dataclasses.replace(CTX, shock_start=math.nan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        CTX.perp = 1  # type: ignore[misc]


def test_bad_debt_excludes_deficits_the_fund_paid():
    # 50 USD covered by the insurance fund (other_account -1), 30 USD left for ADL.
    ev = make_events(dict(type=14, code=0, account=7, other_account=-1, cash=50_000_000),
                     dict(type=14, code=0, account=8, other_account=0, cash=30_000_000,
                          other_leaves=30_000_000))
    assert M.bad_debt(ev, CTX) == pytest.approx(30.0)


def test_bad_debt_counts_losses_socialized_after_the_fund_ran_out():
    # The fund paid an 80 USD deficit (code 0, other_account -1) but held only 55: it went
    # 25 below zero, and the 25 were socialized over two traders (account -1 = the fund).
    soc = int(Reason.SOCIALIZED)
    ev = make_events(dict(type=14, code=0, account=7, other_account=-1, cash=80_000_000),
                     dict(type=14, code=soc, account=-1, other_account=3, cash=15_000_000),
                     dict(type=14, code=soc, account=-1, other_account=4, cash=10_000_000))
    assert M.bad_debt(ev, CTX) == pytest.approx(25.0)
    # ADL at the mark: the deficit (code 0, other_leaves 0) is paid by shares, counted once.
    ev = make_events(dict(type=14, code=0, account=7, cash=40_000_000),
                     dict(type=14, code=soc, account=7, other_account=21, cash=40_000_000))
    assert M.bad_debt(ev, CTX) == pytest.approx(40.0)
