// A lean price-time order book, as a plain baseline for the matching benchmark: what the
// standard workload costs on this machine when a book does nothing but match. No events, no
// clearing, no input checks, one instrument, dense order ids. The issue's yardstick is "a good
// C++ book does this workload at about 30 ns/order"; this program measures that yardstick here,
// side by side with liqsim (bench/lean_baseline.py builds and runs it).
//
// The structures are the usual ones for a fast book: per side a vector of price levels sorted
// with the best at the back (nearly all activity is there), FIFO queues inside a level as
// intrusive lists over a pooled order array with a free list, and order id -> pool slot as a
// flat vector. Level lookup walks from the best level (orders arrive near the touch).
//
// Usage: lean_book DIR REPS. DIR holds the workload columns as raw arrays
// (native.write_columns, raw_columns.hpp). Prints one line per repeat: "ns_per_order fills
// volume".
#include <algorithm>
#include <cstdint>
#include <vector>

#include "lean_driver.hpp"

namespace {

constexpr std::uint32_t kNil = ~std::uint32_t{0};

struct Order {
  std::int64_t price;
  std::int64_t qty;
  std::uint32_t prev, next;
  std::int8_t side;
};

struct Level {
  std::int64_t price;
  std::uint32_t head, tail;
};

class Book {
 public:
  explicit Book(std::size_t max_id) : slot_of_(max_id + 1, kNil) {}

  void limit(std::int64_t id, std::int8_t side, std::int64_t price, std::int64_t qty, bool ioc) {
    auto& opp = side_levels(-side);
    // Buy: crosses asks priced <= limit; sell: bids priced >= limit.
    while (qty > 0 && !opp.empty() && (price - opp.back().price) * side >= 0) {
      Level& lv = opp.back();
      const std::uint32_t mi = lv.head;
      Order& m = pool_[mi];
      const std::int64_t f = std::min(qty, m.qty);
      qty -= f;
      m.qty -= f;
      ++fills_;
      volume_ += f;
      if (m.qty == 0) {
        lv.head = m.next;
        if (lv.head == kNil) {
          opp.pop_back();
        } else {
          pool_[lv.head].prev = kNil;
        }
        free_.push_back(mi);
        retire(mi);
      }
    }
    if (qty == 0 || ioc) return;
    const std::uint32_t idx = alloc();
    pool_[idx] = Order{price, qty, kNil, kNil, side};
    slot_of_[static_cast<std::size_t>(id)] = idx;
    ids_[idx] = id;
    Level& lv = level_for_insert(side, price);
    if (lv.tail == kNil) {
      lv.head = lv.tail = idx;
    } else {
      pool_[lv.tail].next = idx;
      pool_[idx].prev = lv.tail;
      lv.tail = idx;
    }
  }

  void cancel(std::int64_t id) {
    const std::uint32_t idx = slot_of_[static_cast<std::size_t>(id)];
    if (idx == kNil) return;  // done already
    const Order& o = pool_[idx];
    auto& v = side_levels(o.side);
    std::size_t li = v.size();
    while (li-- > 0 && v[li].price != o.price) {
    }
    Level& lv = v[li];  // a live order's level exists, so the walk found it
    if (o.prev == kNil) lv.head = o.next; else pool_[o.prev].next = o.next;
    if (o.next == kNil) lv.tail = o.prev; else pool_[o.next].prev = o.prev;
    if (lv.head == kNil) v.erase(v.begin() + static_cast<std::ptrdiff_t>(li));
    free_.push_back(idx);
    retire(idx);
  }

  std::int64_t fills() const { return fills_; }
  std::int64_t volume() const { return volume_; }

 private:
  // Sorted ascending by (price * side): best bid / best ask at the back.
  std::vector<Level>& side_levels(int side) { return side > 0 ? bids_ : asks_; }

  Level& level_for_insert(std::int8_t side, std::int64_t price) {
    auto& v = side_levels(side);
    const std::int64_t key = price * side;
    std::size_t i = v.size();
    while (i > 0 && v[i - 1].price * side > key) --i;
    if (i > 0 && v[i - 1].price == price) return v[i - 1];
    return *v.insert(v.begin() + static_cast<std::ptrdiff_t>(i), Level{price, kNil, kNil});
  }

  std::uint32_t alloc() {
    if (!free_.empty()) {
      const std::uint32_t idx = free_.back();
      free_.pop_back();
      return idx;
    }
    pool_.emplace_back();
    ids_.push_back(0);
    return static_cast<std::uint32_t>(pool_.size() - 1);
  }

  void retire(std::uint32_t idx) { slot_of_[static_cast<std::size_t>(ids_[idx])] = kNil; }

  std::vector<Level> bids_, asks_;
  std::vector<Order> pool_;
  std::vector<std::int64_t> ids_;  // order id of each pool slot
  std::vector<std::uint32_t> free_;
  std::vector<std::uint32_t> slot_of_;
  std::int64_t fills_ = 0, volume_ = 0;
};

}  // namespace

int main(int argc, char** argv) { return run_lean_book<Book>(argc, argv, "lean_book"); }
