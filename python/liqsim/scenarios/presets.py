"""Calibrated scenario presets (DESIGN section 6). See docs/calibration.md for the figures."""

from __future__ import annotations

import inspect
from typing import Callable

from .._core import InvalidConfigError
from .config import (
    Arbitrageurs,
    Breakout,
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
        scale=0.01,
        price0=85_000.0,
        duration_s=7200.0,
        shock_start_s=600.0,
        insurance_fund=2e6,
        traders=Traders(count=100_000, long_share=0.8, leverage_median=5.0, leverage_sigma=0.7,
                        collateral_median=90.0, collateral_sigma=1.2, entry_sigma=0.02,
                        min_distance=0.01, stop_share=0.05, stop_distance=0.04),
        breakout=Breakout(count=5_000, leverage_median=80.0, leverage_sigma=0.8, collateral_median=5.0,
                          distance_max=0.05, retries=30),
        perp_makers=Makers(count=8, capital=2e6, depth_1pct=1.5e6, inventory_limit=1e6, skew_bps=20.0,
                           hedge_share=0.3),
        spot_makers=Makers(count=4, capital=2e6, depth_1pct=1e6, inventory_limit=1e6, skew_bps=20.0,
                           hedge_share=0.3),
        arbitrageurs=Arbitrageurs(count=4, capital=5e5, leverage=3.0, threshold_bps=10.0, clip=3e4),
        perp_noise=Noise(rate=2.0, size_median=2000.0),
        spot_noise=Noise(rate=1.0, size_median=2000.0),
        meta_orders=(MetaOrder(notional=-2e6, start_s=600.0, duration_s=1200.0, child_interval_s=5.0),),
        external=ExternalVenue(sigma=0.0002, kappa=0.0, impact=9e-9, reversion=1 / 1800,
                               weight_spot=0.5, weight_external=0.5),
        targets=(Target("amplification", 7.0, 14.0, "liquidation / exogenous notional"),
                 Target("long_liquidation_share", 0.85, 0.95),
                 Target("max_drawdown", 0.05, 0.08)),
    )


def nov3_2025() -> Scenario:
    """3 Nov 2025: thin books turn a modest sell-off into a long squeeze.

    Public facts: $1.27B liquidated in 24 h, ~90% longs, >300k traders; BTC 108k -> 105.4k;
    with books thinned out, 2-3% of the day's selling moved the price 6-7%. Targets: long share
    ~90% (0.85..0.95), drawdown 2..4%, depth at worst at most half of normal. Scale 1/100:
    60,000 traders and 3,000 breakout shorts, an external-venue drop of 1.5% over 20 minutes
    plus $0.5M of spot selling.
    """
    return Scenario(
        name="nov3-2025",
        scale=0.01,
        price0=108_000.0,
        duration_s=5400.0,
        shock_start_s=600.0,
        insurance_fund=1.5e6,
        traders=Traders(count=60_000, long_share=0.85, leverage_median=6.0, leverage_sigma=0.7,
                        collateral_median=60.0, collateral_sigma=1.2, entry_sigma=0.02,
                        min_distance=0.006, stop_share=0.05, stop_distance=0.03),
        breakout=Breakout(count=3_000, leverage_median=70.0, leverage_sigma=1.0, collateral_median=5.0,
                          distance_min=0.005, distance_max=0.03, retries=30),
        perp_makers=Makers(count=8, capital=1.5e6, depth_1pct=0.6e6, inventory_limit=6e5, skew_bps=20.0,
                           hedge_share=0.3, stress_vol=0.0022),
        spot_makers=Makers(count=4, capital=1.5e6, depth_1pct=0.5e6, inventory_limit=6e5, skew_bps=20.0,
                           hedge_share=0.3, stress_vol=0.0022),
        arbitrageurs=Arbitrageurs(count=4, capital=3e5, leverage=3.0, threshold_bps=10.0, clip=2e4),
        perp_noise=Noise(rate=2.0, size_median=1500.0),
        spot_noise=Noise(rate=1.0, size_median=1500.0),
        meta_orders=(MetaOrder(notional=-0.5e6, start_s=600.0, duration_s=1200.0, child_interval_s=5.0),),
        index_shocks=(IndexShock(start_s=600.0, size=-0.015, duration_s=1200.0),),
        external=ExternalVenue(sigma=0.0001, kappa=0.0, impact=3e-9, reversion=1 / 3600),
        targets=(Target("long_liquidation_share", 0.85, 0.95),
                 Target("max_drawdown", 0.02, 0.04),
                 Target("depth_1pct_min_ratio", 0.0, 0.5, "thin books")),
    )


def oct10_2025() -> Scenario:
    """10-11 Oct 2025: the largest liquidation day on record.

    Public facts: $19.1B liquidated in 24 h (1.6M traders, 84-91% longs), 70% of it in 40
    minutes; BTC 122k -> ~105k; 1% book depth fell ~98%; ADL closed ~$2.1B of positions in
    ~40 waves over 12 minutes. Targets: depth at worst <= 5% of normal, ADL waves occur without
    breakers, long share 0.84..0.91, drawdown 8..16%. Scale 1/20: 100,000 traders; the tariff
    news arrives as a 7% external-venue drop over 40 minutes plus $40M of spot selling.
    `scenario.scaled(20)` gives the full-size day (2,000,000 traders).
    """
    return Scenario(
        name="oct10-2025",
        scale=0.05,
        price0=122_000.0,
        duration_s=7200.0,
        shock_start_s=600.0,
        insurance_fund=3e7,
        traders=Traders(count=100_000, long_share=0.8, leverage_median=8.0, leverage_sigma=0.7,
                        collateral_median=600.0, collateral_sigma=1.2, entry_sigma=0.03,
                        min_distance=0.015, stop_share=0.05, stop_distance=0.05),
        breakout=Breakout(count=15_000, leverage_median=60.0, leverage_sigma=0.8,
                          collateral_median=500.0, distance_min=0.01, distance_max=0.10, retries=30),
        perp_makers=Makers(count=8, capital=5e7, depth_1pct=3e7, inventory_limit=3e7, skew_bps=20.0,
                           hedge_share=0.3),
        spot_makers=Makers(count=4, capital=5e7, depth_1pct=2e7, inventory_limit=3e7, skew_bps=20.0,
                           hedge_share=0.3),
        arbitrageurs=Arbitrageurs(count=4, capital=1e7, leverage=3.0, threshold_bps=10.0, clip=5e5),
        perp_noise=Noise(rate=2.0, size_median=40_000.0),
        spot_noise=Noise(rate=1.0, size_median=40_000.0),
        meta_orders=(MetaOrder(notional=-4e7, start_s=600.0, duration_s=2400.0, child_interval_s=5.0),),
        index_shocks=(IndexShock(start_s=600.0, size=-0.07, duration_s=2400.0),),
        external=ExternalVenue(sigma=0.0002, kappa=0.0, impact=3e-10, reversion=1 / 3600),
        targets=(Target("depth_1pct_min_ratio", 0.0, 0.05, "1% depth -98%"),
                 Target("adl_fills", 1.0, float("inf"), "ADL waves without breakers"),
                 Target("long_liquidation_share", 0.84, 0.91),
                 Target("max_drawdown", 0.08, 0.16)),
    )


def jan2026_etf() -> Scenario:
    """Jan 2026: twelve days of ETF outflows grind the price down.

    Public facts: $2.9B of ETF outflows over 12 days, BTC 98k -> 72k, $3.25B of long
    liquidations. Targets: liquidations / outflow 0.8..1.5 (reported ~1.1), long share >= 0.9,
    drawdown 15..30%. Scale 1/100: 60,000 traders, $29M of spot selling over 12 days. Slow
    clock: makers re-quote every 30 s and the time series is sampled every 60 s.
    """
    return Scenario(
        name="jan2026-etf",
        scale=0.01,
        price0=98_000.0,
        duration_s=12 * 86400.0,
        shock_start_s=3600.0,
        insurance_fund=5e6,
        sample_s=60.0,
        tick_s=5.0,
        traders=Traders(count=60_000, long_share=0.85, leverage_median=4.0, leverage_sigma=0.7,
                        collateral_median=80.0, collateral_sigma=1.2, entry_sigma=0.05,
                        min_distance=0.02, stop_share=0.05, stop_distance=0.06),
        perp_makers=Makers(count=6, capital=1e7, depth_1pct=2e6, inventory_limit=5e6, skew_bps=20.0,
                           hedge_share=0.3, refresh_s=30.0, rebuild_s=7200.0),
        spot_makers=Makers(count=4, capital=1e7, depth_1pct=2e6, inventory_limit=5e6, skew_bps=20.0,
                           hedge_share=0.3, refresh_s=30.0, rebuild_s=7200.0),
        arbitrageurs=Arbitrageurs(count=4, capital=1e6, clip=5e4, interval_s=30.0),
        perp_noise=Noise(rate=0.05, size_median=3000.0),
        spot_noise=Noise(rate=0.05, size_median=3000.0),
        meta_orders=(MetaOrder(notional=-2.9e7, start_s=3600.0, duration_s=11 * 86400.0,
                               child_interval_s=60.0),),
        external=ExternalVenue(sigma=0.00005, kappa=0.0, impact=5e-9, reversion=0.0, update_s=5.0),
        targets=(Target("amplification", 0.8, 1.5, "liquidations / outflow ~1.1"),
                 Target("long_liquidation_share", 0.9, 1.0),
                 Target("max_drawdown", 0.15, 0.30)),
    )


def smoke() -> Scenario:
    """A small, fast scenario for tests: 2,000 traders, 10 simulated minutes, one spot sale.

    Not calibrated to a real day; it exercises every population and a liquidation wave.
    Scale 1/10,000.
    """
    return Scenario(
        name="smoke",
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
    "nov3-2025": nov3_2025,
    "oct10-2025": oct10_2025,
    "jan2026-etf": jan2026_etf,
    "smoke": smoke,
}


def names() -> list[str]:
    """Preset names, in a stable order."""
    return list(PRESETS)


def get(name: str) -> Scenario:
    """A fresh copy of the named preset (its docstring as `description`); unknown names raise
    InvalidConfigError listing the presets."""
    if name not in PRESETS:
        raise InvalidConfigError(f"unknown scenario {name!r}; choose from {', '.join(PRESETS)}")
    make = PRESETS[name]
    return make().replace(description=inspect.getdoc(make) or "")
