// Scenario set-up: accounts by role, collateral, the traders' opening positions (the
// liquidation map the shock walks into), and the first scheduled tasks.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "liqsim/market/sim_time.hpp"
#include "liqsim/market/simulation.hpp"

namespace liqsim::market {

namespace {

// Events the run keeps by default: trades, the risk and money trail, and state changes (the
// order-entry chatter of market makers is counted in sequence numbers but not stored).
constexpr std::uint32_t bit(EventType t) { return 1u << static_cast<unsigned>(t); }
constexpr std::uint32_t kDefaultMask =
    bit(EventType::Fill) | bit(EventType::Liquidation) | bit(EventType::Takeover) |
    bit(EventType::AdlFill) | bit(EventType::Funding) | bit(EventType::InsuranceFund) |
    bit(EventType::BadDebt) | bit(EventType::Deposit) | bit(EventType::Withdrawal) |
    bit(EventType::State) | bit(EventType::Transfer);
// The running totals are folded from these, so they are always kept.
constexpr std::uint32_t kRequiredMask = bit(EventType::Fill) | bit(EventType::Takeover) | bit(EventType::AdlFill);

}  // namespace

Simulation::Simulation(const Exchange& configured, const MarketSpec& spec, std::uint64_t seed)
    : ex_(configured), spec_(spec), seed_(seed) {
  validate(spec_);
  const auto n = static_cast<InstrumentId>(ex_.num_instruments());
  if (spec_.perp < 0 || spec_.perp >= n || spec_.spot < 0 || spec_.spot >= n)
    fail(ErrorKind::InvalidConfig, "the exchange needs the perp and spot instruments the spec names (" +
                                       std::to_string(n) + " instruments configured)");
  if (spec_.perp > 1 || spec_.spot > 1)
    fail(ErrorKind::InvalidConfig, "perp and spot must be instruments 0 and 1");
  end_ = std::llround(spec_.duration_s * 1e9);
  now_ = ex_.now();
  setup();
}

Price Simulation::ticks(InstrumentId inst, double usd) const {
  const double t = std::round(usd / units(inst).tick_size);
  return std::clamp<Price>(static_cast<Price>(t), 1, kMaxPrice);
}

Qty Simulation::lots(InstrumentId inst, double usd_notional, double price_usd) const {
  const double q = std::floor(usd_notional / (price_usd * units(inst).lot_size));
  return q > 0 ? static_cast<Qty>(std::min(q, 1e12)) : 0;
}

void Simulation::setup() {
  ex_.log().set_mask((spec_.event_mask == 0 ? kDefaultMask : spec_.event_mask) | kRequiredMask);
  const Timestamp t0 = now_;
  const InstrumentId perp = spec_.perp;
  external_ = spec_.price0;
  last_spot_mid_ = spec_.price0;
  last_sample_mid_[0] = last_sample_mid_[1] = spec_.price0;
  ex_.set_index(perp, ticks(perp, spec_.price0), t0);

  // Accounts by role, in a fixed order.
  const auto take = [&](std::vector<AccountId>& out, std::int64_t k) {
    if (k <= 0) return;
    const AccountId first = ex_.add_accounts(static_cast<std::size_t>(k));
    for (std::int64_t i = 0; i < k; ++i) out.push_back(first + static_cast<AccountId>(i));
  };
  take(basis_accounts_, spec_.traders.count > 0 ? spec_.basis_accounts : 0);
  take(maker_accounts_, spec_.perp_makers.count + spec_.spot_makers.count);
  take(arb_accounts_, spec_.arbitrageurs.count);
  take(noise_accounts_, spec_.perp_noise.accounts + spec_.spot_noise.accounts);
  take(meta_accounts_, static_cast<std::int64_t>(spec_.meta_orders.size()));
  take(breakout_accounts_, spec_.breakout.count);
  venue_ = ex_.add_account();
  first_trader_ = static_cast<AccountId>(ex_.num_accounts());
  if (spec_.traders.count > 0) ex_.add_accounts(static_cast<std::size_t>(spec_.traders.count));

  std::vector<AccountId> acc;
  std::vector<Cash> amt;
  const auto fund = [&](const std::vector<AccountId>& who, double usd_each) {
    for (AccountId a : who) {
      acc.push_back(a);
      amt.push_back(std::max<Cash>(1, cash(usd_each)));
    }
  };
  fund(maker_accounts_, 0);  // amounts per maker set below
  for (std::size_t i = 0; i < maker_accounts_.size(); ++i)
    amt[i] = cash(i < static_cast<std::size_t>(spec_.perp_makers.count) ? spec_.perp_makers.capital
                                                                          : spec_.spot_makers.capital);
  fund(arb_accounts_, spec_.arbitrageurs.capital);
  const double noise_usd = 2000.0 * std::max(spec_.perp_noise.size_median, spec_.spot_noise.size_median);
  fund(noise_accounts_, noise_usd);
  for (std::size_t j = 0; j < meta_accounts_.size(); ++j) {
    acc.push_back(meta_accounts_[j]);
    amt.push_back(cash(3.0 * std::fabs(spec_.meta_orders[j].notional) + 1000.0));
  }
  const BreakoutSpec& bs = spec_.breakout;
  for (std::size_t i = 0; i < breakout_accounts_.size(); ++i) {
    Rng r(seed_, agent_key(Population::Breakout, i), Stream::Setup);
    const double lev = std::clamp(r.lognormal(bs.leverage_median, bs.leverage_sigma), 1.0, 100.0);
    const double col = std::clamp(r.lognormal(bs.collateral_median, bs.collateral_sigma), 1.0, 1e7);
    const double d = bs.distance_min + (bs.distance_max - bs.distance_min) * r.uniform();
    acc.push_back(breakout_accounts_[i]);
    amt.push_back(std::max<Cash>(1, cash(col)));
    breakout_usd_.push_back(col * lev);
    breakout_tries_.push_back(0);
    breakout_timing_.emplace_back(seed_, agent_key(Population::Breakout, i), Stream::Timing);
    entry_stops_.push_back({spec_.price0 * (1 - d), breakout_accounts_[i], -1});
  }
  std::sort(entry_stops_.begin(), entry_stops_.end(), [](const Stop& x, const Stop& y) {
    return x.price != y.price ? x.price < y.price : x.account > y.account;
  });
  acc.push_back(venue_);  // deep pockets: other venues absorb what makers lay off
  amt.push_back(cash(1e4 * spec_.price0 * 1000.0));
  if (!acc.empty()) ex_.deposit_batch(acc.data(), amt.data(), acc.size(), t0);
  if (spec_.insurance_fund > 0) ex_.fund_insurance(cash(spec_.insurance_fund), t0);

  setup_traders();

  // Makers, each with its own streams and stress threshold.
  const std::int64_t np = spec_.perp_makers.count;
  for (std::size_t i = 0; i < maker_accounts_.size(); ++i) {
    const bool is_perp = static_cast<std::int64_t>(i) < np;
    const MakerSpec& ms = is_perp ? spec_.perp_makers : spec_.spot_makers;
    const std::uint64_t key = agent_key(is_perp ? Population::PerpMaker : Population::SpotMaker,
                                        is_perp ? i : i - static_cast<std::size_t>(np));
    Rng setup(seed_, key, Stream::Setup);
    Maker m;
    m.account = maker_accounts_[i];
    m.instrument = is_perp ? spec_.perp : spec_.spot;
    m.stress_threshold = setup.lognormal(ms.stress_vol, ms.stress_vol_dispersion);
    m.peak_equity = ms.capital;
    m.timing = Rng(seed_, key, Stream::Timing);
    m.action = Rng(seed_, key, Stream::Action);
    makers_.push_back(std::move(m));
  }
  for (std::size_t i = 0; i < arb_accounts_.size(); ++i)
    arbs_.push_back({arb_accounts_[i], Rng(seed_, agent_key(Population::Arbitrageur, i), Stream::Timing)});
  for (int k = 0; k < 2; ++k) {
    noise_timing_[k] = Rng(seed_, agent_key(Population::Noise, static_cast<std::uint64_t>(k)), Stream::Timing);
    noise_rng_[k] = Rng(seed_, agent_key(Population::Noise, static_cast<std::uint64_t>(k)), Stream::Action);
    returns_[k].assign(60, 0.0);
  }
  external_rng_ = Rng(seed_, agent_key(Population::External, 0), Stream::Action);
  for (const MetaOrderSpec& m : spec_.meta_orders) {
    const auto children = std::max<std::int64_t>(1, std::llround(m.duration_s / m.child_interval_s));
    meta_children_left_.push_back(children);
    meta_child_usd_.push_back(m.notional / static_cast<double>(children));
  }

  // First tasks; equal times run in this order.
  queue_.push(t0, Task::Index);
  for (std::uint32_t i = 0; i < makers_.size(); ++i) queue_.push(t0, Task::MakerQuote, i);
  queue_.push(t0, Task::Sample);
  queue_.push(t0 + ns(spec_.tick_s), Task::Tick);
  if (spec_.funding)
    queue_.push(t0 + ex_.spec(perp).funding_interval_ns, Task::Funding);
  const NoiseSpec* noise[2] = {&spec_.perp_noise, &spec_.spot_noise};
  for (std::uint32_t k = 0; k < 2; ++k)
    if (noise[k]->rate > 0) queue_.push(t0 + ns(noise_timing_[k].exponential(1.0 / noise[k]->rate)), Task::Noise, k);
  for (std::uint32_t i = 0; i < arbs_.size(); ++i)
    queue_.push(t0 + ns(arbs_[i].timing.uniform() * spec_.arbitrageurs.interval_s), Task::Arbitrage, i);
  for (std::uint32_t j = 0; j < spec_.meta_orders.size(); ++j)
    queue_.push(t0 + ns(spec_.meta_orders[j].start_s), Task::MetaChild, j);
}

// Traders: side, leverage, collateral and entry price from each trader's own set-up stream.
// Leverage is capped by the margin tier of the position; a position that would already be
// liquidatable at P0 is opened at P0 instead (it would have been liquidated before the run).
void Simulation::setup_traders() {
  const TraderSpec& ts = spec_.traders;
  const auto n = static_cast<std::size_t>(ts.count);
  if (n == 0) return;
  const InstrumentId perp = spec_.perp;
  const Units& u = spec_.perp_units;
  const MarginTiers* tiers = ex_.tiers(perp);
  const double p0 = spec_.price0;
  const Timestamp t0 = now_;
  trader_leverage_.resize(n);
  trader_collateral_.resize(n);
  trader_entry_.resize(n);
  trader_qty_.resize(n);
  std::vector<AccountId> accounts(n);
  std::vector<Cash> deposits(n);
  std::vector<Price> prices(n);
  for (std::size_t i = 0; i < n; ++i) {
    Rng r(seed_, agent_key(Population::Trader, i), Stream::Setup);
    const int side = r.uniform() < ts.long_share ? 1 : -1;
    double lev = std::clamp(r.lognormal(ts.leverage_median, ts.leverage_sigma), 1.0, ts.leverage_max);
    const double collateral = std::clamp(r.lognormal(ts.collateral_median, ts.collateral_sigma), 1.0, ts.collateral_max);
    double entry = p0 * std::exp(ts.entry_mu + ts.entry_sigma * r.normal());
    const double stop_u = r.uniform();
    const double stop_d = std::min(0.9, ts.stop_distance * std::exp(0.5 * r.normal()));
    if (tiers) {  // the tier of the position caps its leverage
      for (int pass = 0; pass < 2; ++pass) {
        const double max_lev = static_cast<double>(tiers->max_leverage_x100(cash(collateral * lev))) / 100.0;
        if (max_lev > 0) lev = std::min(lev, max_lev);
      }
    }
    Price entry_ticks = ticks(perp, entry);
    Qty q = std::max<Qty>(1, lots(perp, collateral * lev, usd(perp, entry_ticks)));
    // Healthy a little beyond P0: positions closer than min_distance to liquidation would
    // have been liquidated by the noise of the prior weeks.
    const double dist = side < 0 && ts.short_min_distance >= 0 ? ts.short_min_distance : ts.min_distance;
    const double p_check = p0 * (1.0 - side * dist);
    const auto healthy = [&](Price e) {
      const double upnl = side * static_cast<double>(q) * u.lot_size * (p_check - usd(perp, e));
      const double mm = tiers ? usd_cash(tiers->maintenance(cash(static_cast<double>(q) * u.lot_size * p_check))) : 0.0;
      return collateral + upnl > 1.05 * mm;
    };
    if (!healthy(entry_ticks)) entry_ticks = ticks(perp, p0);
    while (q > 1 && !healthy(entry_ticks)) q = q * 3 / 4;
    accounts[i] = first_trader_ + static_cast<AccountId>(i);
    deposits[i] = std::max<Cash>(1, cash(collateral));
    prices[i] = entry_ticks;
    trader_leverage_[i] = lev;
    trader_collateral_[i] = collateral;
    trader_entry_[i] = usd(perp, entry_ticks);
    trader_qty_[i] = side * q;
    if (stop_u < ts.stop_share) {
      const double e = usd(perp, entry_ticks);
      if (side > 0) long_stops_.push_back({std::min(e, p0) * (1 - stop_d), accounts[i], 1});
      else short_stops_.push_back({std::max(e, p0) * (1 + stop_d), accounts[i], -1});
    }
  }
  ex_.deposit_batch(accounts.data(), deposits.data(), n, t0);

  // The traders' net position is held by 1x-collateralised basis accounts (cash-and-carry
  // funds short the perp against spot), trader i facing basis account i mod K.
  const std::size_t k = basis_accounts_.size();
  for (std::size_t b = 0; b < k; ++b) {
    std::vector<AccountId> a;
    std::vector<Qty> q;
    std::vector<Price> p;
    Qty net = 0;
    double cost = 0;
    for (std::size_t i = b; i < n; i += k) {
      a.push_back(accounts[i]);
      q.push_back(trader_qty_[i]);
      p.push_back(prices[i]);
      net += trader_qty_[i];
      cost += std::fabs(static_cast<double>(trader_qty_[i])) * u.lot_size * trader_entry_[i];
    }
    // Enough to carry the net position at 1x through a doubling, plus the traders' gross PnL.
    const double need = 2.0 * std::fabs(static_cast<double>(net)) * u.lot_size * p0 + 0.2 * cost + 1000.0;
    ex_.deposit(basis_accounts_[b], cash(need), t0);
    if (!a.empty()) ex_.transfer_positions(perp, basis_accounts_[b], a.data(), q.data(), p.data(), a.size(), t0);
  }
  std::sort(long_stops_.begin(), long_stops_.end(), [](const Stop& x, const Stop& y) {
    return x.price != y.price ? x.price < y.price : x.account > y.account;
  });
  std::sort(short_stops_.begin(), short_stops_.end(), [](const Stop& x, const Stop& y) {
    return x.price != y.price ? x.price > y.price : x.account > y.account;
  });
}

}  // namespace liqsim::market
