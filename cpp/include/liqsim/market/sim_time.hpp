// Simulated seconds (scenario configs) to engine nanoseconds.
#pragma once
#include <algorithm>
#include <cmath>

#include "liqsim/types.hpp"

namespace liqsim::market {

// Rounded to the nearest nanosecond, at least 1 (a zero interval would never advance a timer).
inline Timestamp ns(double seconds) { return std::max<Timestamp>(1, std::llround(seconds * 1e9)); }

}  // namespace liqsim::market
