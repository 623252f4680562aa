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
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ._core import InvalidConfigError
from .codes import EventType, SystemAccount
from .metrics import (_BAD_DEBT, _CONTINUOUS, _DEFICIT_CODE, _STATE, EventsLike, RunContext, _ev,
                      _forced_mask, _usd_notional)

__all__ = ["LIQUIDATION_COLUMNS", "SUMMARY_NAMES", "liquidation_table", "summarize"]

#: Columns of `liquidation_table`, in order.
LIQUIDATION_COLUMNS: tuple[str, ...] = (
    "seq", "t", "account", "scope", "mode", "equity_usd", "maintenance_usd", "margin_ratio",
    "closed_notional_usd", "deficit_usd", "halted", "since_reopen_s")

#: Keys of `summarize`, in order.
SUMMARY_NAMES: tuple[str, ...] = (
    "liquidations", "accounts", "underwater_share", "margin_ratio_median", "margin_ratio_p05",
    "underwater_notional_share", "reopen_burst_share", "deficit_usd", "t_median")

_LIQ = int(EventType.LIQUIDATION)
_FUND = int(SystemAccount.INSURANCE_FUND)
_COLUMNS = ("seq", "ts", "type", "code", "account", "other_account", "instrument", "side", "price",
            "qty", "cash", "other_leaves")


def _rows(events: EventsLike, keep: np.ndarray) -> EventsLike:
    """The events at the rows where `keep` is True, in the same form."""
    if isinstance(events, (np.ndarray, pd.DataFrame)):
        return events[keep]
    assert isinstance(events, Mapping)
    return {name: np.asarray(col)[keep] for name, col in events.items()}


def _attribute(liq: pd.DataFrame, seq: np.ndarray, account: np.ndarray, ts: np.ndarray,
               value: np.ndarray) -> np.ndarray:
    """Sum of `value` per liquidation: each (seq, account, ts) row goes to the latest liquidation
    of the same account at the same time with a smaller seq (rows with none are dropped). A
    liquidation records its closes and deficits within its own risk stage, so a row from a later
    time (an account trading itself below zero after a partial slice) is none of its doing. Both
    sides in ascending seq order."""
    out = np.zeros(len(liq), dtype=np.float64)
    if len(liq) == 0 or seq.size == 0:
        return out
    left = pd.DataFrame({"seq": seq, "account": account, "ts": ts, "value": value})
    matched = pd.merge_asof(left, liq, on="seq", by=["account", "ts"], direction="backward")
    matched = matched.dropna(subset=["row"])
    np.add.at(out, matched["row"].to_numpy(dtype=np.int64), matched["value"].to_numpy(dtype=np.float64))
    return out


def _halt_state(col: dict[str, np.ndarray], at: np.ndarray, perp: int) -> tuple[np.ndarray, np.ndarray]:
    """(halted, seconds since the latest reopening) of instrument `perp` at each row index of
    `at`, from its STATE events (side = the new state); `col` in log order. The seconds are NaN
    while halted and before the first halt ended."""
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
    ok = (j >= 0) & ~halted
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
      metric `liquidation_notional`). 0 for an attempt that closed nothing: a partial-mode
      slice that found no bid, a position ADL closed;
    - ``deficit_usd``: the deficit recorded for the account in the same risk stage (``cash`` of
      its ``BAD_DEBT`` events with code 0): left to ADL, or paid by the insurance fund when the
      account ended flat below zero. A takeover at the bankruptcy price hands the loss to the
      backstop without a deficit, so an underwater liquidation can show 0 here; deficits of
      accounts not being liquidated (one that traded itself below zero, a backstop) are in no
      row;
    - ``halted``: whether the perpetual (``ctx.perp``) was halted when the liquidation ran;
      ``since_reopen_s``: seconds since its latest return to continuous trading after a halt
      (NaN while halted and before the first halt ended). Under a breaker, liquidations bunched
      just after the reopenings mean the halts stored the selling up rather than absorbed it.

    In partial mode an account has a row per slice. The events may be any subset of a log that
    keeps the LIQUIDATION, FILL, TAKEOVER, BAD_DEBT and STATE events; they are put in ``seq``
    order first.
    """
    typ, code = _ev(events, "type"), _ev(events, "code")
    # Only the events read below, before converting the wide columns.
    keep = (typ == _LIQ) | _forced_mask(typ, code) | (typ == _STATE) | ((typ == _BAD_DEBT) & (code == _DEFICIT_CODE))
    sub = _rows(events, keep)
    col = {name: _ev(sub, name) for name in _COLUMNS}
    if col["seq"].size > 1 and not bool(np.all(col["seq"][1:] > col["seq"][:-1])):
        order = np.argsort(col["seq"], kind="stable")
        col = {name: v[order] for name, v in col.items()}
    typ, code, seq, account, ts = col["type"], col["code"], col["seq"], col["account"], col["ts"]
    rows = np.flatnonzero(typ == _LIQ)
    liq = pd.DataFrame({"seq": seq[rows], "account": account[rows], "ts": ts[rows], "row": np.arange(rows.size)})
    equity = col["cash"][rows].astype(np.float64)
    maintenance = col["other_leaves"][rows].astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(maintenance != 0, equity / np.where(maintenance != 0, maintenance, 1.0), np.nan)

    forced = _forced_mask(typ, code)
    closed = _attribute(liq, seq[forced], account[forced], ts[forced],
                        _usd_notional(col["price"][forced], col["qty"][forced], ctx))
    # Deficits: left to ADL (the bankrupt account's record) and paid by the fund when an account
    # ends flat below zero. After ADL at the mark the part no counterparty could pay comes back
    # as a fund-paid deficit of the same account; it is part of the ADL one, not added to it.
    deficit = (typ == _BAD_DEBT) & (code == _DEFICIT_CODE)
    by_fund = deficit & (col["other_account"] == _FUND)

    def deficits(sel: np.ndarray) -> np.ndarray:
        return _attribute(liq, seq[sel], account[sel], ts[sel], col["cash"][sel].astype(np.float64) * ctx.cash_unit)

    left_to_adl, paid_by_fund = deficits(deficit & ~by_fund), deficits(by_fund)
    halted, since_reopen = _halt_state(col, rows, ctx.perp)

    return pd.DataFrame({
        "seq": seq[rows],
        "t": ts[rows].astype(np.float64) / 1e9,
        "account": account[rows].astype(np.int32),
        "scope": col["instrument"][rows].astype(np.int32),
        "mode": code[rows].astype(np.int32),
        "equity_usd": equity * ctx.cash_unit,
        "maintenance_usd": maintenance * ctx.cash_unit,
        "margin_ratio": ratio,
        "closed_notional_usd": closed,
        "deficit_usd": np.where(left_to_adl > 0, left_to_adl, paid_by_fund),
        "halted": halted,
        "since_reopen_s": since_reopen,
    }, columns=list(LIQUIDATION_COLUMNS))


def summarize(table: pd.DataFrame, *, burst_s: float = 30.0) -> dict[str, float]:
    """Figures of one `liquidation_table` (one run):

    - ``liquidations``: rows (LIQUIDATION events: in partial mode one per slice, and attempts
      that closed nothing count); ``accounts``: distinct accounts among them;
      ``underwater_share``: share of the rows that ran with equity < 0;
    - ``margin_ratio_median``, ``margin_ratio_p05``: median and 5th percentile of
      ``margin_ratio`` (NaN ratios left out; NaN when there are none);
    - ``underwater_notional_share``: share of ``closed_notional_usd`` closed by liquidations
      that ran with equity < 0;
    - ``reopen_burst_share``: share of ``closed_notional_usd`` closed within ``burst_s``
      seconds after a reopening, trading continuously (``since_reopen_s <= burst_s``);
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
        "accounts": float(table["account"].nunique()),
        "underwater_share": float(under.mean()) if n else math.nan,
        "margin_ratio_median": float(np.median(ratio)) if ratio.size else math.nan,
        "margin_ratio_p05": float(np.quantile(ratio, 0.05)) if ratio.size else math.nan,
        "underwater_notional_share": share(under),
        "reopen_burst_share": share(burst),
        "deficit_usd": float(table["deficit_usd"].sum()),
        "t_median": float(table["t"].median()) if n else math.nan,
    }
