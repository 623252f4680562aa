// Discrete-event queue: int64 ns times, ties broken by insertion sequence (first scheduled runs
// first), so a run is a pure function of its inputs.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "liqsim/types.hpp"

namespace liqsim::market {

enum class Task : std::uint32_t {
  Sample = 0,       // record the 1 s time series
  Tick = 1,         // breaker timers, liquidation checks, stop orders
  Index = 2,        // external venue path and the perp index
  Funding = 3,      // funding settlement
  MakerQuote = 4,   // one market maker re-quotes (who = maker)
  Noise = 5,        // one noise order (who = instrument)
  Arbitrage = 6,    // one arbitrageur checks the basis (who = arbitrageur)
  MetaChild = 7,    // one child order of a meta-order (who = meta-order)
  BreakoutRetry = 8,  // a breakout trader retries an entry that did not fill (who = trader)
};

struct Scheduled {
  Timestamp t;
  std::uint64_t seq;
  Task task;
  std::uint32_t who;
};

class Scheduler {
 public:
  void push(Timestamp t, Task task, std::uint32_t who = 0) {
    heap_.push_back({t, seq_++, task, who});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }
  bool empty() const { return heap_.empty(); }
  const Scheduled& top() const { return heap_.front(); }
  Scheduled pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const Scheduled s = heap_.back();
    heap_.pop_back();
    return s;
  }
  std::size_t size() const { return heap_.size(); }

 private:
  static bool later(const Scheduled& a, const Scheduled& b) {
    return a.t != b.t ? a.t > b.t : a.seq > b.seq;
  }
  std::vector<Scheduled> heap_;
  std::uint64_t seq_ = 0;
};

}  // namespace liqsim::market
