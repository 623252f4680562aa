"""Calibrated scenario presets (DESIGN section 6). See docs/calibration.md for the figures."""

from __future__ import annotations

from typing import Callable

from .._core import InvalidConfigError
from .config import (
    Arbitrageurs,
    ExternalVenue,
    IndexShock,
    Makers,
    MetaOrder,
    Noise,
    Scenario,
    Target,
    Traders,
)


def nov21_2025() -> Scenario:
    """21 Nov 2025: ETF-outflow selling on spot cascades through perp liquidations.

    Public facts: ~$200M of net real outflow (IBIT -$523M on 19 Nov) turned into ~$2B of
    liquidations in 24 h (10:1), 89% of them longs, ~400k accounts; BTC 85k -> 81.6k in under
    10 minutes, low ~80.6k. Targets: liquidation / exogenous notional 7..14, long share
    85..95%, drawdown 5..8%. Scale 1/100 of dollars: $2M of spot selling, 100,000 traders.
    """
    return Scenario(
        name="nov21-2025",
        description=__doc__ or "",
        scale=0.01,
        price0=85_000.0,
        duration_s=7200.0,
        shock_start_s=600.0,
        insurance_fund=2e6,
        traders=Traders(count=100_000, long_share=0.8, leverage_median=5.0, leverage_sigma=0.7,
                        collateral_median=150.0, collateral_sigma=1.2, entry_mu=0.0, entry_sigma=0.02,
                        stop_share=0.1, stop_distance=0.04),
        perp_makers=Makers(count=8, capital=2e6, depth_1pct=1.5e6, inventory_limit=4e5, skew_bps=30.0),
        spot_makers=Makers(count=4, capital=2e6, depth_1pct=1e6, inventory_limit=3e5, skew_bps=30.0),
        arbitrageurs=Arbitrageurs(count=4, capital=5e5, leverage=3.0, threshold_bps=10.0, clip=3e4),
        perp_noise=Noise(rate=2.0, size_median=2000.0),
        spot_noise=Noise(rate=1.0, size_median=2000.0),
        meta_orders=(MetaOrder(notional=-2e6, start_s=600.0, duration_s=1200.0, child_interval_s=5.0),),
        external=ExternalVenue(sigma=0.0002, kappa=0.02, weight_spot=0.5, weight_external=0.5),
        targets=(Target("amplification", 7.0, 14.0, "liquidation / exogenous notional"),
                 Target("long_liquidation_share", 0.85, 0.95),
                 Target("max_drawdown", 0.05, 0.08)),
    )


def smoke() -> Scenario:
    """A small, fast scenario for tests: 2,000 traders, 10 simulated minutes, one spot sale.

    Not calibrated to a real day; it exercises every population and a liquidation wave.
    Scale 1/10,000.
    """
    return Scenario(
        name="smoke",
        description=__doc__ or "",
        scale=1e-4,
        price0=85_000.0,
        duration_s=600.0,
        shock_start_s=120.0,
        insurance_fund=5e4,
        traders=Traders(count=2_000, long_share=0.8, leverage_median=8.0, leverage_sigma=0.7,
                        collateral_median=150.0, collateral_sigma=1.0, entry_sigma=0.02, stop_share=0.1),
        perp_makers=Makers(count=4, capital=2e5, depth_1pct=1e5, inventory_limit=3e4, skew_bps=30.0,
                           levels=12),
        spot_makers=Makers(count=2, capital=2e5, depth_1pct=8e4, inventory_limit=2e4, skew_bps=30.0,
                           levels=12),
        arbitrageurs=Arbitrageurs(count=2, capital=5e4, clip=5e3),
        perp_noise=Noise(rate=1.0, size_median=500.0, accounts=4),
        spot_noise=Noise(rate=0.5, size_median=500.0, accounts=4),
        meta_orders=(MetaOrder(notional=-2e5, start_s=120.0, duration_s=180.0, child_interval_s=5.0),),
        targets=(Target("long_liquidation_share", 0.6, 1.0),),
    )


PRESETS: dict[str, Callable[[], Scenario]] = {
    "nov21-2025": nov21_2025,
    "smoke": smoke,
}


def names() -> list[str]:
    """Preset names, in a stable order."""
    return list(PRESETS)


def get(name: str) -> Scenario:
    """A fresh copy of the named preset; unknown names raise InvalidConfigError listing all."""
    try:
        return PRESETS[name]()
    except KeyError:
        raise InvalidConfigError(f"unknown scenario {name!r}; choose from {', '.join(PRESETS)}") from None
