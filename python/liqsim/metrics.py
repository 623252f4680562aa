"""Cascade severity metrics of one run (DESIGN section 7).

Every metric is a small function with its exact definition in its docstring; `compute_metrics`
evaluates all of them and returns a flat ``{name: float}`` dict whose keys, in the order of
`METRIC_NAMES`, are the public contract (keys of ``metrics.json``, columns of comparison tables).

Inputs are in raw engine units and are read, never modified:

``events``
    A DataFrame with the columns of `liqsim.EVENT_DTYPE` (as from `liqsim.events_frame`; extra
    columns such as ``event``/``reason`` are ignored), the structured array itself, or a mapping
    of those column names to arrays (`EventsLike`). Prices are ticks, quantities lots, cash in
    cash units; USD = ticks x lots x ``ctx.cash_per_tick_lot`` x ``ctx.cash_unit`` (cash: cash x
    ``ctx.cash_unit``). Liquidation, takeover and ADL metrics
    count events on all instruments (only perpetuals can be liquidated, so in practice this is
    the perp); halts are counted on ``ctx.perp`` only.
``timeseries``
    A DataFrame sampled every second: ``t`` (seconds from start), ``mark``, ``index``,
    ``perp_mid``, ``spot_mid``, ``best_bid``, ``best_ask`` (USD, NaN when a side is empty),
    ``depth_bid_1pct``, ``depth_ask_1pct``, ``depth_bid_2pct``, ``depth_ask_2pct`` (USD within
    +-1% / +-2% of the perp mid), ``open_interest``, ``insurance_fund`` (USD), ``liq_long_cum``,
    ``liq_short_cum``, ``adl_long_cum``, ``adl_short_cum`` (USD), ``halted`` (0/1), ``mm_equity``
    (USD). Each metric reads only the columns it needs; rows need not be sorted by ``t``.
``ctx``
    A `RunContext`.

Conventions shared by the time-series metrics: NaN samples of the series a metric reads are
ignored; the *reference sample* of a series is its last finite sample with ``t <=
ctx.shock_start`` (its first finite sample if there is none); "pre-shock" means ``t <
ctx.shock_start`` and "after the shock" means ``t >= ctx.shock_start``. A metric that cannot be
defined on its input (no samples, a zero denominator) is NaN, as documented per function.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeAlias

import numpy as np
import pandas as pd

from ._core import InvalidConfigError
from .codes import EventType, Reason, TradingState

__all__ = [
    "EventsLike",
    "LOWER_IS_BETTER",
    "METRIC_NAMES",
    "RunContext",
    "adl_counterparties",
    "adl_fills",
    "adl_notional",
    "adl_overshoot",
    "amplification",
    "bad_debt",
    "compute_metrics",
    "depth_1pct_min_ratio",
    "halt_count",
    "halted_seconds",
    "insurance_fund_drawdown",
    "insurance_fund_exhausted",
    "liquidation_count",
    "liquidation_count_long",
    "liquidation_count_short",
    "liquidation_notional",
    "liquidation_notional_long",
    "liquidation_notional_short",
    "long_liquidation_share",
    "max_drawdown",
    "max_mark_index_dev",
    "max_spread_ratio",
    "mm_pnl",
    "realized_vol",
    "recovery_time",
    "recovery_time_50",
    "recovery_time_80",
]

METRIC_NAMES: tuple[str, ...] = (
    "max_drawdown",
    "liquidation_notional",
    "liquidation_notional_long",
    "liquidation_notional_short",
    "liquidation_count",
    "liquidation_count_long",
    "liquidation_count_short",
    "long_liquidation_share",
    "amplification",
    "insurance_fund_drawdown",
    "insurance_fund_exhausted",
    "bad_debt",
    "adl_notional",
    "adl_fills",
    "adl_counterparties",
    "adl_overshoot",
    "depth_1pct_min_ratio",
    "max_spread_ratio",
    "max_mark_index_dev",
    "realized_vol",
    "recovery_time_50",
    "recovery_time_80",
    "halt_count",
    "halted_seconds",
    "mm_pnl",
)
"""The metric names, in the order `compute_metrics` returns them."""

_HIGHER_IS_BETTER = frozenset({"depth_1pct_min_ratio", "mm_pnl"})
_NO_DIRECTION = frozenset({"long_liquidation_share"})

LOWER_IS_BETTER: Mapping[str, bool | None] = MappingProxyType({
    name: (None if name in _NO_DIRECTION else name not in _HIGHER_IS_BETTER) for name in METRIC_NAMES
})
"""For each metric, whether a reduction is an improvement.

True: lower is better (everything measuring severity, cost or disruption, including the halt
metrics and the recovery times); False: higher is better (``depth_1pct_min_ratio``, ``mm_pnl``);
None: the metric describes the cascade but has no better direction (``long_liquidation_share``).
"""

# Raw codes, as plain ints for vectorised comparisons.
_FILL = int(EventType.FILL)
_TAKEOVER = int(EventType.TAKEOVER)
_ADL_FILL = int(EventType.ADL_FILL)
_BAD_DEBT = int(EventType.BAD_DEBT)
_STATE = int(EventType.STATE)
_LIQUIDATION_CODE = int(Reason.LIQUIDATION)
_DEFICIT_CODE = int(Reason.NONE)
_SOCIALIZED_CODE = int(Reason.SOCIALIZED)
_CONTINUOUS = int(TradingState.CONTINUOUS)
_SELL = -1
_WINDOW_S = 60.0

_EVENT_COLUMNS = ("seq", "type", "code", "side", "price", "qty", "cash", "other_leaves", "other_account",
                  "instrument")
_TS_COLUMNS = ("t", "mark", "index", "best_bid", "best_ask", "depth_bid_1pct", "depth_ask_1pct",
               "insurance_fund", "halted", "mm_equity")


@dataclass(frozen=True)
class RunContext:
    """What the metrics need to know about a run besides its events and time series.

    Attributes:
        cash_unit: USD per engine cash unit (e.g. 1e-6).
        perp: instrument id of the perpetual (halts are counted on it).
        cash_per_tick_lot: cash units per tick x lot of the instrument (an integer >= 1), so
            that a fill's USD notional is ``price * qty * cash_per_tick_lot * cash_unit``.
        shock_start: seconds from start at which the shock begins.
        exogenous_notional: USD notional of the exogenous flow (denominator of `amplification`).
        duration: run length in seconds (used by the recovery times when the mark never
            recovers).
    """

    cash_unit: float
    perp: int
    cash_per_tick_lot: int
    shock_start: float
    exogenous_notional: float
    duration: float

    def __post_init__(self) -> None:
        def number(name: str, v: object) -> float:
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(float(v)):
                raise InvalidConfigError(f"RunContext.{name} must be a finite number, got {v!r}")
            return float(v)

        if number("cash_unit", self.cash_unit) <= 0:
            raise InvalidConfigError(f"RunContext.cash_unit must be > 0, got {self.cash_unit!r}")
        for name in ("perp", "cash_per_tick_lot"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise InvalidConfigError(f"RunContext.{name} must be an integer, got {v!r}")
        if self.cash_per_tick_lot < 1:
            raise InvalidConfigError(
                f"RunContext.cash_per_tick_lot must be >= 1, got {self.cash_per_tick_lot!r}")
        number("shock_start", self.shock_start)
        number("exogenous_notional", self.exogenous_notional)
        if number("duration", self.duration) < 0:
            raise InvalidConfigError(f"RunContext.duration must be >= 0, got {self.duration!r}")


# --------------------------------------------------------------------------------------------
# input helpers

EventsLike: TypeAlias = "pd.DataFrame | np.ndarray | Mapping[str, np.ndarray]"
"""An event log: a DataFrame with the EVENT_DTYPE columns, the structured array itself, or a
mapping of those column names to arrays."""


class _EventColumns(dict[str, np.ndarray]):
    """The int64 columns compute_metrics reads, converted once, with shared intermediate results."""

    forced: tuple[np.ndarray, np.ndarray] | None = None


def _frame(data: pd.DataFrame, what: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    raise InvalidConfigError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")


def _col(df: pd.DataFrame, name: str, what: str) -> np.ndarray:
    if name not in df.columns:
        raise InvalidConfigError(f"{what} has no column {name!r} (columns: {list(df.columns)})")
    return np.asarray(df[name].to_numpy(), dtype=np.float64)


def _ev(events: EventsLike, name: str) -> np.ndarray:
    """One raw event column as int64."""
    if isinstance(events, pd.DataFrame):
        names = list(events.columns)
    elif isinstance(events, np.ndarray) and events.dtype.names is not None:
        names = list(events.dtype.names)
    elif isinstance(events, Mapping):
        names = list(events)
    else:
        raise InvalidConfigError(
            f"events must be a DataFrame, a structured array or a mapping of columns, got {type(events).__name__}")
    if name not in names:
        raise InvalidConfigError(f"events have no column {name!r} (columns: {names})")
    col = events[name]
    return np.asarray(col.to_numpy() if isinstance(col, pd.Series) else col, dtype=np.int64)


def _usd_notional(price: np.ndarray, qty: np.ndarray, ctx: RunContext) -> np.ndarray:
    # float64 products: exact while price*qty < 2**53, never overflow when summed.
    return price.astype(np.float64) * qty.astype(np.float64) * (ctx.cash_per_tick_lot * ctx.cash_unit)


def _series(timeseries: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(t, values) of one column, sorted by t, with the non-finite samples dropped."""
    ts = _frame(timeseries, "timeseries")
    t = _col(ts, "t", "timeseries")
    v = _col(ts, name, "timeseries")
    if t.size > 1 and not bool(np.all(t[1:] >= t[:-1])):
        order = np.argsort(t, kind="stable")
        t, v = t[order], v[order]
    ok = np.isfinite(t) & np.isfinite(v)
    return t[ok], v[ok]


def _reference_index(t: np.ndarray, shock_start: float) -> int:
    """Index of the last sample with t <= shock_start (0 if none); t sorted and non-empty."""
    return max(int(np.searchsorted(t, shock_start, side="right")) - 1, 0)


def _nanmean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else math.nan


# --------------------------------------------------------------------------------------------
# liquidations (events)

def _forced_mask(typ: np.ndarray, code: np.ndarray) -> np.ndarray:
    """The forced-close fills among events: FILL events with code LIQUIDATION and TAKEOVER events
    (also `liqsim.analysis`, so both count the same fills)."""
    return ((typ == _FILL) & (code == _LIQUIDATION_CODE)) | (typ == _TAKEOVER)


def _forced_closes(events: EventsLike, ctx: RunContext) -> tuple[np.ndarray, np.ndarray]:
    """(USD notional, is_long) of every forced-close fill: FILL events with code LIQUIDATION
    (the liquidated account's IOC, side = its taker side) and TAKEOVER events (price = the
    bankruptcy price, side = the closing side). A sell closes a long."""
    if isinstance(events, _EventColumns) and events.forced is not None:
        return events.forced
    sel = _forced_mask(_ev(events, "type"), _ev(events, "code"))
    price = _ev(events, "price")[sel]
    qty = _ev(events, "qty")[sel]
    side = _ev(events, "side")[sel]
    out = _usd_notional(price, qty, ctx), side == _SELL
    if isinstance(events, _EventColumns):
        events.forced = out
    return out


def liquidation_notional(events: EventsLike, ctx: RunContext) -> float:
    """USD notional of all forced-close fills.

    A forced-close fill is a FILL event with ``code == Reason.LIQUIDATION`` (a liquidated
    account's IOC through the book) or a TAKEOVER event (a position taken over by the insurance
    fund or backstop vault at the bankruptcy price). Notional = sum of ``price * qty *
    cash_per_tick_lot * cash_unit``. All instruments are counted.
    """
    return float(_forced_closes(events, ctx)[0].sum())


def liquidation_notional_long(events: EventsLike, ctx: RunContext) -> float:
    """`liquidation_notional` of the forced closes of longs (closing side ``side == -1``)."""
    notional, is_long = _forced_closes(events, ctx)
    return float(notional[is_long].sum())


def liquidation_notional_short(events: EventsLike, ctx: RunContext) -> float:
    """`liquidation_notional` of the forced closes of shorts (closing side ``side == +1``)."""
    notional, is_long = _forced_closes(events, ctx)
    return float(notional[~is_long].sum())


def liquidation_count(events: EventsLike, ctx: RunContext) -> float:
    """Number of forced-close fills (book fills with code LIQUIDATION plus TAKEOVER events)."""
    return float(_forced_closes(events, ctx)[0].size)


def liquidation_count_long(events: EventsLike, ctx: RunContext) -> float:
    """Number of forced-close fills that closed longs (``side == -1``)."""
    return float(np.count_nonzero(_forced_closes(events, ctx)[1]))


def liquidation_count_short(events: EventsLike, ctx: RunContext) -> float:
    """Number of forced-close fills that closed shorts (``side == +1``)."""
    is_long = _forced_closes(events, ctx)[1]
    return float(is_long.size - np.count_nonzero(is_long))


def long_liquidation_share(events: EventsLike, ctx: RunContext) -> float:
    """`liquidation_notional_long` / `liquidation_notional`; NaN when nothing was liquidated."""
    notional, is_long = _forced_closes(events, ctx)
    total = float(notional.sum())
    return float(notional[is_long].sum()) / total if total > 0 else math.nan


# --------------------------------------------------------------------------------------------
# ADL and bad debt (events)

def adl_notional(events: EventsLike, ctx: RunContext) -> float:
    """USD notional closed by ADL: sum over ADL_FILL events of ``price * qty *
    cash_per_tick_lot * cash_unit``."""
    sel = _ev(events, "type") == _ADL_FILL
    return float(_usd_notional(_ev(events, "price")[sel], _ev(events, "qty")[sel], ctx).sum())


def adl_fills(events: EventsLike, ctx: RunContext) -> float:
    """Number of ADL_FILL events."""
    return float(np.count_nonzero(_ev(events, "type") == _ADL_FILL))


def adl_counterparties(events: EventsLike, ctx: RunContext) -> float:
    """Number of distinct counterparties (``other_account``) over all ADL_FILL events."""
    sel = _ev(events, "type") == _ADL_FILL
    return float(len(pd.unique(_ev(events, "other_account")[sel])))


def bad_debt(events: EventsLike, ctx: RunContext) -> float:
    """USD loss left after the insurance fund, i.e. what ADL or socialization had to cover:
    over BAD_DEBT events, ``other_leaves * cash_unit`` of code 0 (the part of a bankrupt
    account's deficit that ADL closes at the bankruptcy price covered; 0 for deficits the fund
    paid and with ADL at the mark) plus ``cash * cash_unit`` of code SOCIALIZED (shares charged
    to ADL counterparties at the mark, or to every trader with equity when a backstop is below
    zero after the fund ran out). Each unit of loss is in exactly one of these."""
    typ, code = _ev(events, "type"), _ev(events, "code")
    by_adl = (typ == _BAD_DEBT) & (code == _DEFICIT_CODE)
    shared = (typ == _BAD_DEBT) & (code == _SOCIALIZED_CODE)
    total = (_ev(events, "other_leaves")[by_adl].astype(np.float64).sum()
             + _ev(events, "cash")[shared].astype(np.float64).sum())
    return float(total * ctx.cash_unit)


def adl_overshoot(events: EventsLike, ctx: RunContext) -> float:
    """USD of counterparty profit that ADL closed beyond the shortfall it had to cover:
    ``max(0, sum of ADL_FILL cash * cash_unit - bad_debt)``, where an ADL_FILL's cash is the
    counterparty's profit realized on the closed lots and the shortfall is `bad_debt`."""
    sel = _ev(events, "type") == _ADL_FILL
    profit = float(_ev(events, "cash")[sel].astype(np.float64).sum() * ctx.cash_unit)
    return max(0.0, profit - bad_debt(events, ctx))


def amplification(events: EventsLike, ctx: RunContext) -> float:
    """(`liquidation_notional` + `adl_notional`) / ``ctx.exogenous_notional``; NaN when the
    exogenous notional is <= 0."""
    if not ctx.exogenous_notional > 0:
        return math.nan
    return (liquidation_notional(events, ctx) + adl_notional(events, ctx)) / ctx.exogenous_notional


# --------------------------------------------------------------------------------------------
# halts

def halt_count(events: EventsLike, ctx: RunContext) -> float:
    """Number of halts of ``ctx.perp``: STATE events of that instrument (in ``seq`` order) whose
    new state (``side``) is HALTED (1) or CLOSED (2) while the previous state was CONTINUOUS (0);
    the state before the first STATE event is CONTINUOUS. A halt that becomes a close, or a
    halt extended by another STATE event, counts once."""
    typ = _ev(events, "type")
    sel = (typ == _STATE) & (_ev(events, "instrument") == ctx.perp)
    seq = _ev(events, "seq")[sel]
    state = _ev(events, "side")[sel]
    if seq.size > 1 and not bool(np.all(seq[1:] >= seq[:-1])):
        state = state[np.argsort(seq, kind="stable")]
    prev = np.concatenate(([_CONTINUOUS], state[:-1]))
    return float(np.count_nonzero((state != _CONTINUOUS) & (prev == _CONTINUOUS)))


def halted_seconds(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """Total halted time in seconds: the number of time-series samples with ``halted != 0``
    times the sampling interval (the median step of ``t``; 1 s if there are fewer than two
    samples). With the standard 1-second sampling this is the count of halted seconds."""
    t, halted = _series(timeseries, "halted")
    step = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    return float(np.count_nonzero(halted != 0)) * step


# --------------------------------------------------------------------------------------------
# price path (time series)

def max_drawdown(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """``(P0 - min P_t) / P0`` on the perp mark: P0 is the mark at the reference sample (last
    finite mark with ``t <= shock_start``, else the first), the minimum is taken over P0 and
    every mark with ``t >= shock_start``. Never negative; NaN without marks or if P0 <= 0."""
    t, mark = _series(timeseries, "mark")
    if t.size == 0:
        return math.nan
    p0 = float(mark[_reference_index(t, ctx.shock_start)])
    if not p0 > 0:
        return math.nan
    low = min(p0, float(mark[t >= ctx.shock_start].min(initial=np.inf)))
    return (p0 - low) / p0


def recovery_time(timeseries: pd.DataFrame, ctx: RunContext, fraction: float) -> float:
    """Seconds from the trough until the mark has recovered ``fraction`` of the drop.

    P0 = the mark at the reference sample (as in `max_drawdown`); the trough is the first
    minimum of the mark over ``t >= shock_start`` at time ``t_trough``; drop = P0 - trough.
    Result: ``t_rec - t_trough`` with ``t_rec`` the first sample after the trough where ``mark >=
    trough + fraction * drop``; ``ctx.duration - t_trough`` (at least 0) if that never happens;
    0.0 if drop <= 0; NaN without marks at ``t >= shock_start``.
    """
    t, mark = _series(timeseries, "mark")
    post = np.flatnonzero(t >= ctx.shock_start)
    if post.size == 0:
        return math.nan
    p0 = float(mark[_reference_index(t, ctx.shock_start)])
    i_trough = int(post[np.argmin(mark[post])])
    trough, t_trough = float(mark[i_trough]), float(t[i_trough])
    drop = p0 - trough
    if not drop > 0:
        return 0.0
    after = np.flatnonzero(mark[i_trough + 1:] >= trough + fraction * drop)
    if after.size == 0:
        return max(0.0, float(ctx.duration) - t_trough)
    return float(t[i_trough + 1 + after[0]]) - t_trough


def recovery_time_50(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """`recovery_time` with ``fraction = 0.5``: seconds from the trough until the mark is back
    above trough + 50% of the drop (``ctx.duration - t_trough`` if never)."""
    return recovery_time(timeseries, ctx, 0.5)


def recovery_time_80(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """`recovery_time` with ``fraction = 0.8``: seconds from the trough until the mark is back
    above trough + 80% of the drop (``ctx.duration - t_trough`` if never)."""
    return recovery_time(timeseries, ctx, 0.8)


def max_mark_index_dev(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """``max over t of abs(mark - index) / index`` over samples where both are finite and the
    index is > 0; NaN if there is none."""
    ts = _frame(timeseries, "timeseries")
    mark = _col(ts, "mark", "timeseries")
    index = _col(ts, "index", "timeseries")
    ok = np.isfinite(mark) & np.isfinite(index) & (index > 0)
    if not ok.any():
        return math.nan
    return float(np.max(np.abs(mark[ok] - index[ok]) / index[ok]))


def realized_vol(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """``sqrt(sum r_i^2)`` with ``r_i = log(mark_i / mark_{i-1})`` over consecutive samples (the
    1-second log returns) of the whole run, skipping non-positive or NaN marks; NaN with fewer
    than two marks. Not annualised, not demeaned."""
    _, mark = _series(timeseries, "mark")
    mark = mark[mark > 0]
    if mark.size < 2:
        return math.nan
    r = np.diff(np.log(mark))
    return float(np.sqrt(np.dot(r, r)))


# --------------------------------------------------------------------------------------------
# liquidity (time series)

def depth_1pct_min_ratio(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """Worst 1-minute depth within +-1% of the mid after the shock, relative to normal.

    depth_t = ``depth_bid_1pct + depth_ask_1pct`` (USD). Numerator: the samples with ``t >=
    shock_start`` are grouped into windows ``floor(t / 60)`` and averaged per window; the minimum
    window mean is taken. Denominator: the mean of depth_t over ``t < shock_start``. NaN samples
    are ignored; NaN if either side has no sample or the pre-shock mean is <= 0.
    """
    ts = _frame(timeseries, "timeseries")
    t = _col(ts, "t", "timeseries")
    depth = _col(ts, "depth_bid_1pct", "timeseries") + _col(ts, "depth_ask_1pct", "timeseries")
    ok = np.isfinite(t) & np.isfinite(depth)
    t, depth = t[ok], depth[ok]
    normal = _nanmean(depth[t < ctx.shock_start])
    post = t >= ctx.shock_start
    if not normal > 0 or not post.any():
        return math.nan
    _, window = np.unique(np.floor(t[post] / _WINDOW_S), return_inverse=True)
    means = np.bincount(window, weights=depth[post]) / np.bincount(window)
    return float(means.min()) / normal


def max_spread_ratio(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """``max(best_ask - best_bid)`` over ``t >= shock_start`` divided by the median of
    ``best_ask - best_bid`` over ``t < shock_start``. Samples with a NaN side (empty book side)
    are ignored; NaN if either set is empty or the pre-shock median is <= 0."""
    ts = _frame(timeseries, "timeseries")
    t = _col(ts, "t", "timeseries")
    spread = _col(ts, "best_ask", "timeseries") - _col(ts, "best_bid", "timeseries")
    ok = np.isfinite(t) & np.isfinite(spread)
    t, spread = t[ok], spread[ok]
    pre, post = spread[t < ctx.shock_start], spread[t >= ctx.shock_start]
    if pre.size == 0 or post.size == 0:
        return math.nan
    normal = float(np.median(pre))
    return float(post.max()) / normal if normal > 0 else math.nan


# --------------------------------------------------------------------------------------------
# backstops and market makers (time series)

def _insurance_fund_window(timeseries: pd.DataFrame, ctx: RunContext) -> tuple[float, float]:
    """(IF0, min IF): IF0 at the reference sample, the minimum over IF0 and ``t >= shock_start``."""
    t, fund = _series(timeseries, "insurance_fund")
    if t.size == 0:
        return math.nan, math.nan
    if0 = float(fund[_reference_index(t, ctx.shock_start)])
    return if0, min(if0, float(fund[t >= ctx.shock_start].min(initial=np.inf)))


def insurance_fund_drawdown(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """``(IF0 - min IF) / IF0`` of the insurance fund (USD): IF0 at the reference sample (last
    finite value with ``t <= shock_start``, else the first), the minimum over IF0 and every value
    with ``t >= shock_start``. 0.0 if IF0 <= 0 (no fund to draw down); NaN without samples."""
    if0, low = _insurance_fund_window(timeseries, ctx)
    if math.isnan(if0):
        return math.nan
    return (if0 - low) / if0 if if0 > 0 else 0.0


def insurance_fund_exhausted(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """1.0 if the insurance fund reached zero (min IF <= 0 over the window of
    `insurance_fund_drawdown`, so also when it started at 0), else 0.0; NaN without samples."""
    if0, low = _insurance_fund_window(timeseries, ctx)
    if math.isnan(if0):
        return math.nan
    return 1.0 if low <= 0 else 0.0


def mm_pnl(timeseries: pd.DataFrame, ctx: RunContext) -> float:
    """Market makers' PnL over the run (USD): last finite ``mm_equity`` minus the first finite
    one (by ``t``); NaN without samples."""
    _, equity = _series(timeseries, "mm_equity")
    if equity.size == 0:
        return math.nan
    return float(equity[-1] - equity[0])


# --------------------------------------------------------------------------------------------

def compute_metrics(events: EventsLike, timeseries: pd.DataFrame,
                    ctx: RunContext) -> dict[str, float]:
    """All metrics of one run as ``{name: float}`` with the keys of `METRIC_NAMES`, in order.

    Raises `InvalidConfigError` if ``ctx`` is not a `RunContext` or an input lacks a column a
    metric needs. Counts are returned as floats; undefined metrics are NaN (see each function).
    """
    if not isinstance(ctx, RunContext):
        raise InvalidConfigError(f"ctx must be a liqsim.metrics.RunContext, got {type(ctx).__name__}")
    ts = _frame(timeseries, "timeseries")
    missing = [c for c in _TS_COLUMNS if c not in ts.columns]
    if missing:
        raise InvalidConfigError(f"timeseries lacks the columns {missing}")
    t = ts["t"].to_numpy()
    if t.size > 1 and not bool(np.all(t[1:] >= t[:-1])):
        ts = ts.sort_values("t", kind="stable")  # once here, not in every metric
    # The raw event columns the metrics read, as contiguous int64 arrays converted once.
    ev = _EventColumns({c: np.ascontiguousarray(_ev(events, c)) for c in _EVENT_COLUMNS})

    out = {
        "max_drawdown": max_drawdown(ts, ctx),
        "liquidation_notional": liquidation_notional(ev, ctx),
        "liquidation_notional_long": liquidation_notional_long(ev, ctx),
        "liquidation_notional_short": liquidation_notional_short(ev, ctx),
        "liquidation_count": liquidation_count(ev, ctx),
        "liquidation_count_long": liquidation_count_long(ev, ctx),
        "liquidation_count_short": liquidation_count_short(ev, ctx),
        "long_liquidation_share": long_liquidation_share(ev, ctx),
        "amplification": amplification(ev, ctx),
        "insurance_fund_drawdown": insurance_fund_drawdown(ts, ctx),
        "insurance_fund_exhausted": insurance_fund_exhausted(ts, ctx),
        "bad_debt": bad_debt(ev, ctx),
        "adl_notional": adl_notional(ev, ctx),
        "adl_fills": adl_fills(ev, ctx),
        "adl_counterparties": adl_counterparties(ev, ctx),
        "adl_overshoot": adl_overshoot(ev, ctx),
        "depth_1pct_min_ratio": depth_1pct_min_ratio(ts, ctx),
        "max_spread_ratio": max_spread_ratio(ts, ctx),
        "max_mark_index_dev": max_mark_index_dev(ts, ctx),
        "realized_vol": realized_vol(ts, ctx),
        "recovery_time_50": recovery_time_50(ts, ctx),
        "recovery_time_80": recovery_time_80(ts, ctx),
        "halt_count": halt_count(ev, ctx),
        "halted_seconds": halted_seconds(ts, ctx),
        "mm_pnl": mm_pnl(ts, ctx),
    }
    assert tuple(out) == METRIC_NAMES
    return {k: float(v) for k, v in out.items()}
