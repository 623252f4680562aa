"""Liquidations one by one: when each ran, how far past its margin the account was by then, what
it closed and what loss it left.

The run metrics (`liqsim.metrics`) add liquidations up; this module keeps them apart, which is
what it takes to see *why* a policy changes the totals. A rule that holds liquidations back (a
throttle, a pause during halts) shows up here as accounts liquidated far below their
maintenance margin, with equity already negative, and as deficits the fund or ADL must cover:

    res = liqsim.run("oct10-2025", "liq_throttle", seed=0)
    liq = res.liquidations()                  # one row per LIQUIDATION event
    liq["margin_ratio"].median()              # equity / maintenance when the liquidation ran
    liqsim.analysis.summarize(liq)            # the same figures for a table of runs

Each row is one ``LIQUIDATION`` event. Its forced-close fills (book fills with code
``LIQUIDATION`` and ``TAKEOVER`` events of that account) and the ``BAD_DEBT`` deficits the
account left (code 0) belong to the latest liquidation of the same account at or before them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._core import InvalidConfigError
from .codes import EventType, Reason
from .metrics import EventsLike, RunContext, _ev, _usd_notional

__all__ = ["LIQUIDATION_COLUMNS", "SUMMARY_NAMES", "liquidation_table", "summarize"]

#: Columns of `liquidation_table`, in order.
LIQUIDATION_COLUMNS: tuple[str, ...] = (
    "seq", "t", "account", "scope", "mode", "equity_usd", "maintenance_usd", "margin_ratio",
    "closed_notional_usd", "deficit_usd", "halted", "since_reopen_s")

#: Keys of `summarize`, in order.
SUMMARY_NAMES: tuple[str, ...] = (
    "liquidations", "underwater_share", "margin_ratio_median", "margin_ratio_p05",
    "underwater_notional_share", "reopen_burst_share", "deficit_usd", "t_median")

_LIQ = int(EventType.LIQUIDATION)
_FILL = int(EventType.FILL)
_TAKEOVER = int(EventType.TAKEOVER)
_BAD_DEBT = int(EventType.BAD_DEBT)
_STATE = int(EventType.STATE)
_CONTINUOUS = 0  # STATE side: the new trading state (TradingState.CONTINUOUS)
_LIQ_CODE = int(Reason.LIQUIDATION)
_DEFICIT_CODE = int(Reason.NONE)


def _attribute(liq_seq: np.ndarray, liq_account: np.ndarray, seq: np.ndarray,
               account: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Sum of `value` per liquidation: each (seq, account) row goes to the latest liquidation of
    the same account with a smaller or equal seq (rows with none are dropped)."""
    out = np.zeros(liq_seq.size, dtype=np.float64)
    if liq_seq.size == 0 or seq.size == 0:
        return out
    left = pd.DataFrame({"seq": seq, "account": account, "value": value}).sort_values("seq", kind="stable")
    right = pd.DataFrame({"seq": liq_seq, "account": liq_account, "row": np.arange(liq_seq.size)})
    matched = pd.merge_asof(left, right.sort_values("seq", kind="stable"), on="seq", by="account",
                            direction="backward")
    matched = matched.dropna(subset=["row"])
    np.add.at(out, matched["row"].to_numpy(dtype=np.int64), matched["value"].to_numpy(dtype=np.float64))
    return out


def _halt_state(col: dict[str, np.ndarray], at: np.ndarray, perp: int) -> tuple[np.ndarray, np.ndarray]:
    """(halted, seconds since the latest reopening) of instrument `perp` at each row index of
    `at`, from its STATE events (side = the new state); `col` in log order."""
    states = np.flatnonzero((col["type"] == _STATE) & (col["instrument"] == perp))
    new_state = col["side"][states]
    k = np.searchsorted(states, at, side="right") - 1  # the latest state change before each row
    halted = np.zeros(at.size, dtype=bool)
    has = k >= 0
    halted[has] = new_state[k[has]] != _CONTINUOUS
    # Reopenings: changes to continuous trading after a halt.
    was_halted = np.concatenate(([False], new_state[:-1] != _CONTINUOUS))
    reopenings = states[(new_state == _CONTINUOUS) & was_halted]
    j = np.searchsorted(reopenings, at, side="right") - 1
    since = np.full(at.size, np.nan)
    ok = j >= 0
    since[ok] = (col["ts"][at[ok]] - col["ts"][reopenings[j[ok]]]).astype(np.float64) / 1e9
    return halted, since


def liquidation_table(events: EventsLike, ctx: RunContext) -> pd.DataFrame:
    """One row per ``LIQUIDATION`` event, in log order, with the columns `LIQUIDATION_COLUMNS`.

    - ``seq``, ``t``: the event's sequence number and time in seconds from the start;
    - ``account``; ``scope``: -1 for a cross-margin account, else the instrument of the
      isolated position; ``mode``: the liquidation mode code (`RiskConfig.liquidation`);
    - ``equity_usd``, ``maintenance_usd``: the account's equity and maintenance margin when the
      liquidation ran (the event's ``cash`` and ``other_leaves``), and ``margin_ratio`` their
      quotient (NaN if the maintenance is 0). Without a breaker a liquidation runs when the
      ratio first falls below 1; a ratio far below 1, or negative, means it ran late (it waited,
      or the mark jumped);
    - ``closed_notional_usd``: USD notional of its forced closes (book fills with code
      LIQUIDATION taken by the account, TAKEOVER events of the account; the same fills as the
      metric `liquidation_notional`);
    - ``deficit_usd``: the loss the account could not cover (``cash`` of its ``BAD_DEBT``
      events with code 0), whoever paid it: the insurance fund, ADL or socialization. Deficits
      of accounts that were never liquidated (one that traded itself below zero and went flat,
      a backstop) are in no row;
    - ``halted``: whether the perpetual (``ctx.perp``) was halted when the liquidation ran;
      ``since_reopen_s``: seconds since its latest return to continuous trading after a halt
      (NaN if it had not been halted yet). Under a breaker, liquidations bunched just after the
      reopenings mean the halts stored the selling up rather than absorbed it.

    The events may be any subset of a log that keeps the LIQUIDATION, FILL, TAKEOVER, BAD_DEBT
    and STATE events; they are put in ``seq`` order first.
    """
    col = {name: _ev(events, name) for name in
           ("seq", "ts", "type", "code", "account", "instrument", "side", "price", "qty", "cash",
            "other_leaves")}
    if col["seq"].size > 1 and not bool(np.all(col["seq"][1:] > col["seq"][:-1])):
        order = np.argsort(col["seq"], kind="stable")
        col = {name: v[order] for name, v in col.items()}
    typ, code, seq, account = col["type"], col["code"], col["seq"], col["account"]
    rows = np.flatnonzero(typ == _LIQ)
    liq_seq, liq_account = seq[rows], account[rows]
    equity = col["cash"][rows].astype(np.float64)
    maintenance = col["other_leaves"][rows].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(maintenance != 0, equity / np.where(maintenance != 0, maintenance, 1.0), np.nan)

    forced = ((typ == _FILL) & (code == _LIQ_CODE)) | (typ == _TAKEOVER)
    closed = _attribute(liq_seq, liq_account, seq[forced], account[forced],
                        _usd_notional(col["price"][forced], col["qty"][forced], ctx))
    deficits = (typ == _BAD_DEBT) & (code == _DEFICIT_CODE)
    deficit = _attribute(liq_seq, liq_account, seq[deficits], account[deficits],
                         col["cash"][deficits].astype(np.float64) * ctx.cash_unit)
    halted, since_reopen = _halt_state(col, rows, ctx.perp)

    return pd.DataFrame({
        "seq": liq_seq,
        "t": col["ts"][rows].astype(np.float64) / 1e9,
        "account": liq_account.astype(np.int32),
        "scope": col["instrument"][rows].astype(np.int32),
        "mode": code[rows].astype(np.int32),
        "equity_usd": equity * ctx.cash_unit,
        "maintenance_usd": maintenance * ctx.cash_unit,
        "margin_ratio": ratio,
        "closed_notional_usd": closed,
        "deficit_usd": deficit,
        "halted": halted,
        "since_reopen_s": since_reopen,
    }, columns=list(LIQUIDATION_COLUMNS))


def summarize(table: pd.DataFrame, *, burst_s: float = 30.0) -> dict[str, float]:
    """Figures of one `liquidation_table` (one run):

    - ``liquidations``: rows; ``underwater_share``: share of them that ran with equity < 0;
    - ``margin_ratio_median``, ``margin_ratio_p05``: median and 5th percentile of
      ``margin_ratio`` (NaN ratios left out; NaN when there are none);
    - ``underwater_notional_share``: share of ``closed_notional_usd`` closed by liquidations
      that ran with equity < 0;
    - ``reopen_burst_share``: share of ``closed_notional_usd`` closed within ``burst_s``
      seconds after a reopening (``since_reopen_s <= burst_s``);
    - ``deficit_usd``: total of ``deficit_usd``; ``t_median``: median liquidation time (s).

    Shares are NaN when nothing was closed.
    """
    if not (isinstance(burst_s, (int, float)) and math.isfinite(burst_s) and burst_s >= 0):
        raise InvalidConfigError(f"burst_s must be a finite number >= 0, got {burst_s!r}")
    missing = [c for c in LIQUIDATION_COLUMNS if c not in table.columns]
    if missing:
        raise InvalidConfigError(f"not a liquidation_table: no column(s) {missing}")
    n = len(table)
    ratio = table["margin_ratio"].to_numpy(dtype=np.float64)
    ratio = ratio[np.isfinite(ratio)]
    under = table["equity_usd"].to_numpy(dtype=np.float64) < 0
    closed = table["closed_notional_usd"].to_numpy(dtype=np.float64)
    burst = table["since_reopen_s"].to_numpy(dtype=np.float64) <= burst_s  # NaN: False
    total = float(closed.sum())

    def share(mask: np.ndarray) -> float:
        return float(closed[mask].sum()) / total if total > 0 else math.nan

    return {
        "liquidations": float(n),
        "underwater_share": float(under.mean()) if n else math.nan,
        "margin_ratio_median": float(np.median(ratio)) if ratio.size else math.nan,
        "margin_ratio_p05": float(np.quantile(ratio, 0.05)) if ratio.size else math.nan,
        "underwater_notional_share": share(under),
        "reopen_burst_share": share(burst),
        "deficit_usd": float(table["deficit_usd"].sum()),
        "t_median": float(table["t"].median()) if n else math.nan,
    }
