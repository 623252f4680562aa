// The lean book of bench/lean_book.cpp with one change: each price level keeps its FIFO queue as
// a contiguous array (a pooled std::vector per level, cancelled entries left as tombstones and
// compacted when they are half the array) instead of an intrusive doubly-linked list over the
// order pool. The maker at the head of a level then sits next to the one filled before it, and
// appending or filling never writes a neighbour's links. `bench/lean_baseline.py --queue` runs it
// beside the list book and liqsim, to measure whether liqsim's book layout is worth changing
// (docs/benchmarks.md, session 14: it is not; same fills and volume, no faster).
//
// Usage: lean_queue DIR REPS, as lean_book.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "lean_driver.hpp"

namespace {

constexpr std::uint32_t kNil = ~std::uint32_t{0};

struct Entry {  // a resting order inside its level's queue
  std::int64_t id;
  std::int64_t qty;   // 0: cancelled (tombstone)
  std::uint32_t slot;
};

struct Slot {  // cold data of a resting order, for cancels
  std::int64_t price;
  std::uint32_t q;    // queue id
  std::uint32_t pos;  // index in the queue
  std::int8_t side;
};

struct Queue {
  std::vector<Entry> e;
  std::uint32_t head = 0;
  std::uint32_t live = 0;
};

struct Level {
  std::int64_t price;
  std::uint32_t q;
};

class Book {
 public:
  explicit Book(std::size_t max_id) : slot_of_(max_id + 1, kNil) {}

  void limit(std::int64_t id, std::int8_t side, std::int64_t price, std::int64_t qty, bool ioc) {
    auto& opp = side_levels(-side);
    while (qty > 0 && !opp.empty() && (price - opp.back().price) * side >= 0) {
      Level& lv = opp.back();
      Queue& q = queues_[lv.q];
      Entry& m = q.e[q.head];
      const std::int64_t f = std::min(qty, m.qty);
      qty -= f;
      m.qty -= f;
      ++fills_;
      volume_ += f;
      if (m.qty == 0) {
        slot_of_[static_cast<std::size_t>(m.id)] = kNil;
        free_.push_back(m.slot);
        --q.live;
        if (q.live == 0) {
          release(lv.q);
          opp.pop_back();
        } else {
          ++q.head;
          while (q.e[q.head].qty == 0) ++q.head;
          maybe_compact(lv.q);
        }
      }
    }
    if (qty == 0 || ioc) return;
    const std::uint32_t idx = alloc();
    Level& lv = level_for_insert(side, price);
    Queue& q = queues_[lv.q];
    const auto pos = static_cast<std::uint32_t>(q.e.size());
    q.e.push_back(Entry{id, qty, idx});
    ++q.live;
    pool_[idx] = Slot{price, lv.q, pos, side};
    slot_of_[static_cast<std::size_t>(id)] = idx;
  }

  void cancel(std::int64_t id) {
    const std::uint32_t idx = slot_of_[static_cast<std::size_t>(id)];
    if (idx == kNil) return;  // done already
    const Slot& o = pool_[idx];
    Queue& q = queues_[o.q];
    q.e[o.pos].qty = 0;
    slot_of_[static_cast<std::size_t>(id)] = kNil;
    free_.push_back(idx);
    if (--q.live == 0) {
      auto& v = side_levels(o.side);
      std::size_t li = v.size();
      while (li-- > 0 && v[li].price != o.price) {
      }
      release(o.q);
      v.erase(v.begin() + static_cast<std::ptrdiff_t>(li));
      return;
    }
    if (o.pos == q.head) {
      while (q.e[q.head].qty == 0) ++q.head;
    }
    maybe_compact(o.q);
  }

  std::int64_t fills() const { return fills_; }
  std::int64_t volume() const { return volume_; }

 private:
  std::vector<Level>& side_levels(int side) { return side > 0 ? bids_ : asks_; }

  void maybe_compact(std::uint32_t qi) {
    Queue& q = queues_[qi];
    const std::size_t n = q.e.size();
    if (n < 32 || (n - q.live) * 2 < n) return;
    std::uint32_t w = 0;
    for (std::size_t r = q.head; r < n; ++r) {
      if (q.e[r].qty == 0) continue;
      q.e[w] = q.e[r];
      pool_[q.e[w].slot].pos = w;
      ++w;
    }
    q.e.resize(w);
    q.head = 0;
  }

  void release(std::uint32_t qi) {
    Queue& q = queues_[qi];
    q.e.clear();
    q.head = 0;
    q.live = 0;
    free_q_.push_back(qi);
  }

  std::uint32_t new_queue() {
    if (!free_q_.empty()) {
      const std::uint32_t qi = free_q_.back();
      free_q_.pop_back();
      return qi;
    }
    queues_.emplace_back();
    return static_cast<std::uint32_t>(queues_.size() - 1);
  }

  Level& level_for_insert(std::int8_t side, std::int64_t price) {
    auto& v = side_levels(side);
    const std::int64_t key = price * side;
    std::size_t i = v.size();
    while (i > 0 && v[i - 1].price * side > key) --i;
    if (i > 0 && v[i - 1].price == price) return v[i - 1];
    return *v.insert(v.begin() + static_cast<std::ptrdiff_t>(i), Level{price, new_queue()});
  }

  std::uint32_t alloc() {
    if (!free_.empty()) {
      const std::uint32_t idx = free_.back();
      free_.pop_back();
      return idx;
    }
    pool_.emplace_back();
    return static_cast<std::uint32_t>(pool_.size() - 1);
  }

  std::vector<Level> bids_, asks_;
  std::vector<Queue> queues_;
  std::vector<std::uint32_t> free_q_;
  std::vector<Slot> pool_;
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> slot_of_;
  std::int64_t fills_ = 0, volume_ = 0;
};

}  // namespace

int main(int argc, char** argv) { return run_lean_book<Book>(argc, argv, "lean_queue"); }
