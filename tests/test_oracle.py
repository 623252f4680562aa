"""Property tests: the C++ engine must agree with the pure-Python reference matcher.

Hypothesis generates random command streams (several instruments with random STP modes and
market bands, a few accounts, every order kind, reduce-only flags, cancels and amends of earlier
ids including done ones, prices in a narrow band so orders cross a lot, non-decreasing
timestamps). Each stream runs through `liqsim.testing.ReferenceExchange` and through the engine,
and the event logs must be equal field for field, as must positions and depth at the end. The
engine is fed the stream as one batch, split into random batches, one row per batch, and through
the single-order methods, so batch boundaries cannot matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

pytest.importorskip("liqsim._core")
from hypothesis import HealthCheck, given, note, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import liqsim  # noqa: E402
from liqsim.testing import REF_EVENT_DTYPE, ReferenceExchange  # noqa: E402

NEW, CANCEL, AMEND = 0, 1, 2
LIMIT, IOC, FOK, POST_ONLY, MARKET = 0, 1, 2, 3, 4
STP_MODES = ("none", "cancel_newest", "cancel_oldest")
BANDS_PPM = (5_000, 10_000, 30_000, 50_000)  # 0.5 to 5 ticks at a price of 100

# One command: (cmd, instrument, order_id, account, side, kind, price, qty, reduce_only, ts).
Row = tuple[int, int, int, int, int, int, int, int, bool, int]

ORACLE_SETTINGS = settings(max_examples=200, deadline=None,
                           suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Scenario:
    """Exchange set-up plus a valid command stream."""

    instruments: list[tuple[str, int]]  # (stp mode, market band in ppm)
    n_accounts: int
    rows: list[Row]

    def __str__(self) -> str:
        lines = [f"instruments={self.instruments} n_accounts={self.n_accounts}", "rows=["]
        lines += [f"    {r}," for r in self.rows]
        return "\n".join(lines + ["]"])


@st.composite
def scenarios(draw: st.DrawFn, max_rows: int = 60) -> Scenario:
    """A random valid stream: every NEW id is fresh, every CANCEL/AMEND id was used before.

    A shadow reference runs alongside the generator only to steer it towards interesting rows:
    cancels and amends mostly target live orders, and reduce-only orders mostly go against the
    account's position (so they are accepted and can later be trimmed when touched).
    """
    instruments = [(draw(st.sampled_from(STP_MODES)), draw(st.sampled_from(BANDS_PPM)))
                   for _ in range(draw(st.integers(1, 3)))]
    n_accounts = draw(st.integers(2, 4))
    n_rows = draw(st.integers(1, max_rows))
    ro_per_4 = draw(st.integers(0, 3))  # chance of reduce-only, in quarters, for this stream
    shadow = ReferenceExchange()
    for stp, band in instruments:
        shadow.add_instrument(stp=stp, market_band_ppm=band)
    shadow.add_accounts(n_accounts)
    rows: list[Row] = []
    used: dict[int, tuple[int, int, int]] = {}  # order_id -> (instrument, account, side)
    next_id, ts = 1, 0
    for _ in range(n_rows):
        ts += draw(st.sampled_from((0, 0, 1, 5)))
        cmd = draw(st.sampled_from((NEW,) * 6 + (CANCEL, AMEND, AMEND))) if used else NEW
        if cmd == NEW:
            oid = next_id
            next_id += draw(st.sampled_from((1, 1, 1, 7)))
            inst = draw(st.integers(0, len(instruments) - 1))
            account = draw(st.integers(0, n_accounts - 1))
            kind = draw(st.sampled_from((LIMIT,) * 4 + (IOC, FOK, POST_ONLY, POST_ONLY, MARKET)))
            price = 0 if kind == MARKET else draw(st.integers(95, 105))
            qty = draw(st.integers(1, 20))
            reduce_only = draw(st.integers(0, 3)) < ro_per_4
            pos = shadow.position(account, inst)
            if reduce_only and pos != 0 and draw(st.integers(0, 3)) > 0:
                side = -1 if pos > 0 else 1
            else:
                side = draw(st.sampled_from((1, -1)))
            row: Row = (NEW, inst, oid, account, side, kind, price, qty, reduce_only, ts)
            used[oid] = (inst, account, side)
        else:
            live = sorted(shadow.live)
            if live and draw(st.integers(0, 3)) > 0:
                oid = draw(st.sampled_from(live))
            else:
                oid = draw(st.sampled_from(sorted(used)))
            inst, account, side = used[oid]
            price = qty = 0
            if cmd == AMEND:
                price = draw(st.sampled_from((0,)) | st.integers(95, 105))
                qty = draw(st.sampled_from((0,)) | st.integers(1, 20))
            row = (cmd, inst, oid, account, side, 0, price, qty, False, ts)
        shadow.submit_batch(**columns([row]))
        rows.append(row)
    return Scenario(instruments, n_accounts, rows)


def columns(rows: list[Row]) -> dict[str, np.ndarray]:
    """Batch keyword arguments (engine dtypes) for `rows`."""
    names = ("cmd", "instrument", "order_id", "account", "side", "kind", "price", "qty",
             "reduce_only", "ts")
    dtypes = (np.uint8, np.int32, np.int64, np.int32, np.int8, np.uint8, np.int64, np.int64,
              np.bool_, np.int64)
    return {n: np.array([r[i] for r in rows], dtype=d)
            for i, (n, d) in enumerate(zip(names, dtypes))}


def make_engine(sc: Scenario) -> liqsim.Exchange:
    """A fresh engine on a unit grid (1 tick = 1 lot = 1 cash unit)."""
    ex = liqsim.Exchange()
    for i, (stp, band) in enumerate(sc.instruments):
        assert ex.add_instrument(f"I{i}", tick_size=1.0, lot_size=1.0, cash_unit=1.0, stp=stp,
                                 market_band=band / 1e6) == i
    ex.add_accounts(sc.n_accounts)
    return ex


def run_reference(sc: Scenario) -> tuple[ReferenceExchange, np.ndarray]:
    """The reference after the whole stream, and its events."""
    ref = ReferenceExchange()
    for stp, band in sc.instruments:
        ref.add_instrument(stp=stp, market_band_ppm=band)
    ref.add_accounts(sc.n_accounts)
    ref.submit_batch(**columns(sc.rows))
    return ref, ref.drain_events()


def feed_batches(ex: liqsim.Exchange, rows: list[Row], cuts: list[int]) -> np.ndarray:
    """Submit `rows` as batches split at `cuts`, draining after each; all events."""
    bounds = [0, *sorted(set(c for c in cuts if 0 < c < len(rows))), len(rows)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        ex.submit_batch(**columns(rows[a:b]))
        out.append(ex.drain_events())
    return np.concatenate(out) if out else ex.drain_events()


def feed_single(ex: liqsim.Exchange, rows: list[Row]) -> np.ndarray:
    """Submit `rows` one by one through the single-command methods."""
    for cmd, inst, oid, account, side, kind, price, qty, reduce_only, ts in rows:
        if cmd == NEW:
            ex.submit_ticks(inst, account, side, price, qty, kind=kind, reduce_only=reduce_only,
                            order_id=oid, ts=ts)
        elif cmd == CANCEL:
            ex.cancel(oid, ts=ts)
        else:
            ex.amend(oid, price=float(price) if price else None,
                     qty=float(qty) if qty else None, ts=ts)
    return ex.drain_events()


def fmt_row(ev: np.ndarray, i: int) -> str:
    if i >= len(ev):
        return "<missing>"
    return "{" + ", ".join(f"{n}={ev[i][n]}" for n in ev.dtype.names) + "}"


def assert_events_equal(engine: np.ndarray, ref: np.ndarray, sc: Scenario, how: str) -> None:
    """Field-for-field equality, with the first differing row of each side on failure."""
    assert engine.dtype == ref.dtype == REF_EVENT_DTYPE
    n = min(len(engine), len(ref))
    diff = np.flatnonzero(engine[:n] != ref[:n])
    if len(diff) == 0 and len(engine) == len(ref):
        return
    i = int(diff[0]) if len(diff) else n
    fields = ([f for f in ref.dtype.names if engine[i][f] != ref[i][f]]
              if i < n else ["<length>"])
    context = "\n".join(f"  [{j}] both:      {fmt_row(ref, j)}" for j in range(max(0, i - 3), i))
    pytest.fail(f"events differ ({how}) at row {i} (fields {fields}); "
                f"len engine={len(engine)} ref={len(ref)}\n{context}\n"
                f"  [{i}] engine:    {fmt_row(engine, i)}\n"
                f"  [{i}] reference: {fmt_row(ref, i)}\n{sc}")


def assert_state_equal(ex: liqsim.Exchange, ref: ReferenceExchange, sc: Scenario,
                       how: str) -> None:
    """Positions, depth and BBO agree at the end."""
    for inst in range(len(sc.instruments)):
        for acct in range(sc.n_accounts):
            assert ex.position(acct, inst) == ref.position(acct, inst), (
                f"position({acct}, {inst}) ({how})\n{sc}")
        got, want = ex.depth(inst, 100), ref.depth(inst, 100)
        assert set(got) == set(want)
        for key in want:
            assert got[key].tolist() == want[key].tolist(), f"depth {key} of {inst} ({how})\n{sc}"
        assert tuple(ex.bbo(inst)) == ref.bbo(inst), f"bbo of {inst} ({how})\n{sc}"


def test_dtypes_agree() -> None:
    assert REF_EVENT_DTYPE == liqsim.EVENT_DTYPE


@ORACLE_SETTINGS
@given(sc=scenarios(), cuts=st.lists(st.integers(1, 59), max_size=5))
def test_engine_matches_reference(sc: Scenario, cuts: list[int]) -> None:
    note(str(sc))
    ref, want = run_reference(sc)
    feeds: dict[str, Callable[[liqsim.Exchange], np.ndarray]] = {
        "one batch": lambda ex: feed_batches(ex, sc.rows, []),
        f"batches cut at {sorted(cuts)}": lambda ex: feed_batches(ex, sc.rows, cuts),
        "one row per batch": lambda ex: feed_batches(ex, sc.rows, list(range(len(sc.rows)))),
    }
    for how, feed in feeds.items():
        ex = make_engine(sc)
        assert_events_equal(feed(ex), want, sc, how)
        assert_state_equal(ex, ref, sc, how)


@ORACLE_SETTINGS
@given(sc=scenarios())
def test_single_command_methods_match_reference(sc: Scenario) -> None:
    note(str(sc))
    ref, want = run_reference(sc)
    ex = make_engine(sc)
    assert_events_equal(feed_single(ex, sc.rows), want, sc, "single-command methods")
    assert_state_equal(ex, ref, sc, "single-command methods")


@ORACLE_SETTINGS
@given(sc=scenarios(max_rows=120))
def test_engine_is_deterministic(sc: Scenario) -> None:
    a_ex, b_ex = make_engine(sc), make_engine(sc)
    a_ex.submit_batch(**columns(sc.rows))
    b_ex.submit_batch(**columns(sc.rows))
    a, b = a_ex.drain_events(), b_ex.drain_events()
    assert len(a) > 0
    assert a.tobytes() == b.tobytes()
