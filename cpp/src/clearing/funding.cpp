#include "liqsim/clearing/funding.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "liqsim/clearing/rounding.hpp"
#include "liqsim/error.hpp"

namespace liqsim {

namespace {

constexpr std::int64_t kPpb = 1'000'000'000;  // premium samples are kept at 1e-9

void check_price(Price p, const char* what) {
  if (p < 1 || p > kMaxPrice)
    fail(ErrorKind::InvalidOrder, std::string(what) + " = " + std::to_string(p) + " must be in [1, " +
                                      std::to_string(kMaxPrice) + "]");
}

}  // namespace

FundingRate::FundingRate(std::int64_t interest_ppm, std::int64_t clamp_ppm, std::int64_t cap_ppm)
    : interest_ppm_(interest_ppm), clamp_ppm_(clamp_ppm), cap_ppm_(cap_ppm) {
  if (interest_ppm < -kPpm || interest_ppm > kPpm)
    fail(ErrorKind::InvalidConfig, "interest_ppm = " + std::to_string(interest_ppm) +
                                       " must be in [-1000000, 1000000]");
  if (clamp_ppm < 0 || clamp_ppm > kPpm)
    fail(ErrorKind::InvalidConfig, "clamp_ppm = " + std::to_string(clamp_ppm) + " must be in [0, 1000000]");
  if (cap_ppm < 0 || cap_ppm > kPpm)
    fail(ErrorKind::InvalidConfig, "cap_ppm = " + std::to_string(cap_ppm) + " must be in [0, 1000000]");
}

void FundingRate::sample(Price impact_or_mid, Price index, Timestamp ts) {
  sample_impact(impact_or_mid, impact_or_mid, index, ts);
}

void FundingRate::sample_impact(Price impact_bid, Price impact_ask, Price index, Timestamp ts) {
  check_price(impact_bid, "impact bid");
  check_price(impact_ask, "impact ask");
  check_price(index, "index price");
  if (ts < last_ts_)
    fail(ErrorKind::InvalidOrder, "funding sample ts = " + std::to_string(ts) +
                                      " is before the previous sample at " + std::to_string(last_ts_));
  last_ts_ = ts;
  const Price diff = std::max<Price>(0, impact_bid - index) - std::max<Price>(0, index - impact_ask);
  // Truncation toward zero is symmetric for premiums and discounts.
  const int128 premium = std::clamp<int128>(int128{diff} * kPpb / index, -kPpb, kPpb);
  ++n_;
  weighted_sum_ += premium * n_;
  weight_total_ += n_;
}

std::int64_t FundingRate::premium_ppm() const {
  if (n_ == 0) return 0;
  return static_cast<std::int64_t>(round_half_to_zero(weighted_sum_, weight_total_ * (kPpb / kPpm)));
}

std::int64_t FundingRate::rate_ppm() const {
  const std::int64_t p = premium_ppm();
  const std::int64_t f = p + std::clamp(interest_ppm_ - p, -clamp_ppm_, clamp_ppm_);
  return std::clamp(f, -cap_ppm_, cap_ppm_);
}

void FundingRate::reset() {
  n_ = 0;
  weighted_sum_ = 0;
  weight_total_ = 0;
}

Cash funding_payment(Qty position, Price mark, Cash cash_per_tick_lot, std::int64_t rate_ppm) {
  if (rate_ppm < -kPpm || rate_ppm > kPpm)
    fail(ErrorKind::InvalidConfig, "funding rate_ppm = " + std::to_string(rate_ppm) +
                                       " must be in [-1000000, 1000000]");
  if (cash_per_tick_lot < 1)
    fail(ErrorKind::InvalidConfig, "cash_per_tick_lot = " + std::to_string(cash_per_tick_lot) + " must be >= 1");
  check_price(mark, "mark price");
  if (position < -kMaxQty || position > kMaxQty)
    fail(ErrorKind::InvalidOrder, "position = " + std::to_string(position) + " is beyond +-" +
                                      std::to_string(kMaxQty) + " lots");
  const int128 lots_ticks = int128{position} * mark;  // <= 1e30
  const int128 limit = std::numeric_limits<Cash>::max() / cash_per_tick_lot;
  if (lots_ticks > limit || lots_ticks < -limit)
    fail(ErrorKind::InvalidOrder, "funding notional of position " + std::to_string(position) + " at mark " +
                                      std::to_string(mark) + " overflows int64 cash");
  const int128 notional = lots_ticks * cash_per_tick_lot;  // |notional| < 2^63
  return static_cast<Cash>(ceil_div(notional * rate_ppm, kPpm));
}

}  // namespace liqsim
