// Binance-style funding rate and funding payments (DESIGN section 3, "Funding").
//
// Premium of one sample: (max(0, impact_bid - index) - max(0, index - impact_ask)) / index; with a
// single price (mid or both impact prices equal) that is (price - index) / index. Kept at 1e-9
// precision (truncated toward zero) and clamped to +-100% so accumulators stay bounded.
// Average premium P: Binance's linearly weighted mean, sample i (1-based) weight i, so the later
// part of the interval counts more. Binance samples every 5 s; the caller picks the cadence and
// the weights assume it is regular. P is rounded once to ppm (nearest, half toward zero).
// Rate: F = P + clamp(I - P, -clamp, +clamp), then clamped to [-cap, +cap]. Because I and the
// clamps are whole ppm, computing F from the rounded P equals rounding the exact F.
// Defaults: I = 0.01% per interval, clamp 0.05% (Binance USD-M); cap 0.3% = 0.75 x the 0.4%
// first-tier MMR of BTCUSDT (Binance's published cap rule "0.75 x maintenance margin ratio").
// With no sample in the interval, P = 0 and F = I.
#pragma once
#include <cstdint>

#include "liqsim/types.hpp"

namespace liqsim {

class FundingRate {
 public:
  // |interest_ppm| <= 1e6, clamp_ppm >= 0, cap_ppm in [0, 1e6] (InvalidConfig otherwise).
  explicit FundingRate(std::int64_t interest_ppm = 100, std::int64_t clamp_ppm = 500,
                       std::int64_t cap_ppm = 3'000);

  // Prices in [1, kMaxPrice]; ts must not go back (InvalidOrder otherwise).
  void sample(Price impact_or_mid, Price index, Timestamp ts);
  void sample_impact(Price impact_bid, Price impact_ask, Price index, Timestamp ts);

  std::int64_t premium_ppm() const;  // average premium P of the samples since reset()
  std::int64_t rate_ppm() const;     // F, clamped
  std::int64_t samples() const { return n_; }
  void reset();  // at each funding time; keeps the clock

  std::int64_t interest_ppm() const { return interest_ppm_; }
  std::int64_t clamp_ppm() const { return clamp_ppm_; }
  std::int64_t cap_ppm() const { return cap_ppm_; }

 private:
  std::int64_t interest_ppm_, clamp_ppm_, cap_ppm_;
  std::int64_t n_ = 0;
  int128 weighted_sum_ = 0;  // sum of i x premium_i, premium in 1e-9
  int128 weight_total_ = 0;  // sum of i
  Timestamp last_ts_ = 0;
};

// Signed cash the position PAYS at a funding time: position x mark x cash_per_tick_lot x rate.
// Positive = pays (a long when rate > 0), negative = receives. Rounded UP (toward +infinity),
// which is at once "payers pay rounded up" and "receivers receive rounded down"; over positions
// that sum to zero lots the payments therefore sum to a residue >= 0 (< 1 cash unit per
// position) that the ledger routes to the fee pool, so cash is conserved exactly.
// Throws InvalidConfig for |rate| > 1e6 or cash_per_tick_lot < 1, InvalidOrder for a mark out
// of [1, kMaxPrice], |position| > kMaxQty or a notional beyond int64 cash.
Cash funding_payment(Qty position, Price mark, Cash cash_per_tick_lot, std::int64_t rate_ppm);

}  // namespace liqsim
