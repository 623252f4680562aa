// The event loop, the 1 s time series and the running totals folded from the event log.
#include "liqsim/market/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "liqsim/market/sim_time.hpp"

namespace liqsim::market {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

void Simulation::run_until(Timestamp t) {
  const Timestamp stop = std::min(t, end_);
  while (!queue_.empty() && queue_.top().t <= stop) {
    const Scheduled s = queue_.pop();
    now_ = s.t;
    run_task(s);
    ++tasks_run_;
  }
  if (stop > now_) now_ = stop;
  if (now_ > ex_.now()) ex_.advance(now_);
}

void Simulation::run_task(const Scheduled& s) {
  switch (s.task) {
    case Task::Sample:
      sample();
      queue_.push(s.t + ns(spec_.sample_s), Task::Sample);
      break;
    case Task::Tick:
      tick();
      queue_.push(s.t + ns(spec_.tick_s), Task::Tick);
      break;
    case Task::Index:
      update_index();
      queue_.push(s.t + ns(spec_.external.update_s), Task::Index);
      break;
    case Task::Funding:
      ex_.settle_funding(spec_.perp, s.t);
      queue_.push(s.t + ex_.spec(spec_.perp).funding_interval_ns, Task::Funding);
      break;
    case Task::MakerQuote: {
      Maker& m = makers_[s.who];
      maker_quote(m);
      const MakerSpec& ms = m.instrument == spec_.perp ? spec_.perp_makers : spec_.spot_makers;
      queue_.push(s.t + ns(m.timing.exponential(ms.refresh_s)), Task::MakerQuote, s.who);
      break;
    }
    case Task::Noise: {
      noise_order(s.who == 0 ? spec_.perp : spec_.spot);  // who: 0 perp noise, 1 spot noise
      const NoiseSpec& n = s.who == 0 ? spec_.perp_noise : spec_.spot_noise;
      queue_.push(s.t + ns(noise_timing_[s.who].exponential(1.0 / n.rate)), Task::Noise, s.who);
      break;
    }
    case Task::Arbitrage:
      arbitrage(s.who);
      queue_.push(s.t + ns(spec_.arbitrageurs.interval_s * (0.5 + arbs_[s.who].timing.uniform())),
                  Task::Arbitrage, s.who);
      break;
    case Task::BreakoutRetry:
      breakout_entry(s.who);
      break;
    case Task::MetaChild:
      meta_child(s.who);
      if (meta_children_left_[s.who] > 0)
        queue_.push(s.t + ns(spec_.meta_orders[s.who].child_interval_s), Task::MetaChild, s.who);
      break;
  }
}

double Simulation::mid(InstrumentId inst) const {
  const OrderBook& b = ex_.book(inst);
  if (b.empty(Side::Buy) || b.empty(Side::Sell)) return kNaN;
  return 0.5 * (usd(inst, b.best(Side::Buy).price) + usd(inst, b.best(Side::Sell).price));
}

double Simulation::depth_within(InstrumentId inst, Side side, double m, double frac) const {
  const OrderBook& b = ex_.book(inst);
  const double lot = units(inst).lot_size;
  double total = 0;
  for (std::size_t i = 0; i < b.level_count(side); ++i) {
    const Level& lv = b.level(side, i);
    const double p = usd(inst, lv.price);
    if (side == Side::Buy ? p < m * (1 - frac) : p > m * (1 + frac)) break;
    total += p * static_cast<double>(lv.qty) * lot;
  }
  return total;
}

void Simulation::scan_events() {
  const std::span<const Event> buf = ex_.log().buffer();
  const AccountId meta_lo = meta_accounts_.empty() ? 0 : meta_accounts_.front();
  const AccountId meta_hi = meta_accounts_.empty() ? -1 : meta_accounts_.back();
  const AccountId mk_lo = maker_accounts_.empty() ? 0 : maker_accounts_.front();
  const AccountId mk_hi = maker_accounts_.empty() ? -1 : maker_accounts_.back();
  const auto is_meta = [&](AccountId a) { return a >= meta_lo && a <= meta_hi; };
  // Resume after the last event scanned, by sequence number: the buffer may have been drained
  // (and refilled) since, so a position in it means nothing.
  const auto first = std::lower_bound(buf.begin(), buf.end(), scan_seq_,
                                      [](const Event& e, std::int64_t s) { return e.seq < s; });
  for (auto it = first; it != buf.end(); ++it) {
    const Event& e = *it;
    const auto type = static_cast<EventType>(e.type);
    if (type != EventType::Fill && type != EventType::Takeover && type != EventType::AdlFill) continue;
    const InstrumentId inst = e.instrument;
    const double notional = usd(inst, e.price) * static_cast<double>(e.qty) * units(inst).lot_size;
    const int k = e.side < 0 ? 0 : 1;  // a long closed (sell) or a short (buy)
    if (type == EventType::Fill) {
      if (e.code == static_cast<std::uint16_t>(Reason::Liquidation)) liq_cum_[k] += notional;
      if (is_meta(e.account) || is_meta(e.other_account)) exogenous_executed_ += notional;
    } else if (type == EventType::Takeover) {
      liq_cum_[k] += notional;
    } else {
      adl_cum_[k] += notional;
      if (e.other_account >= mk_lo && e.other_account <= mk_hi) {
        Maker& m = makers_[static_cast<std::size_t>(e.other_account - mk_lo)];
        const MakerSpec& ms = m.instrument == spec_.perp ? spec_.perp_makers : spec_.spot_makers;
        m.adl_until = std::max(m.adl_until, e.ts + ns(ms.adl_stress_s));
      }
    }
  }
  scan_seq_ = ex_.log().next_seq();
}

std::vector<Event> Simulation::take_events() {
  scan_events();
  return ex_.log().take();
}

void Simulation::sample() {
  scan_events();
  const InstrumentId perp = spec_.perp, spot = spec_.spot;
  // Makers' stress signal: realized volatility of 1 s mid returns over the last minute.
  const std::size_t slot = static_cast<std::size_t>(series_.t.size() % 60);
  for (int k = 0; k < 2; ++k) {
    const double m = mid(k == 0 ? perp : spot);
    double r = 0;
    if (std::isfinite(m) && last_sample_mid_[k] > 0) r = std::log(m / last_sample_mid_[k]);
    if (std::isfinite(m)) last_sample_mid_[k] = m;
    returns_[k][slot] = r;
    double ss = 0;
    for (double x : returns_[k]) ss += x * x;
    vol_1min_[k] = std::sqrt(ss);
  }
  TimeSeries& s = series_;
  const auto price = [&](InstrumentId inst, std::optional<Price> p) { return p ? usd(inst, *p) : kNaN; };
  const OrderBook& pb = ex_.book(perp);
  const OrderBook& sb = ex_.book(spot);
  const double pm = mid(perp);
  s.t.push_back(static_cast<double>(now_) * 1e-9);
  s.mark.push_back(price(perp, ex_.mark(perp)));
  s.index.push_back(price(perp, ex_.index(perp)));
  s.external.push_back(external_);
  s.perp_mid.push_back(pm);
  s.spot_mid.push_back(mid(spot));
  s.best_bid.push_back(pb.empty(Side::Buy) ? kNaN : usd(perp, pb.best(Side::Buy).price));
  s.best_ask.push_back(pb.empty(Side::Sell) ? kNaN : usd(perp, pb.best(Side::Sell).price));
  s.spot_best_bid.push_back(sb.empty(Side::Buy) ? kNaN : usd(spot, sb.best(Side::Buy).price));
  s.spot_best_ask.push_back(sb.empty(Side::Sell) ? kNaN : usd(spot, sb.best(Side::Sell).price));
  // Depth around the mid, or around the mark when one side of the book is empty.
  const double centre = std::isfinite(pm) ? pm : s.mark.back();
  const bool have = std::isfinite(centre);
  s.depth_bid_1pct.push_back(have ? depth_within(perp, Side::Buy, centre, 0.01) : 0.0);
  s.depth_ask_1pct.push_back(have ? depth_within(perp, Side::Sell, centre, 0.01) : 0.0);
  s.depth_bid_2pct.push_back(have ? depth_within(perp, Side::Buy, centre, 0.02) : 0.0);
  s.depth_ask_2pct.push_back(have ? depth_within(perp, Side::Sell, centre, 0.02) : 0.0);
  s.open_interest.push_back(static_cast<double>(ex_.positions(perp).open_interest) * spec_.perp_units.lot_size);
  s.insurance_fund.push_back(usd_cash(ex_.insurance_fund()));
  s.liq_long_cum.push_back(liq_cum_[0]);
  s.liq_short_cum.push_back(liq_cum_[1]);
  s.adl_long_cum.push_back(adl_cum_[0]);
  s.adl_short_cum.push_back(adl_cum_[1]);
  s.halted.push_back(ex_.trading_state(perp) != TradingState::Continuous ? 1.0 : 0.0);
  double eq = 0, depth = 0;
  for (const Maker& m : makers_) {
    eq += usd_cash(ex_.account_risk(m.account).equity);
    depth += m.depth_factor;
  }
  s.mm_equity.push_back(eq);
  s.mm_depth_factor.push_back(makers_.empty() ? 1.0 : depth / static_cast<double>(makers_.size()));
  s.funding_rate.push_back(static_cast<double>(ex_.funding_rate(perp)) * 1e-6);
}

}  // namespace liqsim::market
