// Accounts "parked" by the risk stage: due for liquidation and certainly kept waiting by the
// liquidation throttle, for as long as the valuation price of their one instrument stays in a
// range worked out when they were parked (and nothing else about them or the throttle
// changes; the exchange unparks them then). A throttled cascade keeps tens of thousands of
// accounts waiting while the mark moves several times a second; parked, they are not re-valued
// on every move. The exchange's risk stage (exchange_liquidation.cpp) keeps their standing
// exact; this class only holds who is parked, where each one's range ends, and the smallest
// risk-stamp epoch among them.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "liqsim/account_array.hpp"
#include "liqsim/types.hpp"

namespace liqsim {

class ParkedAccounts {
 public:
  void resize(std::size_t traders) { where_.resize(traders); }
  void add_instrument() { by_inst_.emplace_back(); }

  bool empty() const { return count_ == 0; }
  std::size_t size() const { return count_; }
  std::uint64_t parkings() const { return parkings_; }  // so far, all told
  bool parked(AccountId a) const { return where_[a].on; }
  // The instrument and risk-stamp epoch of `a`'s last parking (also once unparked).
  InstrumentId instrument(AccountId a) const { return where_[a].inst; }
  std::uint64_t stamp_epoch(AccountId a) const { return where_[a].epoch; }

  // Parks `a` (not parked) on `inst` while lo <= valuation <= hi.
  void park(AccountId a, InstrumentId inst, Price lo, Price hi, std::uint64_t stamp_epoch) {
    Slot& s = where_[a];
    s = Slot{true, inst, ++s.serial, stamp_epoch};
    Ends& e = by_inst_[static_cast<std::size_t>(inst)];
    e.lo.emplace(lo, Entry{a, s.serial});
    e.hi.emplace(hi, Entry{a, s.serial});
    ++epochs_[stamp_epoch];
    ++count_;
    ++parkings_;
  }

  // Unparks `a`; false if it was not parked.
  bool unpark(AccountId a) {
    Slot& s = where_[a];
    if (!s.on) return false;
    auto it = epochs_.find(s.epoch);
    if (--it->second == 0) epochs_.erase(it);
    s.on = false;  // its range entries go stale and are dropped when reached
    if (--count_ == 0)
      for (Ends& e : by_inst_) e = Ends{};
    return true;
  }

  // Unparks the accounts of `inst` whose range does not hold `v`, appending them to `out`.
  void wake(InstrumentId inst, Price v, std::vector<AccountId>& out) {
    Ends& e = by_inst_[static_cast<std::size_t>(inst)];
    while (!e.lo.empty() && e.lo.begin()->first > v) take(e.lo, e.lo.begin(), inst, out);
    while (!e.hi.empty() && e.hi.begin()->first < v) take(e.hi, e.hi.begin(), inst, out);
  }

  // Unparks every parked account, appending them to `out`.
  void wake_all(std::vector<AccountId>& out) {
    for (std::size_t i = 0; i < by_inst_.size(); ++i) {
      Ends& e = by_inst_[i];
      while (!e.lo.empty()) take(e.lo, e.lo.begin(), static_cast<InstrumentId>(i), out);
    }
  }

  // The smallest stamp epoch among parked accounts (0 when none is parked).
  std::uint64_t min_stamp_epoch() const { return epochs_.empty() ? 0 : epochs_.begin()->first; }

 private:
  struct Slot {
    bool on = false;
    InstrumentId inst = -1;
    std::uint32_t serial = 0;   // of its last parking: tells stale range entries apart
    std::uint64_t epoch = 0;
  };
  struct Entry {
    AccountId a;
    std::uint32_t serial;
  };
  struct Ends {
    std::multimap<Price, Entry, std::greater<>> lo;  // largest lower end first
    std::multimap<Price, Entry> hi;                  // smallest upper end first
  };

  template <class Map>
  void take(Map& m, typename Map::iterator it, InstrumentId inst, std::vector<AccountId>& out) {
    const Entry x = it->second;
    m.erase(it);
    const Slot& s = where_[x.a];
    if (s.on && s.inst == inst && s.serial == x.serial && unpark(x.a)) out.push_back(x.a);
  }

  AccountArray<Slot> where_;
  std::vector<Ends> by_inst_;
  std::map<std::uint64_t, std::size_t> epochs_;  // stamp epoch -> parked accounts with it
  std::size_t count_ = 0;
  std::uint64_t parkings_ = 0;
};

}  // namespace liqsim
