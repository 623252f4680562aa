// Parameters of the market model (DESIGN section 5). Money in USD, prices in USD, times in
// seconds (doubles: they describe behaviour, not balances); the simulation converts them once to
// ticks, lots and cash units. validate() checks every field and names the bad one.
#pragma once
#include <cstdint>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim::market {

// Grid of an instrument, to turn USD amounts into ticks and lots.
struct Units {
  double tick_size = 0.1;   // USD per tick
  double lot_size = 0.001;  // contracts per lot
  double cash_unit = 1e-6;  // USD per cash unit
};

// Leveraged traders holding positions from before the run; they make the liquidation map.
struct TraderSpec {
  std::int64_t count = 0;
  double long_share = 0.85;
  double leverage_median = 10.0;   // lognormal, clipped to [1, leverage_max] and the tier limit
  double leverage_sigma = 0.8;
  double leverage_max = 125.0;
  double collateral_median = 200.0;  // USD, lognormal (heavy tailed), clipped to collateral_max
  double collateral_sigma = 1.2;
  double collateral_max = 1e7;
  double entry_mu = 0.0;      // log(entry / P0): entries spread over the prior weeks
  double entry_sigma = 0.03;
  double min_distance = 0.01;  // no trader starts closer than this to its liquidation price
  double short_min_distance = -1;  // the same for shorts (-1: min_distance)
  double stop_share = 0.0;    // share of traders with a stop-loss
  double stop_distance = 0.03;  // median stop distance from min(entry, P0), lognormal(0.5)
};

// Breakout traders: a sell-stop entry opens a leveraged short when the perp trades down to
// P0 x (1 - distance) (distance uniform in [distance_min, distance_max]); they add to the
// selling and are the shorts a rebound liquidates. An entry that finds no bids (or fills only
// part) is retried after a delay ~ exponential(retry_s), at most `retries` times: the shorts
// then open when the book refills, near the low, instead of being lost to an empty book.
struct BreakoutSpec {
  std::int64_t count = 0;
  double leverage_median = 20.0;
  double leverage_sigma = 0.5;
  double collateral_median = 200.0;
  double collateral_sigma = 1.0;
  double distance_min = 0.01;
  double distance_max = 0.06;
  double retry_s = 5.0;
  std::int64_t retries = 0;
};

// Market makers quoting ladders on one instrument.
struct MakerSpec {
  std::int64_t count = 0;
  double capital = 1e6;            // USD each
  std::int64_t levels = 20;        // per side
  double half_spread_bps = 1.0;
  double level_spacing_bps = 5.0;
  double depth_1pct = 1e6;         // USD per side within 1% of fair, all makers, normal times
  double refresh_s = 1.0;          // mean time between re-quotes (quote latency)
  double inventory_limit = 2e5;    // USD notional each; beyond it the adding side is not quoted
  double skew_bps = 20.0;          // fair-value skew at the inventory limit
  double stress_vol = 0.004;       // 1-min realized vol that makes a maker pull (median)
  double stress_vol_dispersion = 0.5;  // lognormal sigma of the per-maker threshold
  double stress_drawdown = 0.02;   // loss as a share of capital that makes a maker pull
  double adl_stress_s = 300.0;     // a maker ADL'd pulls for this long
  double floor = 0.02;             // depth under stress as a share of normal
  double rebuild_s = 600.0;        // time constant of the return to normal depth
  double widen = 4.0;              // spread multiple at the floor
  double hedge_share = 0.0;        // share of inventory laid off on other venues at each re-quote
};

// Arbitrageurs: trade perp against spot when the perp strays from the index.
struct ArbSpec {
  std::int64_t count = 0;
  double capital = 1e6;        // USD each
  double leverage = 3.0;       // max gross position = capital x leverage per leg
  double threshold_bps = 15.0; // act beyond this basis
  double clip = 5e4;           // USD per trade
  double interval_s = 1.0;     // mean time between checks
};

// Background flow: Poisson market orders of lognormal size.
struct NoiseSpec {
  double rate = 0.0;           // orders per second
  double size_median = 2000.0; // USD
  double size_sigma = 1.0;
  double buy_share = 0.5;
  std::int64_t accounts = 16;
};

// A scheduled parent order worked in equal child market orders.
struct MetaOrderSpec {
  InstrumentId instrument = 1;
  double notional = -1e6;      // USD, negative: sell
  double start_s = 0.0;
  double duration_s = 3600.0;
  double child_interval_s = 10.0;
};

// A move of the external venue's price spread evenly over duration_s (log-linear).
struct IndexShockSpec {
  double start_s = 0.0;
  double size = -0.02;         // log return
  double duration_s = 60.0;
};

// The price of the same asset on other venues, and the perp index built from it.
struct ExternalSpec {
  double sigma = 0.0002;       // volatility per sqrt(second)
  double kappa = 0.02;         // per second: pull toward our spot mid (our flow moves them)
  double impact = 0.0;         // log-price move per USD makers lay off there (sells push down)
  double reversion = 0.0;      // per second: pull toward P0 x exp(shocks so far) (dip buyers)
  double weight_spot = 0.5;    // index = weight_spot x spot mid + weight_external x external
  double weight_external = 0.5;
  double update_s = 1.0;       // index publication interval
};

struct MarketSpec {
  InstrumentId perp = 0;
  InstrumentId spot = 1;
  Units perp_units;
  Units spot_units;
  double price0 = 85000.0;       // USD
  double duration_s = 3600.0;
  double sample_s = 1.0;
  double tick_s = 0.25;          // timers, liquidation checks, stops
  double insurance_fund = 1e6;   // USD at start
  bool funding = true;
  std::int64_t basis_accounts = 8;  // 1x-collateralised counterparties of the traders' net position
  TraderSpec traders;
  BreakoutSpec breakout;
  MakerSpec perp_makers;
  MakerSpec spot_makers;
  ArbSpec arbitrageurs;
  NoiseSpec perp_noise;
  NoiseSpec spot_noise;
  std::vector<MetaOrderSpec> meta_orders;
  std::vector<IndexShockSpec> index_shocks;
  ExternalSpec external;
  std::uint32_t event_mask = 0;  // 0: the default (fills, risk, money and state events)
};

void validate(const MarketSpec& spec);  // throws Error(InvalidConfig) naming the field

}  // namespace liqsim::market
