"""Instrument metadata and the float <-> integer unit conversions done at the Python boundary."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from ._core import MAX_PRICE_TICKS, MAX_QTY_LOTS, InvalidConfigError, InvalidOrderError
from .codes import STP_MODES

# Relative tolerance when deciding whether a float lies on the tick/lot grid (floats such as
# 100000.1 are not exact multiples of 0.1 in binary).
_GRID_RTOL = 1e-9


def _exact(x: float) -> Fraction:
    """The decimal value a user meant by a float such as 0.1 (shortest repr, not binary)."""
    return Fraction(repr(float(x)))


@dataclass(frozen=True)
class Instrument:
    """A tradable instrument: its id in the engine and its unit grid.

    Prices are integer ticks of `tick_size`, quantities integer lots of `lot_size`, cash integer
    units of `cash_unit`. `tick_size * lot_size / cash_unit` must be a whole number, so the
    notional of any fill is an exact integer amount of cash.
    """

    id: int
    symbol: str
    tick_size: float
    lot_size: float
    cash_unit: float
    stp: str
    market_band: float

    @property
    def cash_per_tick_lot(self) -> int:
        """Cash units per (1 tick x 1 lot) of notional."""
        return int(_exact(self.tick_size) * _exact(self.lot_size) / _exact(self.cash_unit))

    def notional(self, price_ticks: int, qty_lots: int) -> int:
        """Exact notional of `qty_lots` at `price_ticks`, in cash units."""
        return abs(int(qty_lots)) * int(price_ticks) * self.cash_per_tick_lot

    def to_ticks(self, price: float | npt.ArrayLike, field: str = "price") -> int | np.ndarray:
        """Convert prices to ticks, rejecting NaN/inf, non-positive and off-grid values."""
        return _to_grid(price, self.tick_size, field, "tick_size", MAX_PRICE_TICKS)

    def to_lots(self, qty: float | npt.ArrayLike, field: str = "qty") -> int | np.ndarray:
        """Convert quantities to lots, rejecting NaN/inf, non-positive and off-grid values."""
        return _to_grid(qty, self.lot_size, field, "lot_size", MAX_QTY_LOTS)

    def tick(self, price: float, field: str = "price") -> int:
        """One price in ticks (scalar twin of `to_ticks`)."""
        return _scalar_to_grid(_real(price, field), self.tick_size, field, "tick_size", MAX_PRICE_TICKS)

    def lot(self, qty: float, field: str = "qty") -> int:
        """One quantity in lots (scalar twin of `to_lots`)."""
        return _scalar_to_grid(_real(qty, field), self.lot_size, field, "lot_size", MAX_QTY_LOTS)

    def price(self, ticks: int | npt.ArrayLike) -> float | np.ndarray:
        """Ticks back to price units (floats, for display)."""
        return _scale(ticks, self.tick_size)

    def qty(self, lots: int | npt.ArrayLike) -> float | np.ndarray:
        """Lots back to quantity units (floats, for display)."""
        return _scale(lots, self.lot_size)


def _scale(units: int | npt.ArrayLike, step: float) -> float | np.ndarray:
    out = np.asarray(units, dtype=np.float64) * step
    return float(out) if out.ndim == 0 else out


def _to_grid(value: float | npt.ArrayLike, step: float, field: str, step_name: str,
             limit: int) -> int | np.ndarray:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return _scalar_to_grid(_real(value, field), step, field, step_name, limit)
    raw = np.asarray(value)
    if raw.dtype.kind not in "iuf":  # not bools, strings, dates, complex or objects
        raise InvalidOrderError(f"{field} must be numbers, got dtype {raw.dtype}")
    arr = raw.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0] if arr.ndim else arr
        raise InvalidOrderError(f"{field} must be a finite number, got {bad}")
    units = arr / step
    rounded = np.rint(units)
    off = np.abs(units - rounded) > _GRID_RTOL * np.maximum(1.0, np.abs(units))
    if np.any(off):
        bad = arr[off].ravel()[0] if arr.ndim else arr
        raise InvalidOrderError(f"{field} {float(bad)!r} is not a multiple of {step_name} {step!r}")
    if np.any(rounded < 1) or np.any(rounded > limit):
        bad = arr[(rounded < 1) | (rounded > limit)].ravel()[0] if arr.ndim else arr
        raise InvalidOrderError(f"{field} must be positive and at most {limit} {step_name}s, got {float(bad)!r}")
    out = rounded.astype(np.int64)
    return int(out) if out.ndim == 0 else out


def _real(v: object, field: str) -> float:
    """`v` as a float if it is a real number (not a bool or a string), else InvalidOrderError."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise InvalidOrderError(f"{field} must be a number, got {v!r}")
    try:
        return float(v)
    except OverflowError:
        raise InvalidOrderError(f"{field} {v!r} is out of range") from None


def _scalar_to_grid(v: float, step: float, field: str, step_name: str, limit: int) -> int:
    """Plain-Python twin of the array path (a notebook's single order should not pay numpy)."""
    if not math.isfinite(v):
        raise InvalidOrderError(f"{field} must be a finite number, got {v}")
    units = v / step
    rounded = round(units)
    if abs(units - rounded) > _GRID_RTOL * max(1.0, abs(units)):
        raise InvalidOrderError(f"{field} {v!r} is not a multiple of {step_name} {step!r}")
    if rounded < 1 or rounded > limit:
        raise InvalidOrderError(f"{field} must be positive and at most {limit} {step_name}s, got {v!r}")
    return int(rounded)


def make_instrument(id: int, symbol: str, tick_size: float, lot_size: float, cash_unit: float,
                    stp: str, market_band: float) -> Instrument:
    """Validate instrument parameters (raises InvalidConfigError) and build the metadata."""
    for name, v in (("tick_size", tick_size), ("lot_size", lot_size), ("cash_unit", cash_unit)):
        if isinstance(v, bool) or not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise InvalidConfigError(f"{name} must be a positive finite number, got {v!r}")
    ratio = _exact(tick_size) * _exact(lot_size) / _exact(cash_unit)
    if ratio.denominator != 1:
        raise InvalidConfigError(
            f"tick_size * lot_size / cash_unit must be a whole number so fill notionals are exact, "
            f"got {tick_size} * {lot_size} / {cash_unit} = {float(ratio)}")
    if stp not in STP_MODES:
        raise InvalidConfigError(f"stp must be one of {sorted(STP_MODES)}, got {stp!r}")
    if not (isinstance(market_band, (int, float)) and 0 < market_band < 1):
        raise InvalidConfigError(f"market_band must be a fraction in (0, 1), got {market_band!r}")
    band_ppm = round(market_band * 1_000_000)
    if abs(band_ppm - market_band * 1_000_000) > 1e-6 or band_ppm == 0:
        raise InvalidConfigError(f"market_band {market_band!r} is not a whole number of ppm")
    return Instrument(id, symbol, float(tick_size), float(lot_size), float(cash_unit), stp,
                      float(market_band))
