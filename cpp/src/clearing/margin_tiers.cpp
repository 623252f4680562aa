#include "liqsim/clearing/margin_tiers.hpp"

#include <algorithm>
#include <numeric>
#include <limits>
#include <string>

#include "liqsim/clearing/rounding.hpp"
#include "liqsim/error.hpp"

namespace liqsim {

namespace {

constexpr int128 kPpm2 = int128{kPpm} * kPpm;  // 1e12: scale of a product of two ppm rates

std::string bracket(std::size_t i, const char* field) {
  return "margin_tiers[" + std::to_string(i) + "]." + field;
}

}  // namespace

MarginTiers MarginTiers::from_brackets(const std::vector<std::pair<Cash, std::int64_t>>& cap_and_mmr_ppm,
                                       std::int64_t im_multiplier_ppm) {
  if (cap_and_mmr_ppm.empty()) fail(ErrorKind::InvalidConfig, "margin_tiers must not be empty");
  if (im_multiplier_ppm < kPpm)
    fail(ErrorKind::InvalidConfig, "im_multiplier_ppm = " + std::to_string(im_multiplier_ppm) +
                                       " must be >= 1000000 (initial margin below maintenance)");
  MarginTiers t;
  t.im_multiplier_ppm_ = im_multiplier_ppm;
  int128 cum = 0;
  for (std::size_t i = 0; i < cap_and_mmr_ppm.size(); ++i) {
    const auto [cap, mmr] = cap_and_mmr_ppm[i];
    if (cap <= 0) fail(ErrorKind::InvalidConfig, bracket(i, "cap") + " = " + std::to_string(cap) + " must be > 0");
    if (mmr <= 0 || mmr > kPpm)
      fail(ErrorKind::InvalidConfig,
           bracket(i, "mmr_ppm") + " = " + std::to_string(mmr) + " must be in (0, 1000000]");
    if (i > 0) {
      const Tier& prev = t.tiers_.back();
      if (cap <= prev.cap)
        fail(ErrorKind::InvalidConfig, bracket(i, "cap") + " = " + std::to_string(cap) +
                                           " must be greater than the previous cap " + std::to_string(prev.cap));
      if (mmr < prev.mmr_ppm)
        fail(ErrorKind::InvalidConfig, bracket(i, "mmr_ppm") + " = " + std::to_string(mmr) +
                                           " must not be below the previous tier's " + std::to_string(prev.mmr_ppm));
      cum += int128{prev.cap} * (mmr - prev.mmr_ppm);  // exact, in cash x ppm
    }
    // cum <= cap_{n-1} x MMR_n <= cap_{n-1} (MMR <= 100%), so it always fits in Cash.
    t.tiers_.push_back(Tier{cap, mmr, static_cast<Cash>(floor_div(cum, kPpm))});
    t.cum_scaled_.push_back(cum);
  }
  for (std::size_t i = 0; i < t.tiers_.size(); ++i) {
    const auto rate = static_cast<std::int64_t>(t.initial_rate_scaled(i));  // in (0, 1e12]
    const auto scale = static_cast<std::int64_t>(kPpm2);
    const std::int64_t g = std::gcd(rate, scale);
    t.initial_fraction_.emplace_back(rate / g, scale / g);
  }
  return t;
}

std::size_t MarginTiers::index_for(Cash notional) const {
  if (notional < 0) fail(ErrorKind::InvalidOrder, "notional = " + std::to_string(notional) + " must be >= 0");
  // A linear walk: tables have a handful of tiers and nearly every notional is in the first.
  const std::size_t last = tiers_.size() - 1;
  std::size_t i = 0;
  while (i < last && tiers_[i].cap < notional) ++i;
  return i;
}

Cash MarginTiers::maintenance(Cash notional) const {
  const std::size_t i = index_for(notional);
  const int128 exact = int128{notional} * tiers_[i].mmr_ppm - cum_scaled_[i];
  // exact >= 0 for any notional in or above its tier (MMR non-decreasing); the guard only keeps
  // the "never negative" promise explicit.
  return exact <= 0 ? 0 : static_cast<Cash>(ceil_div(exact, kPpm));
}

int128 MarginTiers::initial_rate_scaled(std::size_t i) const {
  return std::min(int128{tiers_[i].mmr_ppm} * im_multiplier_ppm_, kPpm2);
}

Cash MarginTiers::initial(Cash notional) const {
  const auto [num, den] = initial_fraction_[index_for(notional)];
  return static_cast<Cash>(ceil_div(int128{notional} * num, den));
}

std::int64_t MarginTiers::max_leverage_x100(Cash notional) const {
  const std::size_t i = index_for(notional);
  return static_cast<std::int64_t>(100 * kPpm2 / initial_rate_scaled(i));
}

MarginTiers binance_btcusdt(Cash cash_per_usd) {
  // (cap in USDT, MMR ppm): DESIGN section 3.
  static constexpr std::pair<std::int64_t, std::int64_t> kTable[] = {
      {50'000, 4'000},         {250'000, 5'000},         {1'000'000, 10'000},   {10'000'000, 25'000},
      {20'000'000, 50'000},    {50'000'000, 100'000},    {100'000'000, 125'000}, {200'000'000, 150'000},
      {300'000'000, 250'000},  {500'000'000, 500'000}};
  constexpr std::int64_t kTopCap = 500'000'000;
  if (cash_per_usd <= 0 || cash_per_usd > std::numeric_limits<Cash>::max() / kTopCap)
    fail(ErrorKind::InvalidConfig, "cash_per_usd = " + std::to_string(cash_per_usd) +
                                       " must be in [1, " +
                                       std::to_string(std::numeric_limits<Cash>::max() / kTopCap) + "]");
  std::vector<std::pair<Cash, std::int64_t>> brackets;
  for (const auto& [usd, mmr] : kTable) brackets.emplace_back(usd * cash_per_usd, mmr);
  return MarginTiers::from_brackets(brackets, 2'000'000);
}

}  // namespace liqsim
