// Cash ledger: one balance per trader and system account. Every movement is a transfer between
// two ledger accounts, so the sum of all balances is exactly zero at all times (deposits come
// from the external account, which goes negative by what the exchange holds).
#pragma once
#include <numeric>

#include "liqsim/account_array.hpp"
#include "liqsim/types.hpp"

namespace liqsim {

class Ledger {
 public:
  void resize(std::size_t traders) { cash_.resize(traders); }
  Cash balance(AccountId a) const { return cash_[a]; }
  Cash& cash(AccountId a) { return cash_[a]; }  // for moves into and out of isolated buckets
  const Cash* balances() const { return cash_.data(); }
  Cash* balances() { return cash_.data(); }  // indexable by account id, system ids too
  void transfer(AccountId from, AccountId to, Cash amount) {
    cash_[from] -= amount;
    cash_[to] += amount;
  }
  // Sum over every ledger account, system accounts included: zero unless there is a bug.
  Cash total() const {
    const auto& all = cash_.all();
    return std::accumulate(all.begin(), all.end(), Cash{0});
  }

 private:
  AccountArray<Cash> cash_;
};

}  // namespace liqsim
