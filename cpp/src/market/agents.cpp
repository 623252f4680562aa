// What the agents do when their task comes up: market makers re-quote, noise traders and
// meta-orders send market orders, arbitrageurs trade the basis, stops fire, the external venue
// moves and the index is published. Every order goes through Exchange::submit.
#include <algorithm>
#include <cmath>

#include "liqsim/market/simulation.hpp"

namespace liqsim::market {

namespace {
int slot(InstrumentId inst, InstrumentId perp) { return inst == perp ? 0 : 1; }
}  // namespace

void Simulation::submit(InstrumentId inst, AccountId a, Side side, Kind kind, Price price, Qty qty,
                        bool reduce_only) {
  NewOrder o{inst, a, ex_.next_order_id(), side, kind, kind == Kind::Market ? 0 : price, qty,
             reduce_only, now_};
  ex_.submit(o);
}

double Simulation::fair_spot() const {
  const double m = mid(spec_.spot);
  return std::isfinite(m) ? m : last_spot_mid_;
}

// The external venue follows its own random walk, is pulled toward our spot mid (flow here moves
// prices there) and carries the scenario's shocks; the index blends it with our spot mid.
void Simulation::update_index() {
  const ExternalSpec& e = spec_.external;
  const double dt = e.update_s;
  const double spot = fair_spot();
  last_spot_mid_ = spot;
  double x = std::log(external_);
  x += e.sigma * std::sqrt(dt) * external_rng_.normal() + e.kappa * dt * (std::log(spot) - x);
  const double t1 = static_cast<double>(now_) * 1e-9, t0 = t1 - dt;
  for (const IndexShockSpec& k : spec_.index_shocks) {  // the part of each ramp inside (t0, t1]
    const double overlap = std::min(t1, k.start_s + k.duration_s) - std::max(t0, k.start_s);
    if (overlap > 0) {
      x += k.size * overlap / k.duration_s;
      shock_log_ += k.size * overlap / k.duration_s;
    }
  }
  x += e.reversion * dt * (std::log(spec_.price0) + shock_log_ - x);
  external_ = std::exp(x);
  const double index = e.weight_spot * spot + e.weight_external * external_;
  ex_.set_index(spec_.perp, ticks(spec_.perp, index), now_);
}

void Simulation::tick() {
  if (now_ > ex_.now()) ex_.advance(now_);
  const InstrumentId perp = spec_.perp;
  const std::optional<Price> last = ex_.last_trade(perp);
  if (!last || ex_.trading_state(perp) != TradingState::Continuous) return;
  const double p = usd(perp, *last);
  // Stops fire on the last trade: a long's stop at or above it, a short's at or below.
  while (!long_stops_.empty() && long_stops_.back().price >= p) {
    const Stop s = long_stops_.back();
    long_stops_.pop_back();
    const Qty q = ex_.position(s.account, perp);
    if (q > 0) submit(perp, s.account, Side::Sell, Kind::Market, 0, q, true);
  }
  // Breakout sell-stops open shorts (their size is fixed at set-up in USD).
  while (!entry_stops_.empty() && entry_stops_.back().price >= p) {
    const Stop s = entry_stops_.back();
    entry_stops_.pop_back();
    breakout_entry(static_cast<std::size_t>(s.account - breakout_accounts_.front()));
  }
  while (!short_stops_.empty() && short_stops_.back().price <= p) {
    const Stop s = short_stops_.back();
    short_stops_.pop_back();
    const Qty q = ex_.position(s.account, perp);
    if (q < 0) submit(perp, s.account, Side::Buy, Kind::Market, 0, -q, true);
  }
}

// A market sell for what is still missing of the breakout short; if the book could not fill
// all of it (no bids, or too few within the protection band), try again later.
void Simulation::breakout_entry(std::size_t i) {
  const InstrumentId perp = spec_.perp;
  const AccountId a = breakout_accounts_[i];
  const std::optional<Price> last = ex_.last_trade(perp);
  const double p = last ? usd(perp, *last) : spec_.price0;
  const Qty want = lots(perp, breakout_usd_[i], p);
  auto missing = [&] { return want + std::min<Qty>(ex_.position(a, perp), 0); };  // short: < 0
  if (missing() <= 0) return;
  ++breakout_tries_[i];
  submit(perp, a, Side::Sell, Kind::Market, 0, missing());
  if (missing() > 0 && breakout_tries_[i] <= spec_.breakout.retries)
    queue_.push(now_ + std::max<Timestamp>(1, std::llround(breakout_timing_[i].exponential(
                                                   spec_.breakout.retry_s) * 1e9)),
                Task::BreakoutRetry, static_cast<std::uint32_t>(i));
}

void Simulation::maker_quote(Maker& m) {
  const InstrumentId inst = m.instrument;
  const bool is_perp = inst == spec_.perp;
  const MakerSpec& ms = is_perp ? spec_.perp_makers : spec_.spot_makers;
  for (OrderId id : m.live) {
    OrderInfo info;
    if (ex_.order_info(id, info)) ex_.cancel(id, now_);
  }
  m.live.clear();

  double fair = spec_.price0;
  if (is_perp) {
    if (const auto ix = ex_.index(inst)) fair = usd(inst, *ix);
  } else {
    fair = external_;
  }
  // Stress: fast markets, own losses, or being auto-deleveraged pull depth at once; it comes
  // back with time constant rebuild_s once the stress is gone.
  const double equity = usd_cash(ex_.account_risk(m.account).equity);
  m.peak_equity = std::max(m.peak_equity, equity);
  const double drawdown = (m.peak_equity - equity) / ms.capital;
  const bool stressed = vol_1min_[slot(inst, spec_.perp)] > m.stress_threshold ||
                        drawdown > ms.stress_drawdown || now_ < m.adl_until;
  const double dt = static_cast<double>(now_ - m.last_quote) * 1e-9;
  m.last_quote = now_;
  if (stressed) m.depth_factor = std::min(m.depth_factor, ms.floor);
  else m.depth_factor += (1.0 - m.depth_factor) * (1.0 - std::exp(-dt / ms.rebuild_s));
  const double wide = ms.floor < 1 ? 1.0 + (ms.widen - 1.0) * (1.0 - m.depth_factor) / (1.0 - ms.floor) : 1.0;

  const Units& u = units(inst);
  // Lay off part of the inventory on other venues; the sale (or purchase) moves their price.
  if (ms.hedge_share > 0) {
    const Qty pos = ex_.position(m.account, inst);
    const auto h = static_cast<Qty>(std::llround(static_cast<double>(pos) * ms.hedge_share));
    if (h != 0) {
      const AccountId who = m.account;
      const Qty give = -h;
      const Price at = ticks(inst, fair);
      ex_.transfer_positions(inst, venue_, &who, &give, &at, 1, now_);
      external_ *= std::exp(-spec_.external.impact * static_cast<double>(h) * u.lot_size * fair);
    }
  }
  const double inventory = static_cast<double>(ex_.position(m.account, inst)) * u.lot_size * fair;
  const double load = std::clamp(inventory / ms.inventory_limit, -1.5, 1.5);
  const double centre = fair * (1.0 - ms.skew_bps * 1e-4 * load);
  // Normal depth: depth_1pct per side spread evenly over the levels inside 1%.
  const auto inside = static_cast<double>(std::clamp<std::int64_t>(
      static_cast<std::int64_t>((100.0 - ms.half_spread_bps) / ms.level_spacing_bps) + 1, 1, ms.levels));
  const double level_usd = ms.depth_1pct / (static_cast<double>(ms.count) * inside) * m.depth_factor;
  const OrderBook& b = ex_.book(inst);
  const bool halted = ex_.trading_state(inst) != TradingState::Continuous;
  for (std::int64_t k = 0; k < ms.levels; ++k) {
    const double off = (ms.half_spread_bps + static_cast<double>(k) * ms.level_spacing_bps) * 1e-4 * wide;
    // Size jitter keeps queues from being identical across makers.
    const double size = level_usd * (0.75 + 0.5 * m.action.uniform());
    for (Side side : {Side::Buy, Side::Sell}) {
      if (side == Side::Buy ? inventory >= ms.inventory_limit : inventory <= -ms.inventory_limit) continue;
      const double px = side == Side::Buy ? centre * (1 - off) : centre * (1 + off);
      const Price p = side == Side::Buy ? std::max<Price>(1, static_cast<Price>(std::floor(px / u.tick_size)))
                                        : static_cast<Price>(std::ceil(px / u.tick_size));
      const Side opp = opposite(side);
      // Quotes never take liquidity (post-only in effect): a level that would cross is skipped.
      if (!halted && !b.empty(opp) && (side == Side::Buy ? p >= b.best(opp).price : p <= b.best(opp).price))
        continue;
      const Qty q = std::max<Qty>(1, lots(inst, size, px));
      const OrderId id = ex_.next_order_id();
      submit(inst, m.account, side, Kind::Limit, p, q);
      m.live.push_back(id);
    }
  }
}

void Simulation::noise_order(InstrumentId inst) {
  const int k = slot(inst, spec_.perp);
  const NoiseSpec& n = k == 0 ? spec_.perp_noise : spec_.spot_noise;
  Rng& r = noise_rng_[k];
  const Side side = r.uniform() < n.buy_share ? Side::Buy : Side::Sell;
  const double size = std::min(r.lognormal(n.size_median, n.size_sigma), 50.0 * n.size_median);
  const auto pick = static_cast<std::size_t>(r.next() % static_cast<std::uint64_t>(n.accounts));
  const AccountId a = noise_accounts_[static_cast<std::size_t>(k == 0 ? 0 : spec_.perp_noise.accounts) + pick];
  if (ex_.trading_state(inst) != TradingState::Continuous) return;  // noise waits out halts
  double px = mid(inst);
  if (!std::isfinite(px)) px = k == 0 ? usd(inst, ex_.index(inst).value_or(ticks(inst, spec_.price0))) : external_;
  const Qty q = std::max<Qty>(1, lots(inst, size, px));
  submit(inst, a, side, Kind::Market, 0, q);
}

// Arbitrageurs buy the perp below the index (selling spot against it) and sell it above,
// within their capital; they unwind when the basis closes.
void Simulation::arbitrage(std::size_t i) {
  const ArbSpec& as = spec_.arbitrageurs;
  const InstrumentId perp = spec_.perp, spot = spec_.spot;
  const AccountId a = arbs_[i].account;
  if (ex_.trading_state(perp) != TradingState::Continuous || ex_.trading_state(spot) != TradingState::Continuous)
    return;
  const double pm = mid(perp);
  const auto ix = ex_.index(perp);
  if (!std::isfinite(pm) || !ix) return;
  const double index = usd(perp, *ix);
  const double basis = pm / index - 1.0;
  const double thr = as.threshold_bps * 1e-4;
  const Qty pos = ex_.position(a, perp);
  const double pos_usd = static_cast<double>(pos) * spec_.perp_units.lot_size * index;
  const double cap = as.capital * as.leverage;
  Side side;
  double room;
  bool unwind = false;
  if (basis < -thr && pos_usd < cap) {
    side = Side::Buy;
    room = cap - pos_usd;
  } else if (basis > thr && pos_usd > -cap) {
    side = Side::Sell;
    room = cap + pos_usd;
  } else if (std::fabs(basis) < thr / 3 && pos != 0) {
    side = pos > 0 ? Side::Sell : Side::Buy;
    room = std::fabs(pos_usd);
    unwind = true;
  } else {
    return;
  }
  Qty q = lots(perp, std::min(as.clip, room), index);
  if (unwind) q = std::min(q, pos > 0 ? pos : -pos);
  if (q <= 0) return;
  // Never pay more than the index minus half the threshold (or, unwinding, the index itself).
  const double edge = unwind ? 0.0 : thr / 2;
  const Price limit = ticks(perp, side == Side::Buy ? index * (1 - edge) : index * (1 + edge));
  submit(perp, a, side, Kind::Ioc, limit, q, unwind);
  const Qty filled = ex_.position(a, perp) - pos;
  if (filled == 0) return;
  // Hedge the filled lots on spot (same contract size) with a market order.
  const double ratio = spec_.perp_units.lot_size / spec_.spot_units.lot_size;
  const Qty hedge = static_cast<Qty>(std::llround(std::fabs(static_cast<double>(filled)) * ratio));
  if (hedge > 0) submit(spot, a, filled > 0 ? Side::Sell : Side::Buy, Kind::Market, 0, hedge);
}

void Simulation::meta_child(std::size_t j) {
  const MetaOrderSpec& m = spec_.meta_orders[j];
  // A halted market takes no market orders: the parent waits and works the child later.
  if (ex_.trading_state(m.instrument) != TradingState::Continuous) return;
  --meta_children_left_[j];
  double px = mid(m.instrument);
  if (!std::isfinite(px)) px = m.instrument == spec_.perp ? usd(m.instrument, *ex_.index(m.instrument)) : external_;
  const Qty q = lots(m.instrument, std::fabs(meta_child_usd_[j]), px);
  if (q > 0) submit(m.instrument, meta_accounts_[j], m.notional < 0 ? Side::Sell : Side::Buy, Kind::Market, 0, q);
}

}  // namespace liqsim::market
