"""Same commands, byte-identical event arrays; batch and single-call paths agree."""

from __future__ import annotations

import numpy as np

import liqsim


def random_stream(seed: int, n: int = 5000) -> dict[str, np.ndarray]:
    """Random NEW/CANCEL/AMEND rows; cancels and amends name an earlier NEW row's id."""
    rng = np.random.default_rng(seed)
    cmd = rng.choice([0, 0, 0, 1, 2], size=n).astype(np.uint8)
    cmd[0] = 0
    is_new = cmd == 0
    new_ids = np.flatnonzero(is_new) + 1  # NEW row i gets id i + 1
    news_before = np.cumsum(is_new) - is_new  # NEW rows strictly before each row
    pick = (rng.random(n) * np.maximum(news_before, 1)).astype(np.int64)
    order_id = np.where(is_new, np.arange(1, n + 1), new_ids[pick]).astype(np.int64)
    return dict(
        cmd=cmd,
        order_id=order_id,
        account=rng.integers(0, 4, size=n).astype(np.int32),
        side=rng.choice([-1, 1], size=n).astype(np.int8),
        kind=rng.choice([0, 0, 1, 2, 3, 4], size=n).astype(np.uint8),
        price=rng.integers(95, 106, size=n).astype(np.int64),
        qty=rng.integers(1, 20, size=n).astype(np.int64),
        reduce_only=(rng.random(n) < 0.1).astype(np.uint8),
        ts=np.sort(rng.integers(0, 10**9, size=n)).astype(np.int64),
    )


def fresh() -> liqsim.Exchange:
    ex = liqsim.Exchange()
    ex.add_instrument("X", tick_size=1.0, lot_size=1.0, cash_unit=1.0, stp="cancel_oldest")
    ex.add_accounts(4)
    return ex


def test_same_stream_same_bytes():
    s = random_stream(7)
    a, b = fresh(), fresh()
    a.submit_batch(**s)
    b.submit_batch(**s)
    ea, eb = a.drain_events(), b.drain_events()
    assert len(ea) > len(s["cmd"])  # fills happened
    assert (ea["type"] == liqsim.EventType.FILL).sum() > 100
    assert ea.tobytes() == eb.tobytes()


def test_batch_split_and_single_rows_match_one_batch():
    s = random_stream(11, 2000)
    whole, split, single = fresh(), fresh(), fresh()
    whole.submit_batch(**s)
    for lo in range(0, 2000, 333):
        split.submit_batch(**{k: v[lo:lo + 333] for k, v in s.items()})
    for i in range(2000):  # one row per call
        single.submit_batch(**{k: v[i:i + 1] for k, v in s.items()})
    expected = whole.drain_events().tobytes()
    assert split.drain_events().tobytes() == expected
    assert single.drain_events().tobytes() == expected


def test_events_are_zero_copy_views_that_outlive_the_engine():
    ex = fresh()
    ex.submit_batch(**random_stream(3, 500))
    ev = ex.drain_events()
    assert ev.dtype == liqsim.EVENT_DTYPE and ev.dtype.itemsize == 88
    assert ev.base is not None  # owned by the C++ buffer's capsule, not copied
    seq = ev["seq"].copy()
    del ex
    assert (ev["seq"] == seq).all() and (np.diff(seq) == 1).all()


def test_recycled_event_buffers_give_the_same_bytes_and_never_alias_live_arrays():
    """A freed array's buffer is reused by the next batch (the event pool): results unchanged,
    and an array still alive is never written to."""
    from liqsim import _core

    s = random_stream(5, 20_000)  # 20k rows reserve 40k events (3.5 MB): big enough to pool
    _core.free_pooled_events()
    assert _core.pooled_event_bytes() == 0
    first = fresh()
    first.submit_batch(**s)
    kept = first.drain_events()
    kept_copy = kept.copy()
    dropped = fresh()
    dropped.submit_batch(**s)
    del dropped
    tmp = fresh()
    tmp.submit_batch(**s)
    tmp.drain_events()  # array freed at once: its buffer goes to the pool
    assert _core.pooled_event_bytes() > 0
    again = fresh()
    again.submit_batch(**s)
    assert _core.pooled_event_bytes() == 0  # taken by the batch
    out = again.drain_events()
    assert out.tobytes() == kept_copy.tobytes()
    assert kept.tobytes() == kept_copy.tobytes()  # the live array was not reused
    _core.free_pooled_events()
