// Circuit breakers; the rules and their sources are documented in the header.
#include "liqsim/control/breakers.hpp"

#include <limits>
#include <string>

#include "liqsim/clearing/rounding.hpp"
#include "liqsim/error.hpp"

namespace liqsim {

namespace {

void check_range(const char* name, std::int64_t v, std::int64_t lo, std::int64_t hi) {
  if (v < lo || v > hi)
    fail(ErrorKind::InvalidConfig, std::string(name) + " = " + std::to_string(v) + " must be in [" +
                                       std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

void check_price(Price p, const char* what) {
  if (p < 1 || p > kMaxPrice)
    fail(ErrorKind::InvalidOrder, std::string(what) + " = " + std::to_string(p) + " must be in [1, " +
                                      std::to_string(kMaxPrice) + "]");
}

// t + d without overflow (d >= 0): saturates at the largest timestamp.
Timestamp sat_add(Timestamp t, Timestamp d) {
  return t > std::numeric_limits<Timestamp>::max() - d ? std::numeric_limits<Timestamp>::max() : t + d;
}

// a is a longer halt than b (kRestOfRun is longest).
bool longer(Timestamp a, Timestamp b) {
  if (a == b) return false;
  if (a == kRestOfRun) return true;
  if (b == kRestOfRun) return false;
  return a > b;
}

}  // namespace

const char* halt_reason_name(HaltReason r) {
  switch (r) {
    case HaltReason::None: return "none";
    case HaltReason::Luld: return "luld";
    case HaltReason::Dcb: return "dcb";
    case HaltReason::Velocity: return "velocity";
    case HaltReason::MarketWide1: return "market_wide_1";
    case HaltReason::MarketWide2: return "market_wide_2";
    case HaltReason::MarketWide3: return "market_wide_3";
  }
  return "unknown";
}

void validate(const BreakerSpec& s) {
  check_range("price_band.band_ppm", s.price_band.band_ppm, 1, kPpm);

  check_range("luld.band_ppm", s.luld.band_ppm, 1, kPpm);
  check_range("luld.ref_window_ns", s.luld.ref_window_ns, 1, kMaxBreakerDuration);
  check_range("luld.ref_move_ppm", s.luld.ref_move_ppm, 0, kPpm);
  check_range("luld.limit_state_ns", s.luld.limit_state_ns, 1, kMaxBreakerDuration);
  check_range("luld.halt_ns", s.luld.halt_ns, 1, kMaxBreakerDuration);

  check_range("dcb.lookback_ns", s.dcb.lookback_ns, 1, kMaxBreakerDuration);
  check_range("dcb.band_ppm", s.dcb.band_ppm, 1, kPpm);
  check_range("dcb.halt_ns", s.dcb.halt_ns, 1, kMaxBreakerDuration);

  check_range("velocity.max_move_ticks", s.velocity.max_move_ticks, 1, kMaxPrice);
  check_range("velocity.window_ns", s.velocity.window_ns, 1, kMaxBreakerDuration);
  check_range("velocity.pause_ns", s.velocity.pause_ns, 1, kMaxBreakerDuration);

  const MarketWideSpec& m = s.market_wide;
  check_range("market_wide.level1_ppm", m.level1_ppm, 1, kPpm - 2);
  check_range("market_wide.level2_ppm", m.level2_ppm, m.level1_ppm + 1, kPpm - 1);
  check_range("market_wide.level3_ppm", m.level3_ppm, m.level2_ppm + 1, kPpm);
  check_range("market_wide.halt1_ns", m.halt1_ns, 1, kMaxBreakerDuration);
  check_range("market_wide.halt2_ns", m.halt2_ns, 1, kMaxBreakerDuration);
  check_range("market_wide.reference", m.reference, 0, kMaxPrice);
}

// ---- MinMaxWindow -----------------------------------------------------------------------------

void Breakers::MinMaxWindow::push(Point p) {
  while (!max_q.empty() && max_q.back().price <= p.price) max_q.pop_back();
  max_q.push_back(p);
  while (!min_q.empty() && min_q.back().price >= p.price) min_q.pop_back();
  min_q.push_back(p);
}

void Breakers::MinMaxWindow::expire(Timestamp now, Timestamp window) {
  // A point leaves when ts + window <= now; written as ts <= now - window (no overflow: now >= 0).
  const Timestamp cutoff = now - window;
  while (!max_q.empty() && max_q.front().ts <= cutoff) max_q.pop_front();
  while (!min_q.empty() && min_q.front().ts <= cutoff) min_q.pop_front();
}

void Breakers::MinMaxWindow::clear() {
  max_q.clear();
  min_q.clear();
}

// ---- Breakers ---------------------------------------------------------------------------------

Breakers::Breakers(BreakerSpec spec) : spec_(spec) {
  validate(spec_);
  if (spec_.market_wide.enabled && spec_.market_wide.reference > 0) mw_ref_ = spec_.market_wide.reference;
}

bool Breakers::admits(Side side, Price limit, std::optional<Price> mark) const {
  const PriceBandSpec& b = spec_.price_band;
  if (!b.enabled || !mark) return true;
  // Binance PERCENT_PRICE: BUY price <= mark x (1 + band), SELL price >= mark x (1 - band); exact.
  const int128 p = static_cast<int128>(limit) * kPpm;
  const bool below_up = p <= static_cast<int128>(*mark) * (kPpm + b.band_ppm);
  const bool above_down = p >= static_cast<int128>(*mark) * (kPpm - b.band_ppm);
  if (side == Side::Buy) return below_up && (!b.symmetric || above_down);
  return above_down && (!b.symmetric || below_up);
}

std::pair<Price, Price> Breakers::trade_bounds() const {
  if (!spec_.luld.enabled || !luld_ref_) return {1, kMaxPrice};
  const int128 ref = *luld_ref_;
  // Every tick within +-band of the reference: lower rounds up, upper rounds down.
  int128 lo = ceil_div(ref * (kPpm - spec_.luld.band_ppm), kPpm);
  int128 hi = floor_div(ref * (kPpm + spec_.luld.band_ppm), kPpm);
  if (lo < 1) lo = 1;
  if (hi > kMaxPrice) hi = kMaxPrice;
  return {static_cast<Price>(lo), static_cast<Price>(hi)};
}

std::optional<Price> Breakers::dcb_high() const {
  if (!spec_.dcb.enabled || dcb_.empty()) return std::nullopt;
  return dcb_.max();
}

std::optional<Price> Breakers::dcb_low() const {
  if (!spec_.dcb.enabled || dcb_.empty()) return std::nullopt;
  return dcb_.min();
}

// LULD Plan section I: the reference is the mean of the window's trades, replaced only when the
// pro-forma mean is >= ref_move away from it; an empty window keeps the old reference.
bool Breakers::luld_update_reference() {
  if (luld_window_.empty()) return false;
  const int128 n = static_cast<int128>(luld_window_.size());
  if (luld_ref_) {
    const int128 ref = *luld_ref_;
    int128 diff = luld_sum_ - ref * n;  // (mean - ref) x n
    if (diff < 0) diff = -diff;
    if (diff * kPpm < ref * n * spec_.luld.ref_move_ppm) return false;
  }
  const Price next = static_cast<Price>(round_half_to_zero(luld_sum_, n));
  const bool moved = !luld_ref_ || *luld_ref_ != next;
  luld_ref_ = next;
  return moved;
}

// LULD Plan section V: limit state when the best offer is at (or below) the lower band or the
// best bid at (or above) the upper band.
bool Breakers::luld_book_at_band(Price* band) const {
  if (!luld_ref_) return false;
  const auto [lo, hi] = trade_bounds();
  if (ask_ && *ask_ <= lo) {
    *band = lo;
    return true;
  }
  if (bid_ && *bid_ >= hi) {
    *band = hi;
    return true;
  }
  return false;
}

void Breakers::luld_refresh_limit_state(Timestamp at) {
  Price band = 0;
  if (!luld_book_at_band(&band)) {
    limit_since_.reset();
  } else if (!limit_since_) {
    limit_since_ = at;
  }
}

// Replays, in time order up to ts, the moments at which a trade leaves the reference window and
// the moment the running limit state reaches limit_state_ns (the deadline wins a tie: at that
// instant the limit state has lasted the full period).
void Breakers::luld_evict_and_latch(Timestamp ts) {
  const LuldSpec& l = spec_.luld;
  for (;;) {
    std::optional<Timestamp> evict_at;
    if (!luld_window_.empty()) evict_at = sat_add(luld_window_.front().ts, l.ref_window_ns);
    std::optional<Timestamp> deadline;
    if (limit_since_ && !luld_pending_ && !active_) deadline = sat_add(*limit_since_, l.limit_state_ns);

    if (deadline && *deadline <= ts && (!evict_at || *deadline <= *evict_at)) {
      // LULD Plan section VII: a limit state not exited within 15 s becomes a trading pause.
      Price band = 0;
      luld_book_at_band(&band);
      luld_pending_ = HaltDecision{HaltReason::Luld, l.halt_ns, *luld_ref_, band, *deadline};
      continue;
    }
    if (evict_at && *evict_at <= ts) {
      const Timestamp t0 = luld_window_.front().ts;
      while (!luld_window_.empty() && luld_window_.front().ts == t0) {
        luld_sum_ -= luld_window_.front().price;
        luld_window_.pop_front();
      }
      if (luld_update_reference() && !active_ && !halted_for_run_) luld_refresh_limit_state(*evict_at);
      continue;
    }
    break;
  }
}

void Breakers::advance_to(Timestamp ts) {
  if (ts < now_) ts = now_;
  if (spec_.luld.enabled) luld_evict_and_latch(ts);
  if (spec_.dcb.enabled) dcb_.expire(ts, spec_.dcb.lookback_ns);
  if (spec_.velocity.enabled) vel_.expire(ts, spec_.velocity.window_ns);
  now_ = ts;
}

// NYSE Rule 7.12 adapted: levels measured from a fixed session reference, each once per run.
void Breakers::market_wide_print(Price price, Timestamp ts) {
  const MarketWideSpec& m = spec_.market_wide;
  if (!mw_ref_) mw_ref_ = price;
  const int128 p = static_cast<int128>(price) * kPpm;
  const int128 ref = *mw_ref_;
  int level = 0;
  if (p <= ref * (kPpm - m.level3_ppm)) {
    level = 3;
  } else if (p <= ref * (kPpm - m.level2_ppm)) {
    level = 2;
  } else if (p <= ref * (kPpm - m.level1_ppm)) {
    level = 1;
  }
  if (level <= mw_level_) return;
  mw_level_ = level;
  static constexpr HaltReason kReasons[] = {HaltReason::None, HaltReason::MarketWide1, HaltReason::MarketWide2,
                                            HaltReason::MarketWide3};
  const Timestamp duration = level == 3 ? kRestOfRun : level == 2 ? m.halt2_ns : m.halt1_ns;
  mw_pending_ = HaltDecision{kReasons[level], duration, *mw_ref_, price, ts};
}

void Breakers::on_trade(Price price, Timestamp ts) {
  check_price(price, "trade price");
  advance_to(ts);
  if (halted_for_run_) return;
  const Timestamp t = now_;

  if (spec_.luld.enabled) {
    luld_window_.push_back({t, price});
    luld_sum_ += price;
    luld_update_reference();  // the first trade sets the reference; the limit state follows on_book
  }

  if (spec_.dcb.enabled) {
    dcb_.push({t, price});
    if (!active_ && !dcb_pending_) {
      // CME DCB: at or beyond high x (1 - band) / low x (1 + band) of the lookback window.
      const int128 p = static_cast<int128>(price) * kPpm;
      const Price hi = dcb_.max();
      const Price lo = dcb_.min();
      if (p <= static_cast<int128>(hi) * (kPpm - spec_.dcb.band_ppm)) {
        dcb_pending_ = HaltDecision{HaltReason::Dcb, spec_.dcb.halt_ns, hi, price, t};
      } else if (p >= static_cast<int128>(lo) * (kPpm + spec_.dcb.band_ppm)) {
        dcb_pending_ = HaltDecision{HaltReason::Dcb, spec_.dcb.halt_ns, lo, price, t};
      }
    }
  }

  if (spec_.velocity.enabled) {
    vel_.push({t, price});
    if (!active_ && !vel_pending_ && vel_.max() - vel_.min() > spec_.velocity.max_move_ticks) {
      // CME velocity logic: more than N ticks within the lookback.
      const Price other = price == vel_.max() ? vel_.min() : vel_.max();
      vel_pending_ = HaltDecision{HaltReason::Velocity, spec_.velocity.pause_ns, other, price, t};
    }
  }

  if (spec_.market_wide.enabled) market_wide_print(price, t);
}

void Breakers::on_book(std::optional<Price> best_bid, std::optional<Price> best_ask, Timestamp ts) {
  if (best_bid) check_price(*best_bid, "best bid");
  if (best_ask) check_price(*best_ask, "best ask");
  advance_to(ts);
  bid_ = best_bid;
  ask_ = best_ask;
  if (spec_.luld.enabled && !active_ && !halted_for_run_) luld_refresh_limit_state(now_);
}

std::optional<HaltDecision> Breakers::check(Timestamp ts) {
  advance_to(ts);
  if (active_ || halted_for_run_) return std::nullopt;
  // Longest halt wins; ties go to the earlier entry of this list.
  const std::optional<HaltDecision>* candidates[] = {&mw_pending_, &luld_pending_, &dcb_pending_, &vel_pending_};
  const HaltDecision* best = nullptr;
  for (const auto* c : candidates)
    if (c->has_value() && (!best || longer((*c)->duration_ns, best->duration_ns))) best = &**c;
  if (!best) return std::nullopt;
  const HaltDecision decision = *best;
  mw_pending_.reset();
  luld_pending_.reset();
  dcb_pending_.reset();
  vel_pending_.reset();
  limit_since_.reset();
  active_ = decision;
  if (decision.reason == HaltReason::MarketWide3) halted_for_run_ = true;
  return decision;
}

void Breakers::on_reopen(Price price, Timestamp ts) {
  check_price(price, "reopen price");
  advance_to(ts);
  if (halted_for_run_) return;
  active_.reset();
  const Timestamp t = now_;
  if (spec_.luld.enabled) {
    luld_window_.clear();
    luld_sum_ = 0;
    luld_ref_ = price;
    limit_since_.reset();
    luld_pending_.reset();
  }
  dcb_.clear();
  dcb_pending_.reset();
  if (spec_.dcb.enabled) dcb_.push({t, price});
  vel_.clear();
  vel_pending_.reset();
  if (spec_.velocity.enabled) vel_.push({t, price});
  if (spec_.market_wide.enabled) market_wide_print(price, t);
}

std::optional<Timestamp> Breakers::next_deadline() const {
  if (active_ || halted_for_run_) return std::nullopt;
  if (mw_pending_ || luld_pending_ || dcb_pending_ || vel_pending_) return now_;
  if (spec_.luld.enabled && limit_since_) return sat_add(*limit_since_, spec_.luld.limit_state_ns);
  return std::nullopt;
}

BreakerState Breakers::state() const {
  BreakerState s;
  s.now = now_;
  s.luld_reference = luld_ref_;
  const auto [lo, hi] = trade_bounds();
  s.luld_lower = lo;
  s.luld_upper = hi;
  s.limit_state_since = limit_since_;
  s.dcb_high = dcb_high();
  s.dcb_low = dcb_low();
  s.market_wide_reference = mw_ref_;
  s.market_wide_level = mw_level_;
  s.halted = halted();
  s.halted_for_run = halted_for_run_;
  s.active_halt = active_;
  return s;
}

}  // namespace liqsim
