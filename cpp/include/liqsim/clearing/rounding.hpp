// Integer division with an explicit rounding direction, shared by margin tiers, mark price and
// funding. C++ `/` truncates toward zero, which favours nobody in particular; every place that
// turns an exact rational into cash or ticks must say which way it rounds, so it calls one of
// these instead. All take a positive denominator.
#pragma once
#include <cstdint>
#include <limits>

#include "liqsim/types.hpp"

namespace liqsim {

// num / den and num % den truncated toward zero, in 64 bits when both fit (nearly always for
// cash amounts): 128-bit division is a library call (__divmodti4) that was ~11% of a scenario
// run. The same results either way.
struct QuotRem {
  int128 q, r;
};
inline constexpr QuotRem quot_rem(int128 num, int128 den) {
  using I64 = std::int64_t;
  if (num == static_cast<I64>(num) && den == static_cast<I64>(den) && den > 0) {
    const I64 n = static_cast<I64>(num), d = static_cast<I64>(den);
    return {n / d, n % d};
  }
  return {num / den, num % den};
}

// A 128-bit amount saturated to the cash range (symmetric: -max..max).
inline constexpr Cash clamp_cash(int128 v) {
  constexpr int128 hi = std::numeric_limits<Cash>::max();
  return static_cast<Cash>(v < -hi ? -hi : v > hi ? hi : v);
}

template <class T>
constexpr T absval(T v) { return v < 0 ? -v : v; }

// Smallest integer >= num / den.
inline constexpr int128 ceil_div(int128 num, int128 den) {
  const auto [q, r] = quot_rem(num, den);
  return (r != 0 && num > 0) ? q + 1 : q;
}

// Largest integer <= num / den.
inline constexpr int128 floor_div(int128 num, int128 den) {
  const auto [q, r] = quot_rem(num, den);
  return (r != 0 && num < 0) ? q - 1 : q;
}

// Nearest integer to num / den; an exact half goes toward zero. Used for offsets from a
// reference (premium over the index, average premium), so a tie never moves away from it.
inline constexpr int128 round_half_to_zero(int128 num, int128 den) {
  const auto [q, r] = quot_rem(num, den);
  const int128 twice = r < 0 ? -2 * r : 2 * r;
  if (twice <= den) return q;
  return num > 0 ? q + 1 : q - 1;
}

// Fee on `notional` at `rate_ppm`, rounded in the exchange's favour: a charge (rate > 0) up, a
// rebate (rate < 0, a negative result) down.
inline constexpr Cash fee_for(Cash notional, std::int64_t rate_ppm) {
  return static_cast<Cash>(rate_ppm > 0 ? ceil_div(int128{notional} * rate_ppm, kPpm)
                                        : -floor_div(int128{notional} * -rate_ppm, kPpm));
}

}  // namespace liqsim
