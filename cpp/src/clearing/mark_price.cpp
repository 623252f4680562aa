#include "liqsim/clearing/mark_price.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "liqsim/clearing/rounding.hpp"
#include "liqsim/error.hpp"

namespace liqsim {

namespace {

constexpr Timestamp kMaxFundingInterval = 365 * 24 * 3600 * MarkPrice::kSecond;  // keeps P1 in int128
constexpr std::int64_t kMaxMaWindow = 24 * 3600 * MarkPrice::kSecond;            // bounds the ring

void check_price(Price p, const char* what) {
  if (p < 1 || p > kMaxPrice)
    fail(ErrorKind::InvalidOrder, std::string(what) + " = " + std::to_string(p) + " must be in [1, " +
                                      std::to_string(kMaxPrice) + "]");
}

// Nearest integer, an exact half toward zero: the double twin of round_half_to_zero.
std::int64_t round_half_to_zero(double x) {
  double t = std::trunc(x);
  const double frac = x - t;
  if (frac > 0.5) t += 1.0;
  if (frac < -0.5) t -= 1.0;
  return static_cast<std::int64_t>(t);
}

// Up to three candidate prices; median of those present (see the header for 2 and 0).
struct Candidates {
  std::array<Price, 3> v{};
  int n = 0;
  void add(std::optional<Price> p) {
    if (p) v[n++] = *p;
  }
  std::optional<Price> median(std::optional<Price> toward) const {
    if (n == 0) return std::nullopt;
    if (n == 1) return v[0];
    if (n == 3) return std::max(std::min(v[0], v[1]), std::min(std::max(v[0], v[1]), v[2]));
    const Price sum = v[0] + v[1];  // both <= kMaxPrice: no overflow
    const Price lo = static_cast<Price>(floor_div(sum, 2));
    if (sum % 2 == 0) return lo;
    return (toward && *toward > lo) ? lo + 1 : lo;  // half tick goes toward the index
  }
};

}  // namespace

MarkPrice::MarkPrice(MarkRule rule, Timestamp funding_interval_ns, std::int64_t ema_window_ns,
                     std::int64_t ma_window_ns)
    : rule_(rule), interval_(funding_interval_ns), ema_tau_ns_(static_cast<double>(ema_window_ns)) {
  if (funding_interval_ns < 1 || funding_interval_ns > kMaxFundingInterval)
    fail(ErrorKind::InvalidConfig, "funding_interval_ns = " + std::to_string(funding_interval_ns) +
                                       " must be in [1, " + std::to_string(kMaxFundingInterval) + "]");
  if (ema_window_ns < 1)
    fail(ErrorKind::InvalidConfig, "ema_window_ns = " + std::to_string(ema_window_ns) + " must be > 0");
  if (ma_window_ns < kSecond || ma_window_ns > kMaxMaWindow || ma_window_ns % kSecond != 0)
    fail(ErrorKind::InvalidConfig, "ma_window_ns = " + std::to_string(ma_window_ns) +
                                       " must be a whole number of seconds in [1 s, 24 h]");
  if (rule_ == MarkRule::Binance) {
    const auto slots = static_cast<std::size_t>(ma_window_ns / kSecond);
    ring_.assign(slots, 0);
    ring_valid_.assign(slots, false);
  }
}

void MarkPrice::on_trade(Price price, Timestamp ts) {
  check_price(price, "trade price");
  advance_to(ts);
  last_ = price;
}

void MarkPrice::on_index(Price price, Timestamp ts) {
  check_price(price, "index price");
  advance_to(ts);
  index_ = price;
}

void MarkPrice::on_book(std::optional<Price> bid, std::optional<Price> ask, Timestamp ts) {
  if (bid) check_price(*bid, "best bid");
  if (ask) check_price(*ask, "best ask");
  advance_to(ts);
  bid_ = bid;
  ask_ = ask;
}

void MarkPrice::on_external_perp_mid(Price price, Timestamp ts) {
  check_price(price, "external perp mid");
  advance_to(ts);
  ext_mid_ = price;
}

void MarkPrice::set_funding_rate_ppm(std::int64_t rate_ppm) {
  if (rate_ppm < -kPpm || rate_ppm > kPpm)
    fail(ErrorKind::InvalidConfig, "funding rate_ppm = " + std::to_string(rate_ppm) +
                                       " must be in [-1000000, 1000000]");
  funding_rate_ppm_ = rate_ppm;
}

std::optional<std::int64_t> MarkPrice::premium_half_ticks() const {
  if (!bid_ || !ask_ || !index_) return std::nullopt;
  return *bid_ + *ask_ - 2 * *index_;  // (mid - index) x 2, exact
}

void MarkPrice::push_sample() {
  const auto p = premium_half_ticks();
  const std::size_t slot = ring_head_;
  if (ring_valid_[slot]) {
    ring_sum_ -= ring_[slot];
    --ring_count_;
  }
  ring_valid_[slot] = p.has_value();
  ring_[slot] = p.value_or(0);
  if (p) {
    ring_sum_ += *p;
    ++ring_count_;
  }
  ring_head_ = (slot + 1) % ring_.size();
}

void MarkPrice::advance_to(Timestamp ts) {
  if (ts <= now_) return;
  if (rule_ == MarkRule::Binance && next_sample_ <= ts) {
    // The state is constant since the last input, so every due sample has the same value and
    // more than a window's worth of them only needs one pass over the ring.
    const std::int64_t due = (ts - next_sample_) / kSecond + 1;
    const auto passes = std::min<std::int64_t>(due, static_cast<std::int64_t>(ring_.size()));
    for (std::int64_t i = 0; i < passes; ++i) push_sample();
    next_sample_ += due * kSecond;
  }
  if (rule_ == MarkRule::Hyperliquid) {
    // The premium held constant over (now_, ts]: its weight is 1 - exp(-dt / tau), and all
    // older weight decays by exp(-dt / tau). A span without a premium only decays.
    const double x = static_cast<double>(ts - now_) / ema_tau_ns_;
    const double decay = std::exp(-x);
    const double weight = -std::expm1(-x);
    ema_num_ *= decay;
    ema_den_ *= decay;
    if (const auto p = premium_half_ticks()) {
      ema_num_ += static_cast<double>(*p) * weight;
      ema_den_ += weight;
    }
  }
  now_ = ts;
}

std::optional<Price> MarkPrice::binance() const {
  if (!index_) return last_;
  const Price idx = *index_;
  const Timestamp to_funding = interval_ - now_ % interval_;
  Candidates c;
  // |idx x rate x to_funding| <= 1e15 x 1e6 x 3.2e16: inside int128.
  c.add(idx + static_cast<Price>(round_half_to_zero(int128{idx} * funding_rate_ppm_ * to_funding,
                                                    int128{kPpm} * interval_)));
  if (ring_count_ > 0) {
    c.add(idx + static_cast<Price>(round_half_to_zero(ring_sum_, int128{2} * ring_count_)));
  } else if (const auto p = premium_half_ticks()) {
    c.add(idx + static_cast<Price>(round_half_to_zero(*p, 2)));
  }
  c.add(last_);
  return c.median(index_);
}

std::optional<Price> MarkPrice::hyperliquid() const {
  Candidates top;
  if (index_) {
    if (ema_den_ > 0.0) {
      top.add(*index_ + round_half_to_zero(ema_num_ / ema_den_ / 2.0));
    } else if (const auto p = premium_half_ticks()) {
      top.add(*index_ + static_cast<Price>(round_half_to_zero(*p, 2)));
    }
  }
  Candidates local;
  local.add(bid_);
  local.add(ask_);
  local.add(last_);
  top.add(local.median(index_));
  top.add(ext_mid_);
  const auto m = top.median(index_);
  return m ? m : index_;
}

std::optional<Price> MarkPrice::mark() const {
  std::optional<Price> m;
  switch (rule_) {
    case MarkRule::Last: m = last_; break;
    case MarkRule::Index: m = index_; break;
    case MarkRule::Binance: m = binance(); break;
    case MarkRule::Hyperliquid: m = hyperliquid(); break;
  }
  // An MA built on an older index can in principle push a component out of range; the mark
  // itself always stays a valid price.
  if (m) m = std::clamp<Price>(*m, 1, kMaxPrice);
  return m;
}

}  // namespace liqsim
