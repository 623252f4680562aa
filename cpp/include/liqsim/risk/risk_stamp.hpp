// What the risk stage last found for an account (cross scope), so unchanged accounts are not
// re-checked: the risk epoch of the check (valuation prices) and, for an account found due but
// made to wait, the defer generation then (what decides the waiting). See exchange.hpp.
#pragma once
#include <cstdint>

namespace liqsim {

struct RiskStamp {
  std::uint64_t epoch = 0;         // risk_epoch_ of the last check; 0: none
  std::uint64_t deferred_gen = 0;  // 0: found above maintenance; else defer_generation_
};

}  // namespace liqsim
