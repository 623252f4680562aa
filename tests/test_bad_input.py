"""Bad input raises the package's own exceptions, names the field and changes nothing."""

from __future__ import annotations

import math

import numpy as np
import pytest

import liqsim


def snapshot(ex: liqsim.Exchange) -> tuple:
    """Everything observable about the engine's state."""
    books = tuple((tuple(map(tuple, ex.depth(i, 100).values())), tuple(ex.positions(i)))
                  for i in range(len(ex.instruments)))
    return books, ex.now, ex._engine.next_order_id, ex._engine.pending_events


@pytest.fixture
def busy(ex):
    ex.submit(0, 0, "buy", 99, 3, order_id=1, ts=10)
    ex.submit(0, 1, "sell", 101, 3, order_id=2, ts=10)
    return ex


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(price=100, qty=0), liqsim.InvalidOrderError, "qty"),
    (dict(price=100, qty=-2), liqsim.InvalidOrderError, "qty"),
    (dict(price=math.nan, qty=1), liqsim.InvalidOrderError, "price must be a finite"),
    (dict(price=math.inf, qty=1), liqsim.InvalidOrderError, "price must be a finite"),
    (dict(price=0, qty=1), liqsim.InvalidOrderError, "price"),
    (dict(price=-5, qty=1), liqsim.InvalidOrderError, "price"),
    (dict(price=100.5, qty=1), liqsim.InvalidOrderError, "not a multiple of tick_size"),
    (dict(price=100, qty=1.5), liqsim.InvalidOrderError, "not a multiple of lot_size"),
    (dict(price=100, qty=1, order_id=1), liqsim.DuplicateOrderIdError, "already used"),
    (dict(price=100, qty=1, order_id=0), liqsim.InvalidOrderError, "order_id"),
    (dict(price=100, qty=1, ts=5), liqsim.InvalidOrderError, "back in time"),
    (dict(price=100, qty=1, kind="stop"), liqsim.InvalidOrderError, "kind"),
    (dict(price=None, qty=1), liqsim.InvalidOrderError, "need a price"),
    (dict(price=100, qty=1, kind="market"), liqsim.InvalidOrderError, "no price"),
])
def test_bad_single_order_raises_and_changes_nothing(busy, kwargs, exc, words):
    before = snapshot(busy)
    with pytest.raises(exc, match=words):
        busy.submit(0, 2, "buy", **kwargs)
    assert snapshot(busy) == before


def test_unknown_ids_are_key_errors(busy):
    before = snapshot(busy)
    with pytest.raises(liqsim.UnknownAccountError) as e:
        busy.submit(0, 9, "buy", 100, 1)
    assert isinstance(e.value, KeyError) and isinstance(e.value, liqsim.LiqsimError)
    with pytest.raises(liqsim.UnknownInstrumentError):
        busy.submit(4, 0, "buy", 100, 1)
    with pytest.raises(liqsim.UnknownOrderError):
        busy.cancel(12345)
    with pytest.raises(liqsim.UnknownOrderError):
        busy.amend(12345, qty=1)
    with pytest.raises(liqsim.InvalidOrderError, match="side"):
        busy.submit(0, 0, "long", 100, 1)
    assert snapshot(busy) == before


def test_order_id_zero_is_unknown_even_when_every_id_is_far_out():
    # Ids far beyond the id map's flat range are hashed, and 0 marks an empty hash slot: id 0
    # must still be unknown, not some resting order.
    ex = liqsim.Exchange(cash_unit=1.0)
    ex.add_instrument("X", tick_size=1.0, lot_size=1.0)
    ex.add_accounts(2)
    ex.submit_ticks(0, 0, -1, 100, 5, order_id=1_000_000)
    for call in (lambda: ex.cancel(0), lambda: ex.amend(0, qty=1)):
        with pytest.raises(liqsim.UnknownOrderError, match="unknown order_id 0"):
            call()
    assert ex.order(0) is None
    assert ex.order(1_000_000)["leaves"] == 5


@pytest.mark.parametrize("kwargs, words", [
    (dict(tick_size=0.0), "tick_size"),
    (dict(lot_size=-1.0), "lot_size"),
    (dict(tick_size=math.nan), "tick_size"),
    (dict(tick_size=0.1, lot_size=0.001, cash_unit=1e-3), "whole number"),
    (dict(stp="sometimes"), "stp"),
    (dict(market_band=0.0), "market_band"),
    (dict(market_band=1.5), "market_band"),
])
def test_bad_instrument_config(kwargs, words):
    ex = liqsim.Exchange()
    with pytest.raises(liqsim.InvalidConfigError, match=words):
        ex.add_instrument("X", **kwargs)
    assert ex.instruments == []


def test_batch_bad_row_keeps_prefix_and_names_the_row(busy):
    good = liqsim.Exchange()
    good.add_instrument("X", tick_size=1.0, lot_size=1.0, cash_unit=1.0)
    good.add_accounts(3)
    good.submit(0, 0, "buy", 99, 3, order_id=1, ts=10)
    good.submit(0, 1, "sell", 101, 3, order_id=2, ts=10)
    rows = dict(order_id=[10, 11, 12, 13], side=[1, -1, 1, 1], price=[100, 100, 100, 100],
                qty=[2, 1, 0, 1], account=[0, 1, 2, 2], ts=[20, 20, 20, 20])
    with pytest.raises(liqsim.InvalidOrderError, match="row 2: qty") as e:
        busy.submit_batch(**rows)
    assert e.value.row == 2
    good.submit_batch(**{k: v[:2] for k, v in rows.items()})
    assert snapshot(busy) == snapshot(good)
    a, b = busy.drain_events(), good.drain_events()
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("kwargs, words", [
    (dict(price=np.array([100.0, 101.0])), "price must be an integer array"),
    (dict(qty=np.array([1, 2, 3])), "qty has shape"),
    (dict(side=np.array([1, 300])), "does not fit"),
    (dict(account=np.array(["a", "b"])), "account must be an integer array"),
])
def test_batch_shape_and_dtype_errors_apply_nothing(busy, kwargs, words):
    before = snapshot(busy)
    args = dict(order_id=[10, 11], side=[1, -1], price=[100, 100], qty=[1, 1], account=0)
    args.update(kwargs)
    with pytest.raises(liqsim.InvalidOrderError, match=words):
        busy.submit_batch(**args)
    assert snapshot(busy) == before


def test_batch_duplicate_id_within_batch(busy):
    with pytest.raises(liqsim.DuplicateOrderIdError) as e:
        busy.submit_batch(order_id=[20, 20], side=1, price=90, qty=1, account=0)
    assert e.value.row == 1
    assert busy.order(20)["price"] == 90


def test_unknown_command_code(busy):
    with pytest.raises(liqsim.InvalidOrderError, match="cmd must be"):
        busy.submit_batch(order_id=[1], cmd=[7])
