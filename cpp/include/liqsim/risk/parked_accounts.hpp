// Accounts "parked" by the risk stage: due for liquidation and certainly kept waiting by the
// liquidation throttle, for as long as the valuation price of their one instrument stays in a
// range worked out when they were parked (and nothing else about them or the throttle's window
// changes; the exchange unparks them then). A throttled cascade keeps tens of thousands of
// accounts waiting while the mark moves several times a second; parked, they are not re-valued
// on every move. The exchange's risk stage (exchange_parking.cpp) keeps their standing exact;
// this class only holds who is parked, where each one's range ends, and the oldest risk stamp
// among them.
#pragma once
#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "liqsim/account_array.hpp"
#include "liqsim/risk/risk_stamp.hpp"
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
  // Parked accounts of `inst`, and the throttle window they were parked in.
  std::size_t count(InstrumentId inst) const { return by_inst_[static_cast<std::size_t>(inst)].count; }
  std::int64_t window(InstrumentId inst) const { return by_inst_[static_cast<std::size_t>(inst)].window; }
  // The instrument and stamp of `a`'s last parking (also once unparked).
  InstrumentId instrument(AccountId a) const { return where_[a].inst; }
  RiskStamp stamp(AccountId a) const { return where_[a].stamp; }

  // Parks `a` (not parked) on `inst` while lo <= valuation <= hi, in throttle window `window`
  // (the instrument's parked accounts share one).
  void park(AccountId a, InstrumentId inst, Price lo, Price hi, RiskStamp stamp, std::int64_t window) {
    Slot& s = where_[a];
    s = Slot{true, inst, s.serial + 1, stamp};
    Ends& e = by_inst_[static_cast<std::size_t>(inst)];
    push(e.lo, {lo, Entry{a, s.serial}}, Later{});
    push(e.hi, {hi, Entry{a, s.serial}}, Sooner{});
    e.window = window;
    ++e.count;
    ++epochs_[stamp.epoch];
    ++gens_[stamp.deferred_gen];
    ++count_;
    ++parkings_;
  }

  // Unparks `a`; false if it was not parked.
  bool unpark(AccountId a) {
    Slot& s = where_[a];
    if (!s.on) return false;
    s.on = false;  // its range entries go stale and are dropped when reached
    drop(epochs_, s.stamp.epoch);
    drop(gens_, s.stamp.deferred_gen);
    Ends& e = by_inst_[static_cast<std::size_t>(s.inst)];
    if (--e.count == 0) e = Ends{};
    --count_;
    return true;
  }

  // Unparks the accounts of `inst` whose range does not hold `v`, appending them to `out`.
  void wake(InstrumentId inst, Price v, std::vector<AccountId>& out) {
    Ends& e = by_inst_[static_cast<std::size_t>(inst)];
    while (!e.lo.empty() && e.lo.front().first > v) take(e.lo, Later{}, inst, out);
    while (!e.hi.empty() && e.hi.front().first < v) take(e.hi, Sooner{}, inst, out);
  }

  // Unparks every parked account of `inst`, appending them to `out` (in no particular order:
  // a pass over the heap's array, not one heap pop per account).
  void wake_all(InstrumentId inst, std::vector<AccountId>& out) {
    Ends& e = by_inst_[static_cast<std::size_t>(inst)];
    std::vector<End> all;
    all.swap(e.lo);  // every parked account has an entry in lo
    e.hi.clear();
    for (const End& x : all) wake_entry(x.second, inst, out);  // the last one resets e
  }

  // The oldest epoch and generation among parked accounts' stamps (0 when none is parked).
  RiskStamp oldest() const {
    return empty() ? RiskStamp{} : RiskStamp{epochs_.begin()->first, gens_.begin()->first};
  }

 private:
  struct Slot {
    bool on = false;
    InstrumentId inst = -1;
    std::uint32_t serial = 0;  // of its last parking: tells stale range entries apart
    RiskStamp stamp;
  };
  struct Entry {
    AccountId a;
    std::uint32_t serial;
  };
  using End = std::pair<Price, Entry>;
  struct Later {  // heap order: the largest lower end on top
    bool operator()(const End& x, const End& y) const { return x.first < y.first; }
  };
  struct Sooner {  // the smallest upper end on top
    bool operator()(const End& x, const End& y) const { return x.first > y.first; }
  };
  struct Ends {  // binary heaps (std::push_heap / pop_heap)
    std::vector<End> lo;  // Later
    std::vector<End> hi;  // Sooner
    std::size_t count = 0;
    std::int64_t window = -1;
  };

  static void drop(std::map<std::uint64_t, std::size_t>& m, std::uint64_t k) {
    auto it = m.find(k);
    if (--it->second == 0) m.erase(it);
  }

  template <class Order>
  static void push(std::vector<End>& heap, const End& x, Order order) {
    heap.push_back(x);
    std::push_heap(heap.begin(), heap.end(), order);
  }

  // Pops the heap's top and unparks its account unless the entry is stale.
  template <class Order>
  void take(std::vector<End>& heap, Order order, InstrumentId inst, std::vector<AccountId>& out) {
    std::pop_heap(heap.begin(), heap.end(), order);
    const Entry x = heap.back().second;
    heap.pop_back();
    wake_entry(x, inst, out);
  }

  void wake_entry(const Entry& x, InstrumentId inst, std::vector<AccountId>& out) {
    const Slot& s = where_[x.a];
    if (s.on && s.inst == inst && s.serial == x.serial && unpark(x.a)) out.push_back(x.a);
  }

  AccountArray<Slot> where_;
  std::vector<Ends> by_inst_;
  std::map<std::uint64_t, std::size_t> epochs_, gens_;  // stamp epoch / generation -> accounts
  std::size_t count_ = 0;
  std::uint64_t parkings_ = 0;
};

}  // namespace liqsim
