"""Hand-computed cases for every order kind, STP, reduce-only, cancel, amend and depth."""

from __future__ import annotations

import pytest

import liqsim
from conftest import brief


def test_limit_sweeps_levels_at_maker_prices_and_rests_remainder(ex):
    ex.submit(0, 0, "sell", 101, 5, order_id=1)
    ex.submit(0, 1, "sell", 100, 3, order_id=2)
    ex.submit(0, 0, "sell", 100, 4, order_id=3)  # same level, behind order 2
    ex.drain_events()
    ex.submit(0, 2, "buy", 101, 10, order_id=4)
    assert brief(ex.drain_events()) == [
        ("ACCEPT", 0, 4, 0, 101, 10, 10),
        ("FILL", 0, 4, 2, 100, 3, 7),
        ("FILL", 0, 4, 3, 100, 4, 3),
        ("FILL", 0, 4, 1, 101, 3, 0),
    ]
    assert ex.bbo(0) == (None, None, 101, 2)
    assert list(ex.positions(0)) == [-7, -3, 10]


def test_gtc_remainder_rests_behind_existing_orders(ex):
    ex.submit(0, 0, "buy", 99, 2, order_id=1)
    ex.submit(0, 1, "sell", 98, 5, order_id=2)  # fills 2 at 99, rests 3 at 98
    ev = brief(ex.drain_events())
    assert ev[-1] == ("FILL", 0, 2, 1, 99, 2, 3)
    assert ex.bbo(0) == (None, None, 98, 3)
    assert ex.order(2)["leaves"] == 3


def test_ioc_expires_remainder(ex):
    ex.submit(0, 0, "sell", 100, 2, order_id=1)
    ex.submit(0, 1, "buy", 100, 5, kind="ioc", order_id=2)
    assert brief(ex.drain_events())[1:] == [
        ("ACCEPT", int(liqsim.Kind.IOC), 2, 0, 100, 5, 5),
        ("FILL", 0, 2, 1, 100, 2, 3),
        ("EXPIRE", "IOC_REMAINDER", 2, 0, 100, 3, 0),
    ]
    assert ex.order(2) is None


def test_fok_kills_when_not_fully_fillable_and_fills_when_it_is(ex):
    ex.submit(0, 0, "sell", 100, 2, order_id=1)
    ex.submit(0, 0, "sell", 102, 2, order_id=2)
    ex.drain_events()
    ex.submit(0, 1, "buy", 101, 3, kind="fok", order_id=3)  # only 2 at <= 101
    assert brief(ex.drain_events()) == [
        ("ACCEPT", int(liqsim.Kind.FOK), 3, 0, 101, 3, 3),
        ("EXPIRE", "FOK_UNFILLABLE", 3, 0, 101, 3, 0),
    ]
    assert ex.bbo(0).ask_qty == 2  # book untouched
    ex.submit(0, 1, "buy", 102, 3, kind="fok", order_id=4)
    assert brief(ex.drain_events())[1:] == [
        ("FILL", 0, 4, 1, 100, 2, 1),
        ("FILL", 0, 4, 2, 102, 1, 0),
    ]


def test_post_only_rejected_when_crossing_rests_otherwise(ex):
    ex.submit(0, 0, "sell", 100, 1, order_id=1)
    ex.submit(0, 1, "buy", 100, 1, kind="post_only", order_id=2)
    ex.submit(0, 1, "buy", 99, 1, kind="post_only", order_id=3)
    assert brief(ex.drain_events())[1:] == [
        ("REJECT", "POST_ONLY_WOULD_CROSS", 2, 0, 100, 1, 0),
        ("ACCEPT", int(liqsim.Kind.POST_ONLY), 3, 0, 99, 1, 1),
    ]
    assert ex.bbo(0) == (99, 1, 100, 1)


def test_market_order_protection_band_and_no_liquidity(ex):
    ex.add_instrument("Y", tick_size=1.0, lot_size=1.0, cash_unit=1.0, market_band=0.05)
    ex.submit(1, 0, "buy", qty=1, kind="market", order_id=1)
    assert brief(ex.drain_events()) == [("REJECT", "NO_LIQUIDITY", 1, 0, 0, 1, 0)]
    ex.submit(1, 0, "sell", 1000, 1, order_id=2)
    ex.submit(1, 0, "sell", 1050, 1, order_id=3)  # exactly at the band: 1000 * 1.05
    ex.submit(1, 0, "sell", 1051, 1, order_id=4)  # beyond it
    ex.drain_events()
    ex.submit(1, 1, "buy", qty=5, kind="market", order_id=5)
    assert brief(ex.drain_events()) == [
        ("ACCEPT", int(liqsim.Kind.MARKET), 5, 0, 1050, 5, 5),
        ("FILL", 0, 5, 2, 1000, 1, 4),
        ("FILL", 0, 5, 3, 1050, 1, 3),
        ("EXPIRE", "MARKET_REMAINDER", 5, 0, 1050, 3, 0),
    ]
    # Sell side: ceil(999 * 0.95) = ceil(949.05) = 950.
    ex.submit(1, 0, "buy", 999, 1, order_id=6)
    ex.drain_events()
    ex.submit(1, 1, "sell", qty=1, kind="market", order_id=7)
    assert brief(ex.drain_events())[0] == ("ACCEPT", int(liqsim.Kind.MARKET), 7, 0, 950, 1, 1)


@pytest.mark.parametrize("mode", ["cancel_newest", "cancel_oldest"])
def test_self_trade_prevention(mode):
    ex = liqsim.Exchange()
    ex.add_instrument("X", tick_size=1.0, lot_size=1.0, cash_unit=1.0, stp=mode)
    ex.add_accounts(2)
    ex.submit(0, 1, "sell", 100, 1, order_id=1)
    ex.submit(0, 0, "sell", 100, 1, order_id=2)  # account 0's own order
    ex.submit(0, 1, "sell", 100, 1, order_id=3)
    ex.drain_events()
    ex.submit(0, 0, "buy", 100, 3, order_id=4)
    ev = brief(ex.drain_events())
    if mode == "cancel_newest":
        assert ev == [
            ("ACCEPT", 0, 4, 0, 100, 3, 3),
            ("FILL", 0, 4, 1, 100, 1, 2),
            ("CANCEL", "SELF_TRADE", 4, 0, 100, 2, 0),
        ]
        assert ex.order(2)["leaves"] == 1 and ex.order(4) is None
    else:
        assert ev == [
            ("ACCEPT", 0, 4, 0, 100, 3, 3),
            ("FILL", 0, 4, 1, 100, 1, 2),
            ("CANCEL", "SELF_TRADE", 2, 0, 100, 1, 0),
            ("FILL", 0, 4, 3, 100, 1, 1),
        ]
        assert ex.order(4)["leaves"] == 1 and ex.bbo(0) == (100, 1, None, None)


def test_without_stp_self_trade_fills_and_leaves_position_flat(ex):
    ex.submit(0, 0, "sell", 100, 2, order_id=1)
    ex.submit(0, 0, "buy", 100, 2, order_id=2)
    assert brief(ex.drain_events())[-1] == ("FILL", 0, 2, 1, 100, 2, 0)
    assert ex.position(0, 0) == 0


def test_reduce_only_rejects_clips_and_trims_on_touch(ex):
    ex.submit(0, 0, "buy", qty=1, price=100, order_id=1)
    ex.submit(0, 1, "sell", 100, 3, order_id=2)  # account 0 long 1... only 1 filled
    ex.submit(0, 2, "buy", 100, 2, order_id=3)   # takes the remaining 2 -> account 2 long 2
    assert ex.position(2, 0) == 2
    ex.drain_events()
    ex.submit(0, 2, "buy", 100, 1, reduce_only=True, order_id=4)  # would increase a long
    ex.submit(0, 2, "sell", 105, 5, reduce_only=True, order_id=5)  # clipped to 2
    assert brief(ex.drain_events()) == [
        ("REJECT", "REDUCE_ONLY", 4, 0, 100, 1, 0),
        ("ACCEPT", 0, 5, 0, 105, 2, 2),
    ]
    # Account 2 sells 1 elsewhere: its reduce-only order is now oversized by 1.
    ex.submit(0, 0, "buy", 99, 1, order_id=6)
    ex.submit(0, 2, "sell", 99, 1, order_id=7)
    assert ex.position(2, 0) == 1
    ex.drain_events()
    ex.submit(0, 1, "buy", 105, 2, kind="ioc", order_id=8)
    assert brief(ex.drain_events()) == [
        ("ACCEPT", int(liqsim.Kind.IOC), 8, 0, 105, 2, 2),
        ("CANCEL", "REDUCE_ONLY", 5, 0, 105, 1, 1),
        ("FILL", 0, 8, 5, 105, 1, 1),
        ("EXPIRE", "IOC_REMAINDER", 8, 0, 105, 1, 0),
    ]
    assert ex.position(2, 0) == 0


def test_reduce_only_maker_with_no_position_left_is_cancelled_whole(ex):
    ex.submit(0, 0, "sell", 100, 1, order_id=1)
    ex.submit(0, 1, "buy", 100, 1, order_id=2)  # account 1 long 1
    ex.submit(0, 1, "sell", 110, 1, reduce_only=True, order_id=3)
    ex.submit(0, 0, "buy", 101, 1, order_id=4)
    ex.submit(0, 1, "sell", 101, 1, order_id=5)  # account 1 flat now
    ex.drain_events()
    ex.submit(0, 2, "buy", 110, 1, order_id=6)
    assert brief(ex.drain_events()) == [
        ("ACCEPT", 0, 6, 0, 110, 1, 1),
        ("CANCEL", "REDUCE_ONLY", 3, 0, 110, 1, 0),
    ]
    assert ex.bbo(0) == (110, 1, None, None)


def test_cancel_live_done_and_unknown(ex):
    ex.submit(0, 0, "buy", 100, 4, order_id=1)
    ex.cancel(1)
    ex.cancel(1)
    assert brief(ex.drain_events())[1:] == [
        ("CANCEL", "USER_CANCEL", 1, 0, 100, 4, 0),
        ("CANCEL_REJECT", "TOO_LATE", 1, 0, 0, 0, 0),
    ]
    with pytest.raises(liqsim.UnknownOrderError):
        ex.cancel(77)
    assert ex.bbo(0) == (None, None, None, None)


def test_amend_quantity_down_keeps_priority(ex):
    ex.submit(0, 0, "sell", 100, 5, order_id=1)
    ex.submit(0, 1, "sell", 100, 5, order_id=2)
    ex.amend(1, qty=2)
    ex.drain_events()
    ex.submit(0, 2, "buy", 100, 3, order_id=3)
    assert brief(ex.drain_events())[1:] == [
        ("FILL", 0, 3, 1, 100, 2, 1),
        ("FILL", 0, 3, 2, 100, 1, 0),
    ]


def test_amend_quantity_up_loses_priority(ex):
    ex.submit(0, 0, "sell", 100, 1, order_id=1)
    ex.submit(0, 1, "sell", 100, 1, order_id=2)
    ex.amend(1, qty=3)
    assert brief(ex.drain_events())[-1] == ("AMEND", 1, 1, 0, 100, 3, 3)
    ex.submit(0, 2, "buy", 100, 1, order_id=3)
    assert brief(ex.drain_events())[-1] == ("FILL", 0, 3, 2, 100, 1, 0)


def test_amend_price_requeues_and_crosses(ex):
    ex.submit(0, 0, "buy", 98, 2, order_id=1)
    ex.submit(0, 1, "sell", 101, 1, order_id=2)
    ex.drain_events()
    ex.amend(1, price=101)
    assert brief(ex.drain_events()) == [
        ("AMEND", 1, 1, 0, 101, 2, 2),
        ("FILL", 0, 1, 2, 101, 1, 1),
    ]
    assert ex.bbo(0) == (101, 1, None, None)


def test_amend_post_only_that_would_cross_is_refused(ex):
    ex.submit(0, 0, "buy", 98, 2, kind="post_only", order_id=1)
    ex.submit(0, 1, "sell", 100, 1, order_id=2)
    ex.drain_events()
    ex.amend(1, price=100)
    assert brief(ex.drain_events()) == [("AMEND_REJECT", "POST_ONLY_WOULD_CROSS", 1, 0, 100, 0, 0)]
    assert ex.order(1)["price"] == 98


def test_amend_done_order_is_rejected_too_late(ex):
    ex.submit(0, 0, "buy", 98, 2, kind="ioc", order_id=1)
    ex.drain_events()
    ex.amend(1, price=99)
    assert brief(ex.drain_events()) == [("AMEND_REJECT", "TOO_LATE", 1, 0, 99, 0, 0)]


def test_depth_snapshot_levels_best_first(ex):
    for i, (side, px, q) in enumerate([("buy", 99, 1), ("buy", 99, 2), ("buy", 97, 5),
                                        ("sell", 101, 3), ("sell", 103, 1), ("sell", 102, 4)]):
        ex.submit(0, 0, side, px, q, order_id=i + 1)
    d = ex.depth(0, n=2)
    assert d["bid_price"].tolist() == [99, 97] and d["bid_qty"].tolist() == [3, 5]
    assert d["bid_count"].tolist() == [2, 1]
    assert d["ask_price"].tolist() == [101, 102] and d["ask_qty"].tolist() == [3, 4]
    df = ex.depth_df(0, n=5)
    assert len(df) == 5 and df["price"].tolist() == [99, 97, 101, 102, 103]


def test_float_units_are_converted_on_the_grid():
    ex = liqsim.Exchange()
    i = ex.add_instrument("BTC", tick_size=0.1, lot_size=0.001, cash_unit=1e-6)
    ex.add_account()
    ex.submit(i, 0, "buy", price=85000.1, qty=0.25, order_id=1)
    assert ex.order(1)["price"] == 850001 and ex.order(1)["leaves"] == 250
    assert ex.instrument(i).cash_per_tick_lot == 100
