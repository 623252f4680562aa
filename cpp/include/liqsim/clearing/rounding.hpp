// Integer division with an explicit rounding direction, shared by margin tiers, mark price and
// funding. C++ `/` truncates toward zero, which favours nobody in particular; every place that
// turns an exact rational into cash or ticks must say which way it rounds, so it calls one of
// these instead. All take a positive denominator.
#pragma once
#include "liqsim/types.hpp"

namespace liqsim {

// Smallest integer >= num / den.
inline constexpr int128 ceil_div(int128 num, int128 den) {
  const int128 q = num / den;
  return (num % den != 0 && num > 0) ? q + 1 : q;
}

// Largest integer <= num / den.
inline constexpr int128 floor_div(int128 num, int128 den) {
  const int128 q = num / den;
  return (num % den != 0 && num < 0) ? q - 1 : q;
}

// Nearest integer to num / den; an exact half goes toward zero. Used for offsets from a
// reference (premium over the index, average premium), so a tie never moves away from it.
inline constexpr int128 round_half_to_zero(int128 num, int128 den) {
  const int128 q = num / den;
  const int128 r = num % den;
  const int128 twice = r < 0 ? -2 * r : 2 * r;
  if (twice <= den) return q;
  return num > 0 ? q + 1 : q - 1;
}

}  // namespace liqsim
