// Tiered (bracketed) maintenance and initial margin, DESIGN section 3:
//   maintenance = notional x MMR_tier - cum_tier,  cum_n = cap_{n-1} x (MMR_n - MMR_{n-1}) + cum_{n-1}
//   initial     = notional x MMR_tier x im_multiplier   (max leverage = 1 / initial rate)
// The cum term makes maintenance continuous in notional: at a tier boundary both tiers give the
// same margin, so a position growing across a cap never sees its margin jump.
//
// Rounding (always in the exchange's favour):
// - cum is kept exactly, in cash x 1e6 (cap x ppm needs no division), and maintenance() rounds
//   the exact notional x MMR - cum UP once. For whole-unit caps (every cap of the default table)
//   cap x ppm is divisible by 1e6 and Tier::cum is exact.
// - Tier::cum, the cash value shown and used by the liquidation-price formula, is the exact cum
//   rounded DOWN: a smaller cum means a larger margin / a more conservative liquidation price.
// - initial() rounds up; max_leverage_x100() rounds down.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim {

struct Tier {
  Cash cap;              // largest notional in this tier (inclusive)
  std::int64_t mmr_ppm;  // maintenance margin rate
  Cash cum;              // maintenance amount, exact value rounded down (see above)
};

class MarginTiers {
 public:
  // Brackets as (cap, MMR ppm), lowest first. Rejects (InvalidConfig): empty table, caps not
  // strictly increasing or <= 0, MMR outside (0, 1e6], MMR decreasing, im_multiplier < 1e6.
  // An initial rate MMR x multiplier above 100% is CLAMPED to 100% (1x leverage) rather than
  // rejected, so the 50% top tier of the default table stays valid with any multiplier >= 2.
  static MarginTiers from_brackets(const std::vector<std::pair<Cash, std::int64_t>>& cap_and_mmr_ppm,
                                   std::int64_t im_multiplier_ppm = 2'000'000);

  // First tier whose cap >= notional; a notional beyond the last cap uses the last tier (real
  // venues refuse such positions at order entry; the clearing math must still be defined).
  // notional is an absolute value: negative input throws InvalidOrder.
  const Tier& tier_for(Cash notional) const { return tiers_[index_for(notional)]; }
  std::size_t index_for(Cash notional) const;

  Cash maintenance(Cash notional) const;  // ceil(notional x MMR - cum), never negative
  Cash initial(Cash notional) const;      // ceil(notional x min(MMR x mult, 100%))
  std::int64_t max_leverage_x100(Cash notional) const;  // floor(100 / initial rate)

  const std::vector<Tier>& tiers() const { return tiers_; }
  std::int64_t im_multiplier_ppm() const { return im_multiplier_ppm_; }

 private:
  MarginTiers() = default;
  int128 initial_rate_scaled(std::size_t i) const;  // min(MMR x mult, 1e12), rate x 1e12

  std::vector<Tier> tiers_;
  std::vector<int128> cum_scaled_;  // exact cum x 1e6 (cash x ppm)
  // Initial rate of each tier as a reduced fraction num / den (= initial_rate_scaled / 1e12),
  // so initial() divides in 64 bits for ordinary notionals.
  std::vector<std::pair<std::int64_t, std::int64_t>> initial_fraction_;
  std::int64_t im_multiplier_ppm_ = 0;
};

// Default BTCUSDT-like table of DESIGN section 3 (caps 50k..500M USDT, MMR 0.4%..50%), with
// caps scaled by cash_per_usd (1'000'000 when the cash unit is 1e-6 USD), initial = 2 x MMR.
MarginTiers binance_btcusdt(Cash cash_per_usd);

}  // namespace liqsim
