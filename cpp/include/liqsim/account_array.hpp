// Per-account storage with extra slots for the exchange's own system accounts, which have
// negative ids (insurance fund -1, backstop vault -2, fee pool -3, external -4). data() points
// at account 0 so that data()[-1] is the insurance fund: hot loops index it directly.
#pragma once
#include <cstddef>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim {

enum SystemAccount : AccountId {
  kInsuranceFund = -1,
  kBackstopVault = -2,
  kFeePool = -3,
  kExternal = -4,
};
inline constexpr AccountId kSystemAccountCount = 4;

inline constexpr bool is_system(AccountId a) { return a < 0; }

template <class T>
class AccountArray {
 public:
  AccountArray() : v_(kSystemAccountCount, T{}) {}
  T& operator[](AccountId a) { return v_[static_cast<std::size_t>(a + kSystemAccountCount)]; }
  const T& operator[](AccountId a) const {
    return v_[static_cast<std::size_t>(a + kSystemAccountCount)];
  }
  T* data() { return v_.data() + kSystemAccountCount; }
  const T* data() const { return v_.data() + kSystemAccountCount; }
  // Number of trader accounts (ids 0..size()-1).
  std::size_t size() const { return v_.size() - kSystemAccountCount; }
  void resize(std::size_t traders) { v_.resize(traders + kSystemAccountCount, T{}); }
  // All slots, system accounts first.
  const std::vector<T>& all() const { return v_; }

 private:
  std::vector<T> v_;
};

}  // namespace liqsim
